/**
 * Watched outputs (`{ watch: true }`, CCTools' `WORK_QUEUE_WATCH`) over
 * loopback: the local file grows while the task still runs, and equals the
 * whole output once it has ended. Our manager with our worker and with
 * CCTools' worker, and CCTools' Python manager with our worker.
 *
 * The task writes a line every 0.3 s, then waits for a file the test makes
 * once it has seen lines arrive, so that "while it runs" does not depend on
 * how fast anything is (CCTools' worker looks at watched files at least every
 * 5 s, ours every second).
 */

import assert from "node:assert/strict";
import { Task, WorkQueue } from "../mod.ts";
import { PYTHON, read, ROOT, spawn, startWorker, tempDir, until } from "./_harness.ts";

const LINES = 16;
const EXPECTED = Array.from({ length: LINES }, (_, i) => `line ${i + 1}\n`).join("") + "done\n";

/** Writes LINES lines to log.txt, 0.3 s apart, waits (at most 120 s) for `release`, ends. */
function command(release: string): string {
  return `i=1; while [ $i -le ${LINES} ]; do echo "line $i" >> log.txt; i=$((i+1)); sleep 0.3; done; ` +
    `n=0; while [ ! -e '${release}' ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n+1)); done; ` +
    `echo done >> log.txt`;
}

async function textOf(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
}

/** Waits until the local file holds whole lines while the task runs; returns its text then. */
async function linesWhileRunning(path: string, running: () => boolean): Promise<string> {
  let text = "";
  await until(
    async () => {
      text = await textOf(path);
      return text.endsWith("\n");
    },
    `lines in ${path} while the task runs`,
    60_000,
  );
  assert.ok(running(), "the task had already ended");
  assert.ok(EXPECTED.startsWith(text), `not a prefix of the output: '${text}'`);
  return text;
}

async function ourManager(cctools: boolean): Promise<void> {
  await using dir = await tempDir("wq-watch-");
  const d = dir.path;
  const log = `${d}/results/log.txt`;
  const warnings: string[] = [];
  await using wq = new WorkQueue({
    port: 0,
    hostname: "127.0.0.1",
    logger: (level, m) => level === "warn" && warnings.push(m),
  });
  await Deno.mkdir(`${d}/ws`);
  await using worker = startWorker(wq.port, {
    cctools,
    args: ["--single-shot", "-t", "60", "-s", `${d}/ws`, "--cores", "1"],
  });
  const task = new Task({
    command: command(`${d}/release`),
    outputs: [{ local: log, remote: "log.txt", watch: true }],
    cores: 1,
  });
  const done = wq.run(task);
  const partial = await linesWhileRunning(log, () => task.state === "running");
  await Deno.writeTextFile(`${d}/release`, "");
  const t = await done;
  assert.equal(t.ok, true, `${t.outcome}: ${t.output}`);
  assert.equal(await read(log), EXPECTED);
  assert.deepEqual(warnings, []);
  wq.shutdownWorkers(0);
  assert.equal((await worker.status).code, 0, worker.log());
  console.log(
    `${cctools ? "CCTools'" : "our"} worker: ${partial.split("\n").length - 1} lines while running`,
  );
}

Deno.test("a watched output grows while the task runs: our manager, our worker", async () => {
  await ourManager(false);
});

Deno.test("a watched output grows while the task runs: our manager, CCTools' worker", async () => {
  await ourManager(true);
});

// deno-lint-ignore no-explicit-any
type Event = Record<string, any>;

function events(log: string): Event[] {
  return log.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

Deno.test("a watched output grows while the task runs: CCTools' Python manager, our worker", async () => {
  await using dir = await tempDir("wq-watch-py-");
  const d = dir.path;
  await Deno.mkdir(`${d}/manager`);
  await Deno.mkdir(`${d}/ws`);
  await using manager = spawn(
    [
      PYTHON,
      `${ROOT}/tests/fixtures/python_manager_watch.py`,
      `${d}/manager`,
      command(`${d}/release`),
    ],
    { env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "1" } },
  );
  await until(() => events(manager.log()).some((e) => e.event === "port"), "the manager's port");
  const port = events(manager.log()).find((e) => e.event === "port")!.port as number;
  await using worker = startWorker(port, { args: ["--single-shot", "-s", `${d}/ws`] });
  // The manager saw lines in its file before the task ended.
  await until(
    () => events(manager.log()).some((e) => e.event === "partial" && e.text.endsWith("\n")),
    `lines at the manager while the task runs\n${manager.log()}`,
    60_000,
  );
  const ev = () => events(manager.log());
  assert.equal(ev().some((e) => e.event === "task"), false, "the task had already ended");
  for (const p of ev().filter((e) => e.event === "partial")) {
    assert.ok(EXPECTED.startsWith(p.text), `not a prefix of the output: '${p.text}'`);
  }
  await Deno.writeTextFile(`${d}/release`, "");
  const context = `\n--- manager:\n${manager.log()}\n--- worker:\n${worker.log()}`;
  assert.equal((await manager.status).code, 0, `manager failed${context}`);
  assert.equal((await worker.status).code, 0, `worker failed${context}`);
  assert.deepEqual(ev().find((e) => e.event === "task"), {
    event: "task",
    result: 0,
    return_status: 0,
  });
  assert.deepEqual(ev().find((e) => e.event === "final"), { event: "final", text: EXPECTED });
});
