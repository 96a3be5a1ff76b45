// The TypeScript-native Task end to end with our worker over loopback:
// new Task({...}), data returned untouched, and the result fields of a
// CompletedTask (ok, outcome, exitCode, signal, the times in ms) for a
// success, a failed command, a killed shell and a task that never ran.

import assert from "node:assert/strict";
import { type CompletedTask, Task, WorkQueue } from "../mod.ts";
import { read, startWorker, tempDir } from "./_harness.ts";

interface Job {
  name: string;
}

Deno.test("CompletedTask: ok, exitCode, signal, data and times, with our worker", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", logger: () => {} });
  await using _w = startWorker(wq.port, { args: ["--single-shot", "-s", d, "--cores", "2"] });
  const jobs = {
    copy: new Task<Job>({
      command: "cat in.txt > out.txt; echo copied",
      inputs: [{ buffer: "hello\n", remote: "in.txt" }],
      outputs: [{ local: `${d}/out.txt`, remote: "out.txt" }],
      cores: 1,
      data: { name: "copy" },
    }),
    exit3: new Task<Job>({ command: "exit 3", cores: 1, data: { name: "exit3" } }),
    killed: new Task<Job>({ command: "kill -KILL $$", cores: 1, data: { name: "killed" } }),
    missing: new Task<Job>({
      command: "cat absent.txt",
      inputs: [{ local: `${d}/absent.txt` }],
      data: { name: "missing" },
    }),
  };
  for (const t of Object.values(jobs)) wq.submit(t);
  const done = new Map<string, CompletedTask<Job>>();
  for await (const t of wq) {
    // The data comes back as it went in: the same object, typed by the caller.
    const job = t.data as Job;
    assert.equal(job, Object.values(jobs).find((j) => j.id === t.id)?.data);
    done.set(job.name, t as CompletedTask<Job>);
  }
  assert.equal(done.size, 4);

  const copy = done.get("copy")!;
  assert.deepEqual([copy.ok, copy.outcome, copy.exitCode, copy.signal, copy.failure], [
    true,
    "success",
    0,
    null,
    null,
  ]);
  assert.equal(copy.output, "copied\n");
  assert.equal(await read(`${d}/out.txt`), "hello\n");
  assert.equal(copy.hostname === null, false);
  // The new times are in ms; CCTools' names keep CCTools' units.
  assert.equal(copy.runMs, copy.executionTime! / 1000);
  assert.equal(copy.submittedAt, copy.submitTime);
  assert.equal(copy.dispatchedAt, copy.dispatchTime);
  assert.equal(copy.finishedAt, copy.finishTime);

  const exit3 = done.get("exit3")!;
  assert.deepEqual([exit3.ok, exit3.outcome, exit3.exitCode, exit3.signal, exit3.returnStatus], [
    false,
    "success",
    3,
    null,
    3,
  ]);

  // The shell killed by a signal: CCTools' wire says success with the
  // signal's number. A worker that names the signal makes it "signal".
  const killed = done.get("killed")!;
  assert.equal(killed.ok, false);
  assert.equal(killed.returnStatus, 9);
  // Our worker names it (info task-signal); CCTools' cannot (tests/task_signal_test.ts).
  assert.deepEqual([killed.outcome, killed.exitCode, killed.signal], ["signal", null, "SIGKILL"]);

  const missing = done.get("missing")!;
  assert.deepEqual(
    [missing.ok, missing.outcome, missing.exitCode, missing.returnStatus, missing.signal],
    [false, "input-missing", null, -1, null],
  );
  assert.deepEqual([missing.host, missing.dispatchedAt, missing.runMs], [null, null, null]);
  assert.match(missing.failure ?? "", /absent\.txt/);

  // What JSON.stringify and console.log show of a completed task.
  const json = JSON.parse(JSON.stringify(exit3));
  assert.deepEqual([json.data, json.ok, json.exitCode, json.outcome], [
    { name: "exit3" },
    false,
    3,
    "success",
  ]);
  assert.match(Deno.inspect(exit3, { colors: false }), /^Task \{[^]*exitCode: 3/);
  wq.shutdownWorkers(0);
});

// The issue's own words: a script awaits one task and reads its fields with
// no undefined checks (this file type-checks only if that holds).
Deno.test("await wq.run(new Task({ command, data })) gives ok, exitCode, signal and data, all defined", async () => {
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", logger: () => {} });
  await using _w = startWorker(wq.port, { args: ["--single-shot", "--cores", "2"] });
  const done = await wq.run(new Task({ command: "exit 3", data: { n: 1 } }));
  assert.equal(done.ok, false);
  assert.equal(done.exitCode, 3);
  assert.equal(done.signal, null);
  assert.equal(done.data.n, 1);
  const runSeconds: number = (done.runMs ?? 0) / 1000; // runMs is null only if it never ran
  assert.ok(runSeconds >= 0);
  // The command runs as `/bin/sh -c COMMAND`: here that shell kills itself.
  const killed = await wq.run(new Task({ command: "kill -KILL $$", data: "k" }));
  assert.equal(killed.signal, "SIGKILL");
  assert.equal(killed.exitCode, null);
  assert.equal(killed.outcome, "signal");
  assert.equal(killed.data, "k");
  wq.shutdownWorkers(0);
});
