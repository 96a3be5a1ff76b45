/**
 * CCTools-compatible logs, against the real thing: the headers of our
 * statistics and transactions logs are those Debian's Python manager
 * writes; Debian's `work_queue_graph_log` (with gnuplot) plots our
 * statistics log, fed with our rows; the transactions log follows each task
 * and worker of a run on CCTools' worker.
 */

import assert from "node:assert/strict";
import { Task, WorkQueue } from "../mod.ts";
import { PYTHON, requireBinary, spawn, startWorker, tempDir } from "./_harness.ts";

const PY_LOGS = `
import sys
from work_queue import WorkQueue
q = WorkQueue(port=0)
q.specify_log(sys.argv[1] + "/stats.log")
q.specify_transactions_log(sys.argv[1] + "/tx.log")
`;

const comments = (text: string) => text.split("\n").filter((l) => l.startsWith("#"));
const records = (text: string) => text.split("\n").filter((l) => /^\d/.test(l));

Deno.test("our logs' headers and line shapes are those of Debian's CCTools manager", async () => {
  await using dir = await tempDir("wq-logs-hdr-");
  await Deno.writeTextFile(`${dir.path}/m.py`, PY_LOGS);
  await using py = spawn([PYTHON, `${dir.path}/m.py`, dir.path], {
    env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "1" },
  });
  assert.equal((await py.status).code, 0, py.log());
  const theirStats = await Deno.readTextFile(`${dir.path}/stats.log`);
  const theirTx = await Deno.readTextFile(`${dir.path}/tx.log`);

  const wq = new WorkQueue({
    port: 0,
    hostname: "127.0.0.1",
    statsLog: `${dir.path}/our_stats.log`,
    transactionsLog: `${dir.path}/our_tx.log`,
  });
  await wq.close();
  const ourStats = await Deno.readTextFile(`${dir.path}/our_stats.log`);
  const ourTx = await Deno.readTextFile(`${dir.path}/our_tx.log`);

  assert.deepEqual(comments(ourStats), comments(theirStats));
  assert.deepEqual(comments(ourTx), comments(theirTx));
  // A data line has as many numbers as the header has columns, as theirs.
  const columns = comments(theirStats)[0].slice(2).split(" ").length;
  for (const line of [...records(ourStats), ...records(theirStats)]) {
    assert.equal(line.split(" ").length, columns, line);
  }
  const shape = (l: string) => l.replace(/^\d+ \d+ /, "T P ");
  assert.deepEqual(records(ourTx).map(shape), records(theirTx).map(shape));
  assert.deepEqual(records(ourTx).map(shape), ["T P MANAGER START", "T P MANAGER END"]);
});

