// The status tool (catalog/status.ts): it lists managers from our catalog
// and from CCTools' catalog_server, and asks managers (ours and CCTools'
// Python one) for their queue, workers and tasks. CCTools' own
// work_queue_status reads our manager directly too.

import assert from "node:assert/strict";
import { sendCatalogUpdate } from "../lib/catalog/client.ts";
import { queryManager } from "../lib/catalog/manager_query.ts";
import { Task, WorkQueue } from "../mod.ts";
import { requireBinary, startWorker, tempDir, until } from "./_harness.ts";
import {
  cctoolsEnv,
  run,
  runStatusTool,
  startCctoolsCatalog,
  startOneTaskWorker,
  startOurCatalog,
  startPythonManager,
  tableRow,
  untilCatalog,
} from "./_catalog.ts";

function record(project: string, port: number, [waiting, running, done, workers]: number[]) {
  return {
    type: "wq_master",
    project,
    port,
    tasks_waiting: waiting,
    tasks_running: running,
    tasks_complete: done,
    tasks_done: done,
    workers,
  };
}

/** A port nothing listens on (bound, then released). */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

Deno.test("wq-status lists the managers of our catalog and of CCTools' catalog_server alike", async () => {
  await using ours = await startOurCatalog();
  await using theirs = await startCctoolsCatalog();
  for (const c of [ours, theirs]) {
    const to = [c.address];
    assert.deepEqual(await sendCatalogUpdate(to, record("status-alpha", 42001, [4, 2, 9, 2])), []);
    assert.deepEqual(await sendCatalogUpdate(to, record("status-beta", 42002, [0, 0, 1, 0])), []);
    assert.deepEqual(
      await sendCatalogUpdate(to, { type: "wq_manager", project: "newer", port: 42003 }),
      [],
    );
    assert.deepEqual(await sendCatalogUpdate(to, { type: "chirp", port: 42004 }), []);
    await untilCatalog(c.address, (rs) => rs.length === 4, "four records");
  }
  for (const c of [ours, theirs]) {
    const table = await runStatusTool(["-C", `127.0.0.1:${c.port}`]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^PROJECT\s+HOST:PORT\s+WAITING\s+RUNNING\s+DONE\s+WORKERS$/);
    assert.equal(lines.length, 4, table.stdout);
    assert.deepEqual(tableRow(table.stdout, "status-alpha"), [
      "status-alpha",
      "localhost:42001",
      "4",
      "2",
      "9",
      "2",
    ]);
    assert.deepEqual(tableRow(table.stdout, "status-beta"), [
      "status-beta",
      "localhost:42002",
      "0",
      "0",
      "1",
      "0",
    ]);
    assert.deepEqual(tableRow(table.stdout, "newer"), [
      "newer",
      "localhost:42003",
      "-",
      "-",
      "-",
      "-",
    ]);
    // the columns line up: each header starts where its column starts
    const at = lines[0].indexOf("HOST:PORT");
    assert.ok(lines.slice(1).every((l) => l[at - 1] === " " && l[at] !== " "), table.stdout);

    // CATALOG_HOST/CATALOG_PORT when there is no -C; -M is a regex on the whole project name
    const json = await runStatusTool(["-M", "status-.*", "--json"], cctoolsEnv(c.port));
    assert.equal(json.code, 0, json.stderr);
    const managers = JSON.parse(json.stdout) as Record<string, unknown>[];
    assert.deepEqual(managers.map((m) => m.project), ["status-alpha", "status-beta"]);
    assert.equal(managers[0].tasks_waiting, 4);
    const none = await runStatusTool(["-C", `127.0.0.1:${c.port}`, "-M", "status"]);
    assert.equal(none.stdout.trim().split("\n").length, 1, "header only: -M matches in full");
  }
});

Deno.test("wq-status names the catalog or manager it cannot reach and exits 1", async () => {
  const port = closedPort();
  const cat = await runStatusTool(["-C", `127.0.0.1:${port}`, "-t", "3"]);
  assert.equal(cat.code, 1);
  assert.match(
    cat.stderr,
    new RegExp(`^wq-status: Cannot query catalog 127\\.0\\.0\\.1:${port}: `),
  );
  const env = await runStatusTool([], cctoolsEnv(port));
  assert.equal(env.code, 1);
  assert.match(env.stderr, new RegExp(`Cannot query catalog 127\\.0\\.0\\.1:${port}`));
  const mgr = await runStatusTool(["-W", "127.0.0.1", String(port)]);
  assert.equal(mgr.code, 1);
  assert.match(
    mgr.stderr,
    new RegExp(`^wq-status: Cannot query manager 127\\.0\\.0\\.1:${port}: `),
  );
  for (
    const bad of [["--bogus"], ["-W"], ["h", "p"], ["-W", "-T", "h", "1"], ["-M", "(", "h", "1"]]
  ) {
    const r = await runStatusTool(bad);
    assert.equal(r.code, 1, bad.join(" "));
    assert.match(r.stderr, /^wq-status: /);
  }
  const help = await runStatusTool(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: wq-status/);
});

