// The journal (docs/journal.md) in one process: a queue closed and opened
// again with the same journal puts back its tasks, with their ids and every
// field; keys are not queued twice; data must be JSON; and bad journals
// (torn, corrupt, foreign, another version, in use by another manager's
// process) are told apart. The crash test with SIGKILL is
// journal_crash_test.ts.

import assert from "node:assert/strict";
import { Task, WorkQueue } from "../mod.ts";
import type { Logger, TaskOptions } from "../mod.ts";
import { spawn, startWorker, tempDir, until } from "./_harness.ts";

const quiet: Logger = () => {};

function queue(journal: string, logger: Logger = quiet): WorkQueue {
  return new WorkQueue({ port: 0, hostname: "127.0.0.1", journal, logger });
}

function fields(dir: string): TaskOptions {
  return {
    command: "cat p > q",
    inputs: [{ buffer: "n=1\n", remote: "p" }, { local: "/etc/hostname", remote: "h" }],
    outputs: [{ local: `${dir}/q`, remote: "q" }],
    env: { SEED: "42" },
    cores: 2,
    memory: 100,
    tag: "mine",
    priority: 3,
    maxRetries: 4,
    category: "cat",
    preferredHosts: ["node7"],
    data: { sample: 7, names: ["a", "b"] },
  };
}

Deno.test("a queue opened again puts back its waiting tasks, with their ids and every field", async () => {
  await using dir = await tempDir();
  const journal = `${dir.path}/run.wqj`;
  {
    await using wq = queue(journal);
    wq.submit(new Task("true"));
    const t = new Task({ ...fields(dir.path), key: "the-key" });
    assert.equal(wq.submit(t), 2);
    assert.equal(wq.cancelById(1)?.id, 1);
  }
  await using wq = queue(journal);
  assert.equal(wq.stats.tasksWaiting, 1);
  assert.equal(wq.submit(new Task("true")), 3, "ids go on");
  const back = wq.cancelById(2)!;
  assert.equal(back.key, "the-key");
  const want = new Task(fields(dir.path));
  const strip = (x: Task) => {
    const j = x.toJSON();
    return [
      j.command,
      j.tag,
      j.data,
      j.inputs,
      j.outputs,
      j.env,
      j.resources,
      j.priority,
      j.category,
      j.maxRetries,
      x.preferredHosts,
      x.algorithm,
    ];
  };
  assert.deepEqual(strip(back), strip(want));
});

Deno.test("a completed task is delivered after a restart without running again; a delivered one is not", async () => {
  await using dir = await tempDir();
  const journal = `${dir.path}/run.wqj`;
  const out = `${dir.path}/out.txt`;
  const mk = (key: string) =>
    new Task({ command: `echo ${key} > o`, outputs: [{ local: out, remote: "o" }], key, cores: 1 });
  {
    await using wq = queue(journal);
    await using _w = startWorker(wq.port, { args: ["--single-shot", "--cores", "1"] });
    const a = await wq.run(mk("a"));
    assert.equal(a.ok, true);
    wq.submit(mk("b"));
    await until(() => wq.stats.tasksDone === 2, "task b to complete");
    wq.shutdownWorkers(0);
  }
  await using wq = queue(journal);
  // No worker: b comes back completed; a was delivered (close() acknowledged it).
  assert.equal(wq.submit(mk("a")), 1, "a's key names task 1");
  assert.equal(wq.submit(mk("b")), 2, "b's key names task 2");
  await assert.rejects(wq.run(mk("a")), /key 'a' names task 1, which was delivered already/);
  const b = await wq.wait({ timeoutMs: 0 });
  assert.equal(b.status, "task");
  if (b.status !== "task") return;
  assert.equal(b.task.id, 2);
  assert.equal(b.task.ok, true);
  assert.equal(b.task.key, "b");
  assert.equal(typeof b.task.measured?.wallSeconds, "number", "the measurement is journalled too");
  assert.equal(await Deno.readTextFile(out), "b\n");
  assert.ok(wq.empty());
  assert.equal(wq.submit(mk("c")), 3);
});

