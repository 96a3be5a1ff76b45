// Our manager against the worker side of two CCTools 7.17 (protocol 11) sessions, replayed
// from tests/fixtures/p11/: what it sends must match what the 7.17 manager sent there.

import assert from "node:assert/strict";
import { Task, WorkQueue } from "../mod.ts";
import { tempDir, until } from "./_harness.ts";
import { FakeWorker } from "./_fake_worker.ts";
import { fixture, managerLines, normalize, parseWorkerStream, replay } from "./_trace_replay.ts";

const decoder = new TextDecoder();

/** The worker's handshake as recorded (up to `info worker-end-time`). */
async function recordedHandshake(name: string): Promise<string> {
  const text = decoder.decode(await fixture(name));
  const end = text.indexOf("info worker-end-time 0\n") + "info worker-end-time 0\n".length;
  return text.slice(0, end);
}

/** A FakeWorker that sends a trace's recorded handshake, and the replay of the rest of its side. */
async function replayed(port: number, trace: string) {
  const recorded = await fixture(`${trace}.worker_to_manager.raw.txt`);
  const w = await FakeWorker.connect(port, {
    answerChecks: true,
    handshake: await recordedHandshake(`${trace}.worker_to_manager.raw.txt`),
  });
  return { w, playing: replay(w, parseWorkerStream(recorded)) };
}

Deno.test("trace 02: puturl/putcmd, cache-update, cache-invalid from a replayed 7.17 worker", async () => {
  const logs: string[] = [];
  await using wq = new WorkQueue({ port: 0, logger: (level, m) => logs.push(`${level}: ${m}`) });
  const { w, playing } = await replayed(wq.port, "02_url_command");
  try {
    const tasks = [
      new Task("cat data.txt").specifyUrl("http://127.0.0.1:40325/data.txt", "data.txt"),
      new Task("wc -c < data.txt").specifyUrl("http://127.0.0.1:40325/data.txt", "data.txt"),
      new Task("head -c 60 nf.txt; echo; wc -c < nf.txt")
        .specifyUrl("http://127.0.0.1:40325/no-such-file.txt", "nf.txt", { cache: false }),
      new Task("cat x.txt").specifyUrl("http://127.0.0.1:44183/x.txt", "x.txt", { cache: false }),
      new Task("cat gen.txt").specifyFileCommand("echo made-by-putcmd > %%", "gen.txt"),
      new Task("cat gen.txt; echo again").specifyFileCommand("echo made-by-putcmd > %%", "gen.txt"),
      new Task({
        command: "cat bad.txt",
        inputs: [{ command: "echo cannot make %%; exit 3", remote: "bad.txt", cache: false }],
      }),
    ];
    for (const t of tasks) {
      wq.submit(t);
      assert.equal(await wq.wait(30), t);
    }
    // The clean-up after the last result.
    await until(() => w.transcript.at(-1)?.startsWith("unlink cmd-") ?? false, "the last unlink");
    const keep = /^(puturl|putcmd|infile|unlink|kill) /;
    assert.deepEqual(
      w.transcript.filter((l) => keep.test(l)).map(normalize),
      managerLines(await fixture("02_url_command.manager_to_worker.raw.txt"), keep),
    );
    assert.deepEqual(tasks.map((t) => t.outcome), [
      "success",
      "success",
      "success",
      "input-missing",
      "success",
      "success",
      "input-missing",
    ]);
    assert.deepEqual(tasks.map((t) => t.output).slice(0, 2), ["served over http\n", "17\n"]);
    assert.equal(tasks[5].output, "made-by-putcmd\nagain\n");
    assert.match(
      tasks[3].failure!,
      /^input URL 'http:\/\/127\.0\.0\.1:44183\/x\.txt' \(x\.txt\) could not be made on worker vm \(127\.0\.0\.1:\d+\): curl: \(7\) Failed to connect to 127\.0\.0\.1 port 44183 after 0 ms: Couldn't connect to server$/,
    );
    assert.match(
      tasks[6].failure!,
      /^input command 'echo cannot make %%; exit 3' \(bad\.txt\) could not be made on worker vm \(127\.0\.0\.1:\d+\): cannot make \/tmp\/\S+\/cache\/cmd-7-752c5a422bde7f7140ae3d6669e08d53$/,
    );
    assert.ok(
      logs.some((l) =>
        /^warn: vm \(127\.0\.0\.1:\d+\) invalidated url-\d+-834e66a5842008b964aef083596f672e: curl: \(7\)/
          .test(l)
      ),
      logs.join("\n"),
    );
    assert.equal(wq.stats.workersConnected, 1, "the worker stays connected");
  } finally {
    w.close();
    await playing;
  }
});

Deno.test("trace 01: a replayed 7.17 worker gets files, buffers and outputs as the 7.17 manager sent them", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/in.txt`, "hello from in.txt\n");
  await using wq = new WorkQueue({ port: 0 });
  const { w, playing } = await replayed(wq.port, "01_session");
  try {
    const one = new Task(
      'cat in.txt buf.txt > out.txt; echo task-one-stdout; echo "FOO=$FOO CORES=$CORES"',
    )
      .specifyInputFile(`${dir.path}/in.txt`, "in.txt")
      .specifyInputBuffer("buffer-line\n", "buf.txt", { cache: false })
      .specifyOutputFile(`${dir.path}/out.txt`, "out.txt")
      .specifyEnvironmentVariable("FOO", "bar");
    const two = new Task('cat in.txt > out2.txt; echo "FOO is $FOO"; exit 3')
      .specifyInputFile(`${dir.path}/in.txt`, "in.txt")
      .specifyOutputFile(`${dir.path}/out2.txt`, "out2.txt");
    for (const t of [one, two]) {
      wq.submit(t);
      assert.equal(await wq.wait(5), t, w.transcript.join("\n"));
    }
    await until(() => w.transcript.at(-1) === "unlink file-2.0-out2.txt", "the last unlink");
    const keep = /^(put|infile|outfile|get|unlink|kill) /;
    const raw = decoder.decode(await fixture("01_session.manager_to_worker.raw.txt"));
    const firstTwo = new TextEncoder().encode(raw.slice(0, raw.indexOf("\ndir file-")));
    assert.deepEqual(
      w.transcript.filter((l) => keep.test(l)).map(normalize),
      managerLines(firstTwo, keep),
    );
    assert.deepEqual([one.outcome, one.exitCode, two.exitCode], ["success", 0, 3]);
    assert.equal(one.output, "task-one-stdout\nFOO=bar CORES=1\n");
    assert.equal(
      await Deno.readTextFile(`${dir.path}/out.txt`),
      "hello from in.txt\nbuffer-line\n",
    );
    assert.equal(await Deno.readTextFile(`${dir.path}/out2.txt`), "hello from in.txt\n");
    assert.equal(wq.stats.workersConnected, 1);
  } finally {
    w.close();
    await playing;
  }
});