Deno.test("wq-status HOST PORT, and CCTools' work_queue_status, read our manager directly", async () => {
  await using wq = new WorkQueue({
    port: 0,
    name: "status-direct",
    catalog: "127.0.0.1:1",
    logger: () => {},
  });
  wq.submit(new Task("sleep 60").specifyCores(1));
  wq.submit(new Task("sleep 60").specifyCores(1));
  await using _worker = await startOneTaskWorker(wq.port);

  const queue = await runStatusTool(["127.0.0.1", String(wq.port)]);
  assert.equal(queue.code, 0, queue.stderr);
  assert.deepEqual(tableRow(queue.stdout, "status-direct"), [
    "status-direct",
    `127.0.0.1:${wq.port}`,
    "1",
    "1",
    "0",
    "1",
  ]);
  const workers = await runStatusTool(["-W", `127.0.0.1:${wq.port}`]);
  assert.equal(workers.code, 0, workers.stderr);
  assert.match(
    workers.stdout,
    /^HOST\s+ADDRESS\s+STATE\s+RUNNING\s+DONE\s+CORES\s+MEMORY\s+DISK\s+WORKERS\n/,
  );
  const wrow = workers.stdout.split("\n")[1].trim().split(/\s+/);
  assert.match(wrow[1], /^127\.0\.0\.1:\d+$/);
  assert.deepEqual(wrow.slice(2), ["BUSY", "1", "0", "1/1", "0/100", "0/100", "-"]);
  const tasks = await runStatusTool(["-T", "127.0.0.1", String(wq.port)]);
  assert.equal(tasks.code, 0, tasks.stderr);
  assert.match(tasks.stdout, /^ID\s+STATE\s+PRIORITY\s+HOST\s+CORES\s+COMMAND\n/);
  assert.deepEqual(tableRow(tasks.stdout, "1")?.slice(0, 2), ["1", "RUNNING"]);
  assert.deepEqual(tableRow(tasks.stdout, "2")?.slice(0, 2), ["2", "READY"]);
  assert.ok(tasks.stdout.includes("sleep 60"));
  const json = await runStatusTool(["-T", "--json", "127.0.0.1", String(wq.port)]);
  assert.deepEqual((JSON.parse(json.stdout) as { taskid: number }[]).map((t) => t.taskid).sort(), [
    1,
    2,
  ]);

  // CCTools' client, spec §6: queue_status, worker_status (-W), task_status (-T)
  const env = cctoolsEnv(1);
  const cq = await run([requireBinary("work_queue_status"), "127.0.0.1", String(wq.port)], env);
  assert.equal(cq.code, 0, cq.stderr);
  assert.deepEqual(tableRow(cq.stdout, "status-direct")?.slice(2), [
    String(wq.port),
    "1",
    "1",
    "0",
    "1",
  ]);
  const cw = await run(
    [requireBinary("work_queue_status"), "-W", "127.0.0.1", String(wq.port)],
    env,
  );
  assert.equal(cw.code, 0, cw.stderr);
  assert.match(cw.stdout, /^HOST\s+ADDRESS\s+COMPLETED\s+RUNNING/);
  // HOST ADDRESS COMPLETED RUNNING ...: one task running, none done
  assert.match(cw.stdout.split("\n")[1], /^\S+\s+127\.0\.0\.1:\d+\s+0\s+1\s/, cw.stdout);
  assert.ok(!cw.stdout.includes("???"), cw.stdout);
  const ct = await run(
    [requireBinary("work_queue_status"), "-T", "127.0.0.1", String(wq.port)],
    env,
  );
  assert.equal(ct.code, 0, ct.stderr);
  assert.match(ct.stdout, /^ID\s+STATE\s+PRIORITY\s+HOST\s+COMMAND/);
  assert.match(ct.stdout, /\n1\s+RUNNING\s+0\s+\S*[^:\s]\s.*sleep 60/, ct.stdout);
  assert.ok(!ct.stdout.includes("???"), ct.stdout);
  assert.match(ct.stdout, /\n2\s+READY\s+0\s.*sleep 60/);
  await wq.close();
});

Deno.test("wq-status HOST PORT reads CCTools' Python manager and its CCTools worker", async () => {
  await using dir = await tempDir();
  await using manager = await startPythonManager(
    `t = Task("sleep 60")
t.specify_cores(1)
q.submit(t)
t = Task("sleep 61")
t.specify_cores(1)
q.submit(t)`,
    dir.path,
  );
  const port = manager.port;
  await using _worker = startWorker(port, {
    cctools: true,
    args: ["--cores", "1", "--memory", "100", "--disk", "100", "-s", dir.path],
  });
  await until(async () => {
    const [q] = await queryManager({ host: "127.0.0.1", port }, "queue_status").catch(
      () => [{} as Record<string, unknown>],
    );
    return q.tasks_running === 1 && q.workers === 1;
  }, "one task running on the CCTools worker");
  const queue = await runStatusTool(["127.0.0.1", String(port)]);
  assert.equal(queue.code, 0, queue.stderr);
  // an unnamed manager: project "-"
  assert.deepEqual(tableRow(queue.stdout, "-"), ["-", `127.0.0.1:${port}`, "1", "1", "0", "1"]);
  const workers = await runStatusTool(["-W", "127.0.0.1", String(port)]);
  assert.equal(workers.code, 0, workers.stderr);
  const wrow = workers.stdout.split("\n")[1].trim().split(/\s+/);
  assert.match(wrow[1], /^127\.0\.0\.1:\d+$/);
  assert.deepEqual(wrow.slice(3), ["1", "0", "1/1", "100/100", "100/100", "-"], workers.stdout);
  const tasks = await runStatusTool(["-T", "127.0.0.1", String(port)]);
  assert.equal(tasks.code, 0, tasks.stderr);
  const running = tasks.stdout.split("\n").find((l) => l.includes("RUNNING"));
  const waiting = tasks.stdout.split("\n").find((l) => l.includes("WAITING"));
  assert.ok(running && waiting, tasks.stdout);
  assert.match(running + waiting, /sleep 6[01].*sleep 6[01]/);
});
