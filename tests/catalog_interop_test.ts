// Our catalog (wq-catalog) with CCTools' programs: catalog_query,
// work_queue_status -C and work_queue_worker -M read it, and CCTools' Python
// manager advertises to it over UDP and TCP. These tests fail (never skip)
// when CCTools is missing.

import assert from "node:assert/strict";
import { queryCatalog, sendCatalogUpdate } from "../lib/catalog/client.ts";
import { Task, WorkQueue } from "../mod.ts";
import { PYTHON, requireBinary, spawn, tempDir } from "./_harness.ts";
import { cctoolsEnv, run, startOurCatalog, tableRow, untilCatalog } from "./_catalog.ts";

/** A manager record with the fields work_queue_status shows. */
function managerRecord(project: string, port: number, counts: number[]): Record<string, unknown> {
  const [waiting, running, complete, workers] = counts;
  return {
    type: "wq_master",
    project,
    port,
    name: "ignored-on-loopback",
    owner: "tester",
    version: "8.0.0",
    starttime: Math.floor(Date.now() / 1000),
    tasks_waiting: waiting,
    tasks_running: running,
    tasks_complete: complete,
    tasks_done: complete,
    workers,
    workers_connected: workers,
  };
}

Deno.test("CCTools' catalog_query and work_queue_status -C read our catalog", async () => {
  await using catalog = await startOurCatalog();
  const env = cctoolsEnv(catalog.port);
  const where = `127.0.0.1:${catalog.port}`;
  assert.deepEqual(
    await sendCatalogUpdate([catalog.address], managerRecord("interop-a", 41001, [3, 2, 7, 2])),
    [],
  );
  assert.deepEqual(
    await sendCatalogUpdate([catalog.address], managerRecord("interop-b", 41002, [0, 1, 0, 1]), {
      tcp: true,
    }),
    [],
  );
  assert.deepEqual(await sendCatalogUpdate([catalog.address], { type: "chirp", port: 41003 }), []);
  await untilCatalog(catalog.address, (rs) => rs.length === 3, "three records");

  const all = await run([requireBinary("catalog_query"), "--catalog", where], env);
  assert.equal(all.code, 0, all.stderr);
  const records = JSON.parse(all.stdout) as Record<string, unknown>[];
  assert.equal(records.length, 3);
  const a = records.find((r) => r.project === "interop-a");
  assert.ok(a, all.stdout);
  assert.equal(a.name, "localhost");
  assert.equal(a.address, "127.0.0.1");
  assert.equal(a.tasks_waiting, 3);

  const filtered = await run([
    requireBinary("catalog_query"),
    "--catalog",
    where,
    "-w",
    'type=="chirp"',
  ], env);
  assert.equal(filtered.code, 0, filtered.stderr);
  assert.deepEqual((JSON.parse(filtered.stdout) as { port: number }[]).map((r) => r.port), [41003]);

  const table = await run([requireBinary("work_queue_status"), "-C", where], env);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^PROJECT\s+HOST\s+PORT\s+WAITING\s+RUNNING\s+COMPLETE\s+WORKERS/);
  assert.deepEqual(tableRow(table.stdout, "interop-a"), [
    "interop-a",
    "localhost",
    "41001",
    "3",
    "2",
    "7",
    "2",
  ]);
  assert.deepEqual(tableRow(table.stdout, "interop-b"), [
    "interop-b",
    "localhost",
    "41002",
    "0",
    "1",
    "0",
    "1",
  ]);
  assert.ok(!table.stdout.includes("41003"), "not a manager");

  const one = await run([requireBinary("work_queue_status"), "-C", where, "-M", "interop-b"], env);
  assert.equal(one.code, 0, one.stderr);
  assert.ok(tableRow(one.stdout, "interop-b") && !tableRow(one.stdout, "interop-a"), one.stdout);

  // -l prints the managers' records as JSON (this build ignores -M there)
  const raw = await run([requireBinary("work_queue_status"), "-C", where, "-l"], env);
  assert.equal(raw.code, 0, raw.stderr);
  const listed = JSON.parse(raw.stdout) as Record<string, unknown>[];
  assert.deepEqual(listed.map((r) => r.project).sort(), ["interop-a", "interop-b"]);
});

Deno.test("CCTools' catalog_update sends a record to our catalog", async () => {
  await using catalog = await startOurCatalog();
  await using dir = await tempDir();
  const file = `${dir.path}/record.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({ type: "wq_master", project: "via-catalog-update", port: 41777 }),
  );
  const r = await run(
    [requireBinary("catalog_update"), "-c", `127.0.0.1:${catalog.port}`, "-f", file],
    cctoolsEnv(catalog.port),
  );
  assert.equal(r.code, 0, r.stderr);
  const records = await untilCatalog(catalog.address, (rs) => rs.length === 1, "the record");
  assert.equal(records[0].project, "via-catalog-update");
  assert.equal(records[0].port, 41777);
  assert.equal(records[0].name, "localhost");
});

Deno.test("CCTools' work_queue_worker -M finds our manager through our catalog", async () => {
  await using catalog = await startOurCatalog();
  await using dir = await tempDir();
  const where = `127.0.0.1:${catalog.port}`;
  await using wq = new WorkQueue({
    port: 0,
    name: "wq-our-catalog",
    catalog: where,
    logger: () => {},
  });
  await untilCatalog(
    catalog.address,
    (rs) => rs.some((r) => r.project === "wq-our-catalog"),
    "the manager's record",
  );
  await using worker = spawn([
    requireBinary("work_queue_worker"),
    "-M",
    "wq-our-cat.*",
    "-C",
    where,
    "--single-shot",
    "-t",
    "60",
    "-s",
    dir.path,
  ], { env: cctoolsEnv(catalog.port) });
  const t = new Task("echo found-through-wq-catalog");
  wq.submit(t);
  assert.equal(await wq.wait(60), t, worker.log());
  assert.equal(t.output, "found-through-wq-catalog\n");
  wq.shutdownWorkers(0);
  await worker.status;
});

for (const transport of ["udp", "tcp"] as const) {
  Deno.test(`CCTools' Python manager advertises to our catalog over ${transport.toUpperCase()}`, async () => {
    await using catalog = await startOurCatalog();
    await using dir = await tempDir();
    const project = `py-adv-${transport}`;
    const script = `
import time
from work_queue import WorkQueue, Task
q = WorkQueue(port=0, name="${project}")
q.specify_catalog_server("127.0.0.1", ${catalog.port})
q.submit(Task("true"))
q.submit(Task("true"))
print("PORT", q.port, flush=True)
q.wait(1)
time.sleep(600)
`;
    const env = {
      ...cctoolsEnv(catalog.port),
      ...(transport === "tcp" ? { CATALOG_UPDATE_PROTOCOL: "tcp" } : {}),
    };
    await using manager = spawn([PYTHON, "-c", script], { env, cwd: dir.path });
    const records = await untilCatalog(
      catalog.address,
      (rs) => rs.some((r) => r.project === project),
      `the Python manager's record (${transport})`,
    );
    const r = records.find((x) => x.project === project)!;
    assert.equal(r.type, "wq_master");
    assert.equal(r.name, "localhost");
    assert.equal(r.tasks_waiting, 2);
    assert.match(manager.log(), new RegExp(`PORT ${r.port}\\b`));
    assert.ok(Array.isArray(r.categories), "the full record, nested arrays included");
    const stats = await queryCatalog(catalog.address, {
      filter: `project=="${project}" and port==${r.port}`,
    });
    assert.equal(stats.length, 1);
  });
}
