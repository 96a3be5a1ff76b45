// Status replies and catalog records with real data and the keys protocol 11
// adds (spec-11 §8): Debian's work_queue_status -A, -W, -T and plain read our
// manager's categories; our categories carry every key Debian's Python manager
// sends; a named manager advertises over TCP to port+1 by default (UDP as an
// option), to CCTools' catalog_server too, and again soon after a worker
// joins; our catalog gives network_interfaces entries both key spellings.

import assert from "node:assert/strict";
import { queryCatalog, sendCatalogUpdate } from "../lib/catalog/client.ts";
import { queryManager } from "../lib/catalog/manager_query.ts";
import { Task, WorkQueue } from "../mod.ts";
import { requireBinary, startWorker, tempDir } from "./_harness.ts";
import {
  cctoolsEnv,
  run,
  startCctoolsCatalog,
  startOneTaskWorker,
  startOurCatalog,
  startPythonManager,
  tableRow,
  untilCatalog,
} from "./_catalog.ts";

function task(command: string, category: string, cores?: number, memory?: number): Task {
  const t = new Task(command);
  t.category = category;
  if (cores !== undefined) t.specifyCores(cores);
  if (memory !== undefined) t.specifyMemory(memory);
  return t;
}

/** The keys of the category entries of a wable_status reply. */
function categoryKeys(entries: Record<string, unknown>[]): Set<string> {
  return new Set(entries.flatMap((e) => Object.keys(e)));
}

Deno.test("work_queue_status -A, -W, -T and plain show our manager's real per-category data", async () => {
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", logger: () => {} });
  wq.submit(task("sleep 60", "align", 1)); // runs
  wq.submit(task("sleep 60", "align", 2, 50)); // waits: larger than the worker
  wq.submit(task("sleep 60", "merge")); // waits: wants the whole worker, which is busy
  await using _worker = await startOneTaskWorker(wq.port);
  const m = { host: "127.0.0.1", port: wq.port };

  const status = requireBinary("work_queue_status");
  const env = cctoolsEnv(1);
  const able = await run([status, "-A", "127.0.0.1", String(wq.port)], env);
  assert.equal(able.code, 0, able.stderr);
  assert.match(able.stdout, /^CATEGORY\s+DISPATCHED\s+WAITING\s+FIT-WORKERS\s+MAX-CORES/);
  assert.ok(!able.stdout.includes("???"), able.stdout);
  // DISPATCHED (on workers), WAITING, FIT-WORKERS, MAX-CORES, MAX-MEMORY, MAX-DISK
  const whole = able.stdout.split("\n").find((l) => l.startsWith("whole queue"));
  assert.deepEqual(whole?.slice("whole queue".length).trim().split(/\s+/), [
    "1",
    "2",
    "0",
    "2.000",
    "50",
    "na",
  ]);
  assert.deepEqual(tableRow(able.stdout, "align"), ["align", "1", "1", "0", "2.000", "50", "na"]);
  assert.deepEqual(tableRow(able.stdout, "merge"), ["merge", "0", "1", "1", "na", "na", "na"]);

  const plain = await run([status, "127.0.0.1", String(wq.port)], env);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(plain.stdout.split("\n")[1].trim().split(/\s+/).slice(-5), [
    String(wq.port),
    "2",
    "1",
    "0",
    "1",
  ]);
  const workers = await run([status, "-W", "127.0.0.1", String(wq.port)], env);
  assert.match(workers.stdout.split("\n")[1], /^\S+\s+127\.0\.0\.1:\d+\s+0\s+1\s/);
  const tasks = await run([status, "-T", "127.0.0.1", String(wq.port)], env);
  assert.equal(tasks.stdout.trim().split("\n").length, 4, tasks.stdout);

  // resources_status is queue_status; both carry protocol, ssl and the categories
  const [q] = await queryManager(m, "resources_status");
  assert.equal(q.protocol, 11);
  assert.equal(q.ssl, false);
  assert.equal(q.tasks_total_cores, 1 + 2);
  assert.deepEqual(
    (q.categories as { category: string }[]).map((c) => c.category),
    ["whole queue", "align", "merge"],
  );
  const wable = await queryManager(m, "wable_status");
  assert.deepEqual(wable, q.categories);
  assert.deepEqual(wable[1].first_allocation, { cores: 2, memory: 50, disk: 0, gpus: 0 });
});

