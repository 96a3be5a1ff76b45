/**
 * `GET /metrics` on the manager's port, scraped with a real HTTP client
 * (`fetch`) while tasks run, and parsed strictly as Prometheus' text format
 * 0.0.4; status queries on the same port still answer; a manager with a
 * password gives nothing to a client that does not authenticate.
 */

import assert from "node:assert/strict";
import { Task, WorkQueue } from "../mod.ts";
import { startWorker, until } from "./_harness.ts";

interface Family {
  type: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Parses the text format, throwing at the first line that breaks it. */
function parseExposition(text: string): Map<string, Family> {
  assert.ok(text.endsWith("\n"), "ends with a line feed");
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      assert.match(name, NAME, line);
      if (kind === "HELP") {
        assert.ok(!families.has(name), `one HELP per family: ${line}`);
        families.set(name, { type: "", help: rest, samples: [] });
        current = name;
      } else {
        assert.equal(current, name, `TYPE follows its HELP: ${line}`);
        assert.ok(["counter", "gauge", "histogram", "summary", "untyped"].includes(rest), line);
        families.get(name)!.type = rest;
      }
      continue;
    }
    assert.ok(!line.startsWith("#"), `no other comment: ${line}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${JSON.stringify(line)}`);
    const [, name, , labelText, valueText] = m;
    assert.equal(name, current, `a sample of the family just declared: ${line}`);
    const value = Number(valueText);
    assert.ok(!Number.isNaN(value) || valueText === "NaN", line);
    const labels: Record<string, string> = {};
    let rest = labelText ?? "";
    while (rest.length > 0) {
      const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
      assert.ok(l, `labels of ${line}`);
      assert.ok(!(l[1] in labels), `label once: ${line}`);
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => c === "n" ? "\n" : c);
      rest = rest.slice(l[0].length);
    }
    const key = `${name}${JSON.stringify(labels)}`;
    assert.ok(!seen.has(key), `one sample per series: ${line}`);
    seen.add(key);
    families.get(name)!.samples.push({ labels, value });
  }
  for (const [name, f] of families) {
    assert.ok(f.type, `${name} has a TYPE`);
    assert.ok(name.startsWith("wq_"), `${name}: the wq_ prefix`);
    assert.equal(f.type === "counter", name.endsWith("_total"), `${name}: _total iff counter`);
    if (f.type === "counter") { for (const s of f.samples) assert.ok(s.value >= 0, name); }
  }
  return families;
}

function value(f: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const fam = f.get(name);
  assert.ok(fam, `family ${name}`);
  const s = fam.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(s, `${name}${JSON.stringify(labels)}`);
  return s.value;
}

async function scrape(port: number): Promise<{ text: string; type: string | null }> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(r.status, 200);
  return { text: await r.text(), type: r.headers.get("content-type") };
}

Deno.test("GET /metrics answers Prometheus' text format while tasks run, and status queries still answer", async () => {
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  const N = 6;
  for (let i = 0; i < N; i++) {
    wq.submit(new Task(`sleep 2; echo secret-command-${i}`).specifyCores(1));
  }
  await using worker = startWorker(wq.port, { args: ["--cores", "2"] });

  // While two tasks run on the worker.
  let f = new Map<string, Family>();
  await until(async () => {
    const { text, type } = await scrape(wq.port);
    assert.equal(type, "text/plain; version=0.0.4; charset=utf-8");
    assert.ok(!text.includes("secret-command"), "no task command leaks");
    f = parseExposition(text);
    return value(f, "wq_tasks", { state: "running" }) === 2;
  }, `two running tasks\n${worker.log()}`);
  assert.equal(value(f, "wq_workers_connected"), 1);
  assert.equal(value(f, "wq_workers_busy"), 1);
  // The rest wait in the queue, or (our worker's fast path) queued ahead on the worker.
  assert.equal(
    value(f, "wq_tasks", { state: "waiting" }) +
      value(f, "wq_tasks", { state: "queued_on_worker" }),
    N - 2,
  );
  assert.equal(value(f, "wq_tasks_submitted_total"), N);
  assert.ok(value(f, "wq_tasks_dispatched_total") >= 2);
  assert.ok(value(f, "wq_sent_bytes_total") > 0);
  assert.ok(value(f, "wq_received_bytes_total") > 0);
  assert.equal(value(f, "wq_capacity_cores"), 2);
  const perWorker = f.get("wq_worker_tasks_running")!.samples;
  assert.equal(perWorker.length, 1);
  assert.match(perWorker[0].labels.worker, /^127\.0\.0\.1:\d+$/);
  assert.equal(perWorker[0].value, 2);
  const w = { worker: perWorker[0].labels.worker };
  assert.ok(value(f, "wq_worker_sent_bytes_total", w) > 0);
  assert.equal(value(f, "wq_info", { implementation: "wq-deno" }), 1);
  assert.ok(Math.abs(value(f, "wq_start_time_seconds") - Date.now() / 1000) < 3600);

  // The JSON status queries on the same port, as one line and as HTTP.
  const status = await fetch(`http://127.0.0.1:${wq.port}/queue_status`);
  const [record] = JSON.parse(await status.text());
  assert.equal(record.type, "wq_master");
  {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: wq.port });
    await conn.write(new TextEncoder().encode("worker_status\n"));
    const text = await new Response(conn.readable).text();
    assert.equal(JSON.parse(text).length, 1);
  }

  // After every task: counters moved on.
  for (let i = 0; i < N; i++) assert.ok(await wq.wait(60), worker.log());
  f = parseExposition((await scrape(wq.port)).text);
  assert.equal(value(f, "wq_tasks_done_total"), N);
  assert.equal(value(f, "wq_worker_tasks_done_total", w), N);
  assert.equal(value(f, "wq_tasks", { state: "running" }), 0);
});

Deno.test("GET /metrics on a manager with a password gets no metrics without the password", async () => {
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", password: "s3cret" });
  wq.submit(new Task("echo secret-command"));
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: wq.port });
  await conn.write(new TextEncoder().encode("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  const text = await new Response(conn.readable).text();
  assert.ok(!text.includes("wq_"), text);
  assert.ok(!text.includes("secret-command"), text);
  assert.match(text, /^auth password sha1\n/);
});