/** A gnuplot that keeps a copy of each script (data included) it is fed. */
async function recordingGnuplot(dir: string): Promise<string> {
  const gnuplot = requireBinary("gnuplot", "apt-get install -y gnuplot-nox");
  const path = `${dir}/gnuplot`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh
[ "$1" = --version ] && exec ${gnuplot} --version
tee "$(mktemp "${dir}/fed.XXXXXX")" | exec ${gnuplot}
`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

/** The data blocks of a gnuplot script fed by work_queue_graph_log: one `[x, y][]` per field. */
function dataBlocks(script: string): number[][][] {
  const body = script.slice(script.indexOf("\nplot "));
  const blocks: number[][][] = [[]];
  for (const line of body.split("\n").slice(1)) {
    if (line === "EOF") blocks.push([]);
    else if (/^[-\d.]+ [-\d.]+$/.test(line)) blocks.at(-1)!.push(line.split(" ").map(Number));
  }
  return blocks.filter((b) => b.length > 0);
}

Deno.test("work_queue_graph_log plots our statistics log, and the transactions log follows each task and worker", async () => {
  const graphLog = requireBinary("work_queue_graph_log");
  await using dir = await tempDir("wq-logs-run-");
  const stats = `${dir.path}/run.stats`;
  const tx = `${dir.path}/run.tx`;
  const N = 8;
  {
    await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", statsLog: stats });
    wq.specifyTransactionsLog(tx);
    for (let i = 0; i < N; i++) wq.submit(new Task(`sleep 0.3; echo ${i}`).specifyCores(1));
    const failing = new Task("exit 3").specifyCores(1);
    wq.submit(failing);
    const cancelled = new Task("sleep 60").specifyCores(1);
    wq.submit(cancelled);
    assert.ok(wq.cancelById(cancelled.id));
    await using worker = startWorker(wq.port, { cctools: true, args: ["--cores", "2"] });
    let got = 0;
    while (got < N + 1) {
      const t = await wq.wait(30);
      assert.ok(t, `a task within 30 s\n${worker.log()}`);
      got++;
    }
    await wq.close(); // releases the worker before it is killed: DISCONNECTION EXPLICIT
  }

  // The statistics log, plotted. Resolution 1 µs: graph_log keeps every line.
  const lines = records(await Deno.readTextFile(stats));
  const header = comments(await Deno.readTextFile(stats))[0].slice(2).split(" ");
  const col = (name: string) => lines.map((l) => Number(l.split(" ")[header.indexOf(name)]));
  assert.ok(lines.length >= 2, `at least a first and a last sample:\n${lines.join("\n")}`);
  assert.equal(col("tasks_done").at(-1), N + 1);
  assert.equal(col("tasks_cancelled").at(-1), 1);
  assert.equal(col("tasks_failed").at(-1), 0); // exit 3 is a result of success
  assert.equal(Math.max(...col("workers_connected")), 1);

  const gnuplot = await recordingGnuplot(dir.path);
  const prefix = `${dir.path}/plot`;
  const run = await new Deno.Command(graphLog, {
    args: ["-c", gnuplot, "-s", "0.000001", "-u", "s", "-o", prefix, stats],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
  assert.equal(run.code, 0, said);
  for (const name of ["workers", "workers-accum", "tasks", "tasks-accum", "transfer"]) {
    const svg = await Deno.readTextFile(`${prefix}.${name}.svg`);
    assert.match(svg, /^<\?xml[^]*<svg[^]*<\/svg>\s*$/, `${name}.svg is an SVG image`);
    assert.match(svg, /<path /, `${name}.svg draws lines`);
  }
  assert.match(await Deno.readTextFile(`${prefix}.tasks-accum.svg`), /tasks cumulative counts/);
  // What gnuplot was fed for the cumulative task counts: fields submitted,
  // dispatched, done, … each with one point per line of our log.
  const fed: string[] = [];
  for await (const e of Deno.readDir(dir.path)) {
    if (e.name.startsWith("fed.")) fed.push(await Deno.readTextFile(`${dir.path}/${e.name}`));
  }
  assert.equal(fed.length, 9, "graph_log makes nine plots");
  const accum = fed.find((s) => s.includes("'tasks cumulative counts'"));
  assert.ok(accum, "the cumulative tasks plot was fed");
  const [submitted, dispatched, done] = dataBlocks(accum);
  assert.deepEqual(done.map(([, y]) => y), col("tasks_done"));
  assert.deepEqual(submitted.map(([, y]) => y), col("tasks_submitted"));
  assert.ok(dispatched.at(-1)![1] >= N + 1);
  assert.ok(done.every(([x], i) => i === 0 || x >= done[i - 1][0]), "points in time order");

  // The transactions log.
  const text = await Deno.readTextFile(tx);
  const recs = records(text).map((l) => l.split(" "));
  const pid = recs[0][1];
  assert.ok(recs.every((r) => r[1] === pid), "one pid");
  assert.deepEqual(recs[0].slice(2), ["MANAGER", "START"]);
  assert.deepEqual(recs.at(-1)!.slice(2), ["MANAGER", "END"]);
  const stamps = recs.map((r) => Number(r[0]));
  assert.ok(stamps.every((t, i) => i === 0 || t >= stamps[i - 1]), "times never go back");
  const body = records(text).map((l) => l.replace(/^\d+ \d+ /, ""));
  const worker = body.find((l) => / CONNECTION$/.test(l));
  assert.match(worker ?? "", /^WORKER worker-[0-9a-f]+ 127\.0\.0\.1:\d+ {2}CONNECTION$/);
  const wid = worker!.split(" ")[1];
  assert.ok(body.includes(`WORKER ${wid} ${worker!.split(" ")[2]}  DISCONNECTION EXPLICIT`));
  assert.match(
    body.find((l) => l.startsWith(`WORKER ${wid} RESOURCES `)) ?? "",
    /^WORKER \S+ RESOURCES \{"memory":\[\d+,"MB"\],"disk":\[\d+,"MB"\],"cores":\[2,"cores"\]\}$/,
  );
  const states = (id: number) =>
    body.filter((l) => l.startsWith(`TASK ${id} `)).map((l) => l.split(" ")[2]);
  for (let id = 1; id <= N + 1; id++) {
    assert.deepEqual(
      states(id),
      ["WAITING", "RUNNING", "WAITING_RETRIEVAL", "RETRIEVED", "DONE"],
      `task ${id}`,
    );
  }
  assert.deepEqual(states(N + 2), ["WAITING", "CANCELED"]);
  assert.ok(body.includes(`TASK 1 WAITING default FIRST_RESOURCES {"cores":[1,"cores"]}`));
  // {resources_measured}: {} unless the worker measured the task
  assert.ok(
    body.some((l) => new RegExp(`^TASK ${N + 1} DONE SUCCESS  3  \\{\\} \\{.*\\}$`).test(l)),
    text,
  );
  assert.ok(
    body.some((l) =>
      /^TASK 1 RUNNING 127\.0\.0\.1:\d+ {2}FIRST_RESOURCES \{"memory":\[\d+,"MB"\],"disk":\[\d+,"MB"\],"gpus":\[0,"gpus"\],"cores":\[1,"cores"\]\}$/
        .test(l)
    ),
    text,
  );
  assert.ok(body.some((l) => /^TASK 1 WAITING_RETRIEVAL 127\.0\.0\.1:\d+ $/.test(l)), text);
});
