// Managers advertise to a catalog; workers find them by project name.
// Real CCTools peers on loopback: catalog_server, catalog_query,
// work_queue_status, work_queue_worker -M and a Python manager.

import assert from "node:assert/strict";
import { queryCatalog } from "../lib/catalog/client.ts";
import { Task, WorkQueue } from "../mod.ts";
import { PYTHON, requireBinary, spawn, startWorker, tempDir, until } from "./_harness.ts";
import { cctoolsEnv as CCTOOLS_ENV, startCctoolsCatalog, startOurCatalog } from "./_catalog.ts";

async function runOk(argv: string[], env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `${argv.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

Deno.test("our named manager advertises to CCTools' catalog_server; catalog_query and work_queue_status list it", async () => {
  await using catalog = await startCctoolsCatalog();
  const c = { host: "127.0.0.1", port: catalog.port };
  await using wq = new WorkQueue({
    port: 0,
    name: "wqdeno-adv",
    catalogInterval: 0.2,
    catalog: `127.0.0.1:${catalog.port}`,
  });
  wq.submit(new Task("true"));
  wq.submit(new Task("true"));
  await until(
    async () =>
      (await queryCatalog(c)).some((r) => r.project === "wqdeno-adv" && r.tasks_waiting === 2),
    "the manager's record",
  );
  const records = JSON.parse(
    await runOk(
      [requireBinary("catalog_query"), "--catalog", `127.0.0.1:${catalog.port}`],
      CCTOOLS_ENV(catalog.port),
    ),
  ) as Record<string, unknown>[];
  const mine = records.find((r) => r.project === "wqdeno-adv");
  assert.ok(mine, JSON.stringify(records));
  assert.equal(mine.type, "wq_master");
  assert.equal(mine.port, wq.port);
  assert.equal(mine.tasks_waiting, 2);
  const table = await runOk(
    [requireBinary("work_queue_status"), "-C", `127.0.0.1:${catalog.port}`],
    CCTOOLS_ENV(catalog.port),
  );
  const row = table.split("\n").find((l) => l.startsWith("wqdeno-adv"));
  assert.ok(row, table);
  assert.deepEqual(row.trim().split(/\s+/).slice(2), [String(wq.port), "2", "0", "0", "0"]);
});

Deno.test("CCTools' work_queue_worker -M finds our manager through the catalog", async () => {
  await using catalog = await startCctoolsCatalog();
  await using dir = await tempDir();
  await using wq = new WorkQueue({
    port: 0,
    name: "wqdeno-find",
    catalog: `127.0.0.1:${catalog.port}`,
  });
  const c = { host: "127.0.0.1", port: catalog.port };
  await until(
    async () => (await queryCatalog(c)).some((r) => r.project === "wqdeno-find"),
    "the record",
  );
  await using worker = spawn([
    requireBinary("work_queue_worker"),
    "-M",
    "wqdeno-f.*",
    "-C",
    `127.0.0.1:${catalog.port}`,
    "--single-shot",
    "-t",
    "60",
    "-s",
    dir.path,
  ], { env: CCTOOLS_ENV(catalog.port) });
  const t = new Task("echo found-by-name");
  wq.submit(t);
  assert.equal(await wq.wait(60), t);
  assert.equal(t.output, "found-by-name\n");
  wq.shutdownWorkers(0);
  await worker.status;
});

Deno.test("our worker -M finds a CCTools Python manager through CCTools' catalog", async () => {
  await using catalog = await startCctoolsCatalog();
  await using dir = await tempDir();
  const script = `
import sys, time
from work_queue import WorkQueue, Task
q = WorkQueue(port=0, name="pyproj-find")
q.specify_catalog_server("127.0.0.1", ${catalog.port})
t = Task("echo python-says-hi")
q.submit(t)
deadline = time.time() + 60
while True:
    r = q.wait(5)
    if r:
        break
    if time.time() > deadline:
        sys.exit("no result within 60 s")
print("RESULT", r.result, r.return_status, r.output.strip(), flush=True)
q.shutdown_workers(0)
`;
  await using manager = spawn([PYTHON, "-c", script], {
    env: CCTOOLS_ENV(catalog.port),
    cwd: dir.path,
  });
  await using worker = startWorker(null, {
    args: [
      "-M",
      "pyproj-.*",
      "-C",
      `127.0.0.1:${catalog.port}`,
      "--single-shot",
      "-t",
      "60",
      "-s",
      dir.path,
    ],
  });
  const status = await manager.status;
  assert.equal(status.code, 0, manager.log());
  assert.match(manager.log(), /RESULT 0 0 python-says-hi/);
  assert.equal((await worker.status).code, 0, worker.log());
});

Deno.test("our worker -M moves to a new manager of the project when its manager goes away (our catalog)", async () => {
  await using catalog = await startOurCatalog();
  await using dir = await tempDir();
  const cat = `127.0.0.1:${catalog.port}`;
  const first = new WorkQueue({ port: 0, name: "wqdeno-move", catalog: cat, logger: () => {} });
  await using worker = startWorker(null, {
    args: [
      "-M",
      "wqdeno-move",
      "-C",
      cat,
      "-t",
      "60",
      "-s",
      dir.path,
      "--min-backoff",
      "0.2",
      "--max-backoff",
      "1",
    ],
  });
  const t1 = new Task("echo first");
  first.submit(t1);
  assert.equal(await first.wait(60), t1);
  await first.close();

  await using second = new WorkQueue({
    port: 0,
    name: "wqdeno-move",
    catalog: cat,
    logger: () => {},
  });
  const t2 = new Task("echo second");
  second.submit(t2);
  assert.equal(await second.wait(60), t2);
  assert.equal(t2.output, "second\n");
  second.shutdownWorkers(0);
  assert.equal((await worker.status).code, 0);
});