Deno.test("a task handed over and not acknowledged comes back after a restart", async () => {
  await using dir = await tempDir();
  const journal = `${dir.path}/run.wqj`;
  const mk = () => new Task({ command: "echo hi", key: "k", cores: 1 });
  {
    await using wq = queue(journal);
    await using _w = startWorker(wq.port, { args: ["--single-shot", "--cores", "1"] });
    wq.submit(mk());
    const t = await wq.wait(60);
    assert.equal(t?.output, "hi\n");
    wq.shutdownWorkers(0);
    // A crash now would deliver it again; close() acknowledges, so this
    // simulates the crash by reading the journal while the queue is open.
    await new Promise((r) => setTimeout(r, 0));
    const text = await Deno.readTextFile(journal);
    assert.match(text, /"op":"complete","id":1/);
    assert.doesNotMatch(text, /"op":"deliver"/);
    assert.equal(wq.acknowledge(t!), true);
    assert.equal(wq.acknowledge(t!), false);
  }
  assert.match(await Deno.readTextFile(journal), /"op":"deliver","id":1/);
});

Deno.test("a queue with a journal refuses data that is not JSON, in one line", async () => {
  await using dir = await tempDir();
  await using wq = queue(`${dir.path}/run.wqj`);
  assert.throws(
    () => wq.submit(new Task({ command: "true", data: { when: new Date() } })),
    { name: "TypeError", message: /^Cannot submit task: .* data\.when is a Date$/ },
  );
  assert.throws(
    () => wq.submit(new Task({ command: "true", data: { f: () => 1 } })),
    /data\.f is a function/,
  );
  assert.equal(wq.stats.tasksWaiting, 0);
});

async function journalWith(dir: string, tasks: number): Promise<string> {
  const journal = `${dir}/run.wqj`;
  await using wq = queue(journal);
  for (let i = 0; i < tasks; i++) wq.submit(new Task(`echo ${i}`));
  return journal;
}

Deno.test("a torn last record is dropped with a warning", async () => {
  await using dir = await tempDir();
  const journal = await journalWith(dir.path, 3);
  const whole = await Deno.readFile(journal);
  await Deno.writeFile(journal, whole.subarray(0, whole.length - 7));
  const warnings: string[] = [];
  {
    await using wq = queue(journal, (_l, m) => warnings.push(m));
    assert.equal(wq.stats.tasksWaiting, 2);
  }
  assert.match(warnings.join("\n"), /dropped \d+ bytes of a record cut short at offset \d+/);
});

Deno.test("a corrupt, foreign or other-version journal gets one clear error and is left as it is", async () => {
  await using dir = await tempDir();
  const journal = await journalWith(dir.path, 3);
  const whole = await Deno.readFile(journal);
  const lines = new TextDecoder().decode(whole).split("\n");
  const offset = lines[0].length + 1 + lines[1].length + 1; // the second record
  const corrupt = whole.slice();
  corrupt[offset + 20] ^= 0x01;
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "corrupt",
      corrupt,
      new RegExp(`checksum does not match, followed by valid records at offset ${offset};`),
    ],
    [
      "foreign",
      new TextEncoder().encode('{"some":"json"}\n'),
      /not a journal of this program .* at offset 0;/,
    ],
    [
      "version",
      new TextEncoder().encode("#wq-journal 2 work-queue-for-deno\n"),
      /version '2'.* at offset 0;/,
    ],
  ];
  for (const [what, bytes, message] of cases) {
    await Deno.writeFile(journal, bytes);
    assert.throws(() => queue(journal), (e: Error) => {
      assert.equal(e.name, "SyntaxError", what);
      assert.match(e.message, new RegExp(`^Cannot open journal '${journal}': `), what);
      assert.match(e.message, message, what);
      return true;
    });
    assert.deepEqual(await Deno.readFile(journal), bytes, `${what}: the file is unchanged`);
  }
  // The journal's lock was released each time: a good journal opens.
  await Deno.writeFile(journal, whole);
  await using wq = queue(journal);
  assert.equal(wq.stats.tasksWaiting, 3);
});

Deno.test("two managers cannot share a journal: the second gets a clear error", async () => {
  await using dir = await tempDir();
  const journal = `${dir.path}/run.wqj`;
  const script = `${dir.path}/hold.ts`;
  await Deno.writeTextFile(
    script,
    `import { WorkQueue } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
const wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", journal: ${JSON.stringify(journal)} });
console.log("holding " + wq.port);
await new Promise(() => {});`,
  );
  await using other = spawn([Deno.execPath(), "run", "-A", script]);
  await until(() => other.log().includes("holding"), "the other manager to open the journal");
  assert.throws(
    () => queue(journal),
    new RegExp(
      `^Error: Cannot open journal '${journal}': another manager \\(process ${other.child.pid}\\) has it open`,
    ),
  );
  // In one process too.
  other.kill("SIGKILL");
  await other.status;
  await using first = queue(journal);
  assert.throws(() => queue(journal), /another manager .* has it open/);
  assert.equal(first.stats.tasksWaiting, 0);
});