Deno.test("our categories carry every key Debian's Python manager sends, and the protocol-11 ones", async () => {
  await using dir = await tempDir();
  await using py = await startPythonManager(
    `t = Task("sleep 60"); t.specify_cores(2); t.specify_category("align"); q.submit(t)
t = Task("true"); t.specify_category("merge"); q.submit(t)`,
    dir.path,
  );
  const theirs = await queryManager({ host: "127.0.0.1", port: py.port }, "wable_status");
  assert.deepEqual(theirs.map((c) => c.category), ["whole queue", "align", "merge"]);

  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", logger: () => {} });
  wq.submit(task("sleep 60", "align", 2));
  wq.submit(task("true", "merge"));
  const ours = await queryManager({ host: "127.0.0.1", port: wq.port }, "wable_status");
  assert.deepEqual(ours.map((c) => c.category), ["whole queue", "align", "merge"]);
  const have = categoryKeys(ours);
  const missing = [...categoryKeys(theirs)].filter((k) => !have.has(k));
  assert.deepEqual(missing, []);
  for (const k of ["first_allocation", "max_allocation", "max_memory", "max_disk", "max_gpus"]) {
    assert.ok(have.has(k), k);
  }
  // the same counts where both managers count the same thing
  for (const k of ["tasks_waiting", "tasks_on_workers", "tasks_done", "workers_able"]) {
    assert.deepEqual(ours.map((c) => c[k]), theirs.map((c) => c[k]), k);
  }
  assert.equal(ours[0].max_cores, theirs[0].max_cores, "whole queue: largest waiting request");
});

Deno.test("a named manager advertises over TCP to port+1 by default, with protocol and ssl", async () => {
  // a bare listener as the catalog's update port: what arrives, byte for byte
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const catalogPort = listener.addr.port - 1;
  await using wq = new WorkQueue({
    port: 0,
    hostname: "127.0.0.1",
    name: "p11-tcp",
    catalog: `127.0.0.1:${catalogPort}`,
    logger: () => {},
  });
  const conn = await listener.accept();
  const bytes = new Uint8Array(await new Response(conn.readable).arrayBuffer());
  listener.close();
  const text = new TextDecoder().decode(bytes);
  assert.match(text, /^\{.*\}$/s, "compact JSON, no trailing newline");
  assert.ok(!text.includes("\n"));
  const record = JSON.parse(text);
  assert.equal(record.type, "wq_master");
  assert.equal(record.project, "p11-tcp");
  assert.equal(record.port, wq.port);
  assert.equal(record.protocol, 11);
  assert.equal(record.ssl, false);
  assert.equal(record.network_interfaces, undefined, "no interfaces: no key spelling to trip on");
  assert.deepEqual(record.categories, []);
});

Deno.test("CCTools' catalog_server takes our TCP updates; a joining worker is advertised soon", async () => {
  await using catalog = await startCctoolsCatalog();
  await using wq = new WorkQueue({
    port: 0,
    hostname: "127.0.0.1",
    name: "p11-nudge",
    catalog: `127.0.0.1:${catalog.port}`,
    catalogInterval: 3600, // only the start and the nudges can bring news
    logger: () => {},
  });
  const mine = (rs: Record<string, unknown>[]) => rs.find((r) => r.project === "p11-nudge");
  await untilCatalog(catalog.address, (rs) => mine(rs) !== undefined, "the first record");
  wq.submit(task("sleep 60", "align", 1));
  await using _worker = startWorker(wq.port, {
    args: ["--cores", "1", "--memory", "100", "--disk", "100"],
  });
  const records = await untilCatalog(
    catalog.address,
    (rs) => mine(rs)?.workers === 1 && mine(rs)?.tasks_running === 1,
    "a record with the worker and its task, long before the interval",
  );
  const r = mine(records)!;
  assert.equal(r.protocol, 11);
  assert.equal(r.ssl, false);
  const cats = r.categories as { category: string; tasks_running: number }[];
  assert.deepEqual(cats.map((c) => [c.category, c.tasks_running]), [["whole queue", 1], [
    "align",
    1,
  ]]);
  // what catalog_query prints of it
  const q = await run([requireBinary("catalog_query"), "-w", 'project=="p11-nudge"'], {
    ...cctoolsEnv(catalog.port),
  });
  assert.equal(q.code, 0, q.stderr);
  assert.equal((JSON.parse(q.stdout) as { protocol: number }[])[0].protocol, 11);
});

Deno.test("catalogTcp: false sends UDP; our catalog gives interface entries both key spellings", async () => {
  await using catalog = await startOurCatalog();
  await using _wq = new WorkQueue({
    port: 0,
    hostname: "127.0.0.1",
    name: "p11-udp",
    catalog: `127.0.0.1:${catalog.port}`,
    catalogTcp: false,
    logger: () => {},
  });
  await untilCatalog(catalog.address, (rs) => rs.some((r) => r.project === "p11-udp"), "UDP");

  // a 7.17 record (address only), a protocol-9 one (host only), over TCP
  for (const [port, project, key] of [[1, "m11", "address"], [2, "m9", "host"]] as const) {
    const entry = { interface: "lo", family: "AF_INET", [key]: "127.0.0.1" };
    assert.deepEqual(
      await sendCatalogUpdate([catalog.address], {
        type: "wq_master",
        project,
        port,
        network_interfaces: [entry],
      }, { tcp: true }),
      [],
    );
  }
  const records = await untilCatalog(catalog.address, (rs) => rs.length === 3, "three records");
  for (const project of ["m11", "m9"]) {
    const r = records.find((x) => x.project === project)!;
    assert.deepEqual(r.network_interfaces, [
      { interface: "lo", family: "AF_INET", host: "127.0.0.1", address: "127.0.0.1" },
    ], project);
  }
  assert.equal((await queryCatalog(catalog.address)).length, 3);
});
