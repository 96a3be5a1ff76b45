// wq-pool in local mode, run with its exact permission flags: it replaces
// workers that die, and with a project and a catalog it grows towards the
// tasks a manager has and shrinks back when the manager is idle.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { denoRunArgs } from "../tools/entrypoints.ts";
import { startOurCatalog } from "./_catalog.ts";
import { spawn, tempDir, until } from "./_harness.ts";

function started(log: string): string[] {
  return [...log.matchAll(/^pool: started local (\d+)$/gm)].map((m) => m[1]);
}

Deno.test("wq-pool replaces local workers that are killed", async () => {
  await using dir = await tempDir("wq-pool-");
  await using wq = new WorkQueue({ port: 0 });
  await using pool = spawn([
    ...denoRunArgs("pool"),
    "-T",
    "local",
    "--min",
    "2",
    "--max",
    "2",
    "--interval",
    "0.2",
    "--cores",
    "1",
    "-d",
    dir.path,
    "127.0.0.1",
    String(wq.port),
  ]);
  await until(() => wq.stats.workersConnected === 2, "two pool workers to connect");
  const first = started(pool.log());
  assert.equal(first.length, 2, pool.log());
  Deno.kill(Number(first[0]), "SIGKILL");
  await until(() => started(pool.log()).length === 3, `a replacement worker: ${pool.log()}`);
  assert.match(pool.log(), new RegExp(`pool: worker ${first[0]} exited \\(SIGKILL\\)`));
  await until(
    () => wq.stats.workersJoined >= 3 && wq.stats.workersConnected === 2,
    "the replacement to connect",
  );
  wq.submit(new Task("echo ok"));
  const t = await wq.wait(30);
  assert.equal(t?.result, WORK_QUEUE_RESULT_SUCCESS);
  pool.kill("SIGTERM");
  assert.equal((await pool.status).code, 0, pool.log());
  await until(() => wq.stats.workersConnected === 0, "the pool's workers to stop");
});

Deno.test("wq-pool grows towards a manager's tasks and shrinks when it is idle", async () => {
  await using dir = await tempDir("wq-pool-");
  await using catalog = await startOurCatalog();
  await using wq = new WorkQueue({
    port: 0,
    name: "pooltest",
    catalog: `127.0.0.1:${catalog.port}`,
    catalogInterval: 0.2,
  });
  await using pool = spawn([
    ...denoRunArgs("pool"),
    "-T",
    "local",
    "--min",
    "0",
    "--max",
    "3",
    "--interval",
    "0.2",
    "--cores",
    "1",
    "-d",
    dir.path,
    "-M",
    "pool.*",
    "-C",
    `127.0.0.1:${catalog.port}`,
  ]);
  await until(
    () => /pool: target 0 alive 0/.test(pool.log()),
    `the pool to start empty: ${pool.log()}`,
  );
  const gate = `${dir.path}/go`;
  for (let i = 0; i < 5; i++) {
    const t = new Task(`while [ ! -e ${gate} ]; do sleep 0.05; done; echo ${i}`);
    t.specifyCores(1);
    wq.submit(t);
  }
  await until(
    () => /pool: target 3 alive 3/.test(pool.log()),
    `the pool to grow to 3: ${pool.log()}`,
  );
  await until(() => wq.stats.workersConnected === 3, "three workers to connect");
  await Deno.writeTextFile(gate, "");
  for (let i = 0; i < 5; i++) {
    const t = await wq.wait(30);
    assert.equal(t?.result, WORK_QUEUE_RESULT_SUCCESS, t?.failure ?? undefined);
  }
  await until(() =>
    /pool: target 0 alive 0\n(.|\n)*pool: target 0 alive 0/.test(pool.log()) &&
    wq.stats.workersConnected === 0, `the pool to shrink to 0: ${pool.log()}`);
  assert.match(pool.log(), /pool: stopping local \d+/);
});
