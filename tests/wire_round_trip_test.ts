/**
 * Round trips through the real code of both ends, with lib/wire/ between
 * them and no socket: what the manager's `queueTask()`/`queueCleanup()`
 * write, the worker's parsers and receivers read back as the same task,
 * with the same bytes in its cache; and what the worker's encoders and
 * `sendCacheEntry()` write, the manager's `WorkerConn` reads back as the
 * same handshake, results and output files. Each stream is fed whole, byte
 * by byte and at random splits.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readerOf as cutReader, type Split, SPLITS } from "../lib/wire/_testing.ts";
import { Core } from "../lib/manager/core.ts";
import { type Dispatch, stageInputs } from "../lib/manager/staging.ts";
import { bookCachedInputs, queueCleanup, queueTask } from "../lib/manager/transfer.ts";
import {
  type ConnHost,
  type OutputOutcome,
  WorkerConn,
  type WorkerResult,
} from "../lib/manager/worker_conn.ts";
import { WorkerInfo } from "../lib/manager/worker_info.ts";
import { allocationFor, type Resources } from "../lib/resources.ts";
import { Task } from "../lib/task.ts";
import { parseCommand } from "../lib/wire/commands.ts";
import { FLAG_WATCH } from "../lib/wire/protocol.ts";
import { FrameWriter } from "../lib/wire/frame_writer.ts";
import type { ByteSink, LineReader } from "../lib/wire/line_reader.ts";
import { encodeResultsReplyLine, type ResultHeader } from "../lib/wire/results.ts";
import { readTaskBlock, type TaskBlock } from "../lib/wire/task_block.ts";
import { encodeHandshake, encodeWorkerMessage } from "../lib/wire/worker_messages.ts";
import { receiveDir, receivePut } from "../lib/worker/receive_files.ts";
import { OutputWatcher } from "../lib/worker/output_watcher.ts";
import { sendCacheEntry } from "../lib/worker/send_files.ts";
import { Workspace } from "../lib/worker/workspace.ts";

/** A reader over fixed bytes, cut as asked (random cuts of up to 9 bytes, from a fixed seed). */
function readerOf(bytes: Uint8Array, split: Split): LineReader {
  return cutReader(bytes, split, 2463534242, 9);
}

/** A sink that keeps everything written. */
class Memory implements ByteSink {
  #chunks: Uint8Array[] = [];
  write(p: Uint8Array): Promise<number> {
    this.#chunks.push(p.slice());
    return Promise.resolve(p.length);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.#chunks.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const c of this.#chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

/** Every file and directory under `dir`, with file contents, as sorted `path: content` lines. */
async function tree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) {
      out.push(`${prefix}${e.name}/`, ...await tree(path, `${prefix}${e.name}/`));
    } else {
      out.push(`${prefix}${e.name}: ${await Deno.readTextFile(path)}`);
    }
  }
  return out.sort();
}

async function write(path: string, text: string | Uint8Array): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (typeof text === "string") await Deno.writeTextFile(path, text);
  else await Deno.writeFile(path, text);
}

const TOTAL: Resources = { cores: 8, memory: 16000, disk: 100000, gpus: 2 };
const big = Array.from({ length: 40_000 }, (_, i) => String.fromCharCode(32 + (i * 31) % 95)).join(
  "",
);

/** Tasks of many shapes, over files made in `dir`. */
async function shapes(dir: string): Promise<Task[]> {
  await write(`${dir}/in file.txt`, "cached input\n");
  await write(`${dir}/100%.dat`, "percent\n");
  await write(`${dir}/big.txt`, big);
  await write(`${dir}/tree/a b.txt`, "A\n");
  await write(`${dir}/tree/sub dir/ünï.txt`, "U\n");
  await write(`${dir}/tree/sub dir/deeper/x`, "");
  await Deno.mkdir(`${dir}/tree/empty`, { recursive: true });
  await Deno.mkdir(`${dir}/emptydir`, { recursive: true });

  const one = new Task("cat 'in file.txt' 'buf%.txt' > 'out put.txt'; echo done")
    .specifyInputFile(`${dir}/in file.txt`, "in file.txt")
    .specifyInputBuffer("x=1\ny = 2\n", "buf%.txt", { cache: false })
    .specifyInputFile(`${dir}/100%.dat`, "sub/100%.dat", { cache: false })
    .specifyOutputFile(`${dir}/out/out put.txt`, "out put.txt")
    .specifyOutputFile(`${dir}/out/100%.txt`, "results/100%.txt", { cache: true })
    .specifyOutputFile(`${dir}/out/log.txt`, "log.txt", { cache: true, watch: true })
    .specifyEnvironmentVariable("A", "b=c=d")
    .specifyEnvironmentVariable("EMPTY", "")
    .specifyEnvironmentVariable("EQ", "=")
    .specifyEnvironmentVariable("U", "ünï ✓")
    .specifyEnvironmentVariable("LINES", "one\ntwo\n")
    .specifyCores(2)
    .specifyMemory(100)
    .specifyDisk(50);
  one.category = "my category";

  // Reuses the cached input (no second put), with a tree, an empty directory and an output tree.
  const two = new Task("ls -R tree emptydir > listing; mkdir -p outdir")
    .specifyInputFile(`${dir}/in file.txt`, "again/in file.txt")
    .specifyDirectory(`${dir}/tree`, "tree", { type: "input", recursive: true })
    .specifyDirectory(`${dir}/emptydir`, "emptydir", { type: "input" })
    .specifyDirectory(`${dir}/out/outdir`, "outdir", { type: "output" })
    .specifyGpus(1);

  // Asks for nothing: the whole worker.
  const three = new Task("echo 'héllo wörld'\necho 'end'\nexit 3")
    .specifyInputBuffer(new Uint8Array([0, 1, 2, 10, 255]), "bin.dat");

  // A large body, uncached, with a cached buffer.
  const four = new Task("wc -c big.txt")
    .specifyInputFile(`${dir}/big.txt`, "big.txt", { cache: false })
    .specifyInputBuffer("params\n", "params.txt")
    .specifyMemory(1);

  const tasks = [one, two, three, four];
  tasks.forEach((t, i) => t.id = i + 1);
  return tasks;
}

/** The cache names our manager gives outputs (as work_queue.ts does). */
function outputNames(t: Task): string[] {
  return t.outputs.map((o, i) =>
    `file-${t.id}.${i}-${o.remote.replace(/[^A-Za-z0-9._-]/g, "_").slice(-64)}`
  );
}

/** What the worker must read for a task the manager dispatched. */
function expectedBlock(t: Task, d: Dispatch): TaskBlock {
  return {
    id: t.id,
    command: t.command,
    category: t.category.replace(/\s/g, "_"),
    request: d.alloc,
    env: [...t.environment],
    inputs: d.inputs.map((i) =>
      i.kind === "emptydir"
        ? { kind: "dir", remoteName: i.remote }
        : { kind: "file", cachedName: i.name, remoteName: i.remote, flags: i.cache ? 1 : 0 }
    ),
    outputs: t.outputs.map((o, i) => ({
      cachedName: d.outputNames[i],
      remoteName: o.remote,
      flags: (o.cache ? 1 : 0) | (o.watch ? 16 : 0),
    })),
  };
}

Deno.test("what the manager sends, the worker reads back: task blocks, uploads, clean-up", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const tasks = await shapes(dir);
    const worker = new WorkerInfo(1, "127.0.0.1:1");
    worker.total = { ...TOTAL };
    const sink = new Memory();
    const writer = new FrameWriter(sink);
    const dispatches: Dispatch[] = [];
    for (const task of tasks) {
      const staged = await stageInputs(task);
      assert.ok("inputs" in staged, JSON.stringify(staged));
      const d: Dispatch = {
        worker,
        alloc: allocationFor(task.resources, TOTAL),
        inputs: staged.inputs,
        outputNames: outputNames(task),
      };
      dispatches.push(d);
      queueTask(writer, task, d);
      bookCachedInputs(task, d); // as the reactor does after sending
      queueCleanup(writer, task, d);
    }
    await writer.flushed();
    const bytes = sink.bytes();

    for (const split of SPLITS) {
      await t.step(split, async () => {
        const ws = await Workspace.create(`${dir}/ws-${split}`);
        const r = readerOf(bytes, split);
        const blocks: TaskBlock[] = [];
        const uploads: string[] = [];
        const cleanup: string[] = [];
        const unknown: string[] = [];
        for (;;) {
          const line = await r.readLine();
          if (line === null) break;
          const c = parseCommand(line);
          if (c.kind === "put") {
            await receivePut(r, c, { workspace: ws });
            uploads.push(c.name);
          } else if (c.kind === "dir") {
            await receiveDir(r, c, { workspace: ws });
            uploads.push(c.name);
          } else if (c.kind === "task") {
            blocks.push(await readTaskBlock(r, c.id, { onUnknown: (l) => unknown.push(l) }));
          } else if (c.kind === "kill") {
            cleanup.push(`kill ${c.id}`);
          } else if (c.kind === "unlink") {
            cleanup.push(`unlink ${c.name}`);
          } else {
            assert.fail(`unexpected command '${line}'`);
          }
        }
        assert.deepEqual(unknown, []);
        assert.deepEqual(blocks, tasks.map((task, i) => expectedBlock(task, dispatches[i])));

        // Every input is in the worker's cache under the name the block uses, whole.
        for (const [i, task] of tasks.entries()) {
          for (const [j, spec] of task.inputs.entries()) {
            const staged = dispatches[i].inputs[j];
            if (spec.kind !== "file" && spec.kind !== "buffer") continue;
            if (staged.kind === "emptydir") continue;
            const cached = ws.cachePath(staged.name);
            if (spec.kind === "buffer") {
              assert.deepEqual(await Deno.readFile(cached), spec.data);
            } else if (staged.kind === "dir") {
              assert.deepEqual(await tree(cached), await tree(spec.local));
            } else {
              assert.deepEqual(await Deno.readFile(cached), await Deno.readFile(spec.local));
            }
          }
        }
        // The cached input of task 1 was sent once, though task 2 uses it too.
        const inFile = dispatches[0].inputs[0];
        assert.ok(inFile.kind === "file");
        assert.equal(uploads.filter((n) => n === inFile.name).length, 1);
        assert.equal(
          blocks[1].inputs[0].kind === "file" && blocks[1].inputs[0].cachedName,
          inFile.name,
        );
        // Clean-up: kill each task and unlink what is not cached.
        const expected: string[] = [];
        for (const [i, task] of tasks.entries()) {
          expected.push(`kill ${task.id}`);
          for (const input of dispatches[i].inputs) {
            if (input.kind !== "emptydir" && !input.cache) expected.push(`unlink ${input.name}`);
          }
          task.outputs.forEach((o, j) => {
            if (!o.cache) expected.push(`unlink ${dispatches[i].outputNames[j]}`);
          });
        }
        assert.deepEqual(cleanup, expected);
        assert.deepEqual(blocks[2].request, TOTAL, "a task that asks for nothing takes the worker");
        await ws.remove();
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("what the worker sends, the manager reads back: handshake, results, outputs", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    // The worker's side: outputs in its cache, as stageOut leaves them.
    const ws = await Workspace.create(`${dir}/worker`);
    const specs = [
      { id: 1, outputs: ["out put.txt", "outdir"] },
      { id: 2, outputs: ["never.txt"] }, // forsaken: its outputs are not fetched
      { id: 3, outputs: ["missing.txt"] }, // ran, but made no output
      { id: 4, outputs: [] },
    ];
    const names = new Map(
      specs.map((
        s,
      ) => [s.id, s.outputs.map((o, i) => `file-${s.id}.${i}-${o.replace(/ /g, "_")}`)]),
    );
    await write(ws.cachePath(names.get(1)![0]), "first output\n");
    await write(`${ws.cachePath(names.get(1)![1])}/a b.txt`, "A\n");
    await write(`${ws.cachePath(names.get(1)![1])}/sub dir/ünï 100%.txt`, "U\n");
    await write(`${ws.cachePath(names.get(1)![1])}/sub dir/empty.txt`, "");
    await Deno.mkdir(`${ws.cachePath(names.get(1)![1])}/empty`);
    const results: [ResultHeader, string][] = [
      [{ status: 0, exitCode: 0, stdoutLength: 0, execUsec: 2359, taskId: 1 }, "task-one\nend\n"],
      [{ status: 40, exitCode: 0, stdoutLength: 0, execUsec: 0, taskId: 2 }, ""],
      [
        { status: 0, exitCode: 3, stdoutLength: 0, execUsec: 12, taskId: 3 },
        "result 0 0 0 0 9\nhé",
      ],
      [{ status: 0, exitCode: 9, stdoutLength: 0, execUsec: 5_000_000, taskId: 4 }, big],
    ];
    const enc = new TextEncoder();
    for (const r of results) r[0].stdoutLength = enc.encode(r[1]).length;

    const sink = new Memory();
    const w = new FrameWriter(sink);
    const total = { cores: 4, memory: 512, disk: 1000, gpus: 1 };
    w.send(
      encodeHandshake(
        { hostname: "node-1", os: "Linux", arch: "x86_64", workerId: "worker-ab" },
        total,
      ),
    );
    w.send(encodeWorkerMessage({ kind: "info", field: "tasks_running", value: "4" }));
    w.send(encodeWorkerMessage({ kind: "available_results" }));
    for (const [h, stdout] of results) {
      // Ours: the signal that killed task 4's shell, just before its result.
      if (h.taskId === 4) {
        w.send(encodeWorkerMessage({ kind: "task_signal", taskId: 4, signal: "SIGKILL" }));
      }
      w.send(encodeResultsReplyLine({ kind: "result", ...h }));
      w.send(stdout);
      // Asynchronous messages come between the entries of a reply.
      w.send(encodeWorkerMessage({ kind: "info", field: "tasks_running", value: "0" }));
    }
    w.send(encodeResultsReplyLine({ kind: "end" }));
    for (const id of [1, 3]) {
      for (const name of names.get(id)!) {
        await sendCacheEntry(w, ws, name, { recursive: true });
        w.send(encodeWorkerMessage({ kind: "alive" }));
      }
    }
    await w.flushed();
    const bytes = sink.bytes();

    for (const split of SPLITS) {
      await t.step(split, async () => {
        const out = `${dir}/manager-${split}`;
        const info = new WorkerInfo(1, "127.0.0.1:1");
        const core = new Core();
        const tasks = new Map<number, Task>();
        for (const s of specs) {
          const task = new Task("true");
          task.id = s.id;
          for (const o of s.outputs) task.specifyOutputFile(`${out}/${s.id}/${o}`, o);
          const d = { worker: info, alloc: total, inputs: [], outputNames: names.get(s.id)! };
          core.transition(task, "ready");
          core.transition(task, "sending", { dispatch: d });
          core.transition(task, "running");
          tasks.set(s.id, task);
        }
        const got = new Map<number, { result: WorkerResult; outputs: OutputOutcome[] }>();
        let updates = 0;
        const host: ConnHost = {
          onWorkerUpdate: () => updates++,
          taskOn: (_w, id) => tasks.get(id),
          outputNames: (task) => names.get(task.id)!,
          onTaskReceiving: () => {},
          onTaskResult: (_w, task, result, outputs) => got.set(task.id, { result, outputs }),
          onCacheUpdate: () => {},
          onCacheInvalid: () => {},
          log: () => {},
        };
        const requests = new Memory();
        const reader = readerOf(bytes, split);
        const conn = new WorkerConn(info, { reader, writer: new FrameWriter(requests) }, host, {
          maxStdout: 1 << 20,
        });
        await conn.run((await reader.readLine())!);
        await conn.writer.flushed();

        // The handshake.
        assert.equal(updates > 0 && info.ready, true);
        assert.deepEqual(
          [info.hostname, info.os, info.arch, info.version, info.workerId],
          ["node-1", "Linux", "x86_64", "8.0.0", "worker-ab"],
        );
        assert.deepEqual(info.total, total);
        // The results, whole.
        for (const [h, stdout] of results) {
          assert.deepEqual(got.get(h.taskId)?.result, {
            taskId: h.taskId,
            status: h.status,
            exitCode: h.exitCode,
            execUsec: h.execUsec,
            stdout,
            stdoutTruncated: false,
            stdoutLength: h.stdoutLength,
            ...(h.taskId === 4 ? { signal: "SIGKILL" } : {}),
          });
        }
        // The outputs: task 1's file and tree, task 3's missing file; none for the forsaken task.
        assert.deepEqual(
          got.get(1)?.outputs,
          tasks.get(1)!.outputs.map((o) => ({ local: o.local })),
        );
        assert.equal(await Deno.readTextFile(`${out}/1/out put.txt`), "first output\n");
        assert.deepEqual(await tree(`${out}/1/outdir`), await tree(ws.cachePath(names.get(1)![1])));
        assert.deepEqual(got.get(2)?.outputs, []);
        assert.match(got.get(3)?.outputs[0].missing ?? "", /was not produced/);
        // What the manager asked for, read with the worker's grammar.
        const asked = new TextDecoder().decode(requests.bytes()).split("\n").slice(0, -1);
        assert.deepEqual(asked.map(parseCommand), [
          { kind: "send_results" },
          ...[1, 3].flatMap((id) =>
            names.get(id)!.map((name) => ({ kind: "get", name, recursive: true }))
          ),
        ]);
      });
    }
    await ws.remove();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("update records the worker's watcher sends land in the manager's file; bad ones are skipped", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    // The worker's side: a task's sandbox with a watched log, sent as it grows and after it shrank.
    const sandbox = `${dir}/t.5`;
    await Deno.mkdir(sandbox);
    const watcher = new OutputWatcher({ maxBytes: 10 });
    watcher.add(5, sandbox, [
      { cachedName: "file-5-log", remoteName: "log.txt", flags: FLAG_WATCH },
      { cachedName: "file-5-other", remoteName: "other.txt", flags: 0 },
    ]);
    const sink = new Memory();
    const w = new FrameWriter(sink);
    const enc = new TextEncoder();
    const reply = async (extra: (w: FrameWriter) => void = () => {}) => {
      w.send(encodeWorkerMessage({ kind: "available_results" }));
      extra(w);
      for (const u of await watcher.collect()) {
        w.send(encodeResultsReplyLine({ kind: "update", ...u.header }));
        w.send(u.bytes);
        w.send(encodeWorkerMessage({ kind: "info", field: "tasks_running", value: "1" }));
      }
      w.send(encodeResultsReplyLine({ kind: "end" }));
    };
    const bad =
      (taskId: number, remotePath: string, offset: number, body: string) => (w: FrameWriter) => {
        w.send(
          encodeResultsReplyLine({
            kind: "update",
            taskId,
            remotePath,
            offset,
            length: body.length,
          }),
        );
        w.send(enc.encode(body));
      };
    w.send(
      encodeHandshake(
        { hostname: "node-1", os: "Linux", arch: "x86_64", workerId: "w" },
        { cores: 1, memory: 1, disk: 1, gpus: 0 },
      ),
    );
    await Deno.writeTextFile(`${sandbox}/log.txt`, "line 1\nline 2\n"); // 14 bytes: 10, then 4
    await reply((w) => {
      bad(99, "log.txt", 0, "stale task\n")(w); // not running here
      bad(5, "other.txt", 0, "not watched\n")(w); // an output, but not a watched one
      bad(5, "log.txt", 1000, "past the end\n")(w); // would leave a hole
    });
    await reply();
    await Deno.writeTextFile(`${sandbox}/log.txt`, "line 3\n", { append: true });
    await reply();
    await Deno.writeTextFile(`${sandbox}/log.txt`, "new\n"); // rewritten shorter: sent from 0
    await reply();
    await w.flushed();
    const bytes = sink.bytes();

    for (const split of SPLITS) {
      await t.step(split, async () => {
        const out = `${dir}/manager-${split}`;
        const info = new WorkerInfo(1, "127.0.0.1:1");
        const core = new Core();
        const task = new Task("true")
          .specifyOutputFile(`${out}/log.txt`, "log.txt", { watch: true })
          .specifyOutputFile(`${out}/other.txt`, "other.txt");
        task.id = 5;
        const d = { worker: info, alloc: info.total, inputs: [], outputNames: ["a", "b"] };
        core.transition(task, "ready");
        core.transition(task, "sending", { dispatch: d });
        core.transition(task, "running");
        const logs: string[] = [];
        const seen: string[] = [];
        const host: ConnHost = {
          onWorkerUpdate: () => {},
          taskOn: (_w, id) => id === 5 ? task : undefined,
          outputNames: () => ["a", "b"],
          onTaskReceiving: () => {},
          onTaskResult: () => assert.fail("no result was sent"),
          onCacheUpdate: () => {},
          onCacheInvalid: () => {},
          log: (level, m) => logs.push(`${level}: ${m}`),
        };
        const requests = new Memory();
        const reader = readerOf(bytes, split);
        const conn = new WorkerConn(info, { reader, writer: new FrameWriter(requests) }, host, {
          maxStdout: 1 << 20,
        });
        // The local file as each request goes out (after the reply before it): it grows, then shrinks.
        const send = conn.writer.send.bind(conn.writer);
        conn.writer.send = (data) => {
          seen.push(Deno.readTextFileSync(`${out}/log.txt`));
          return send(data);
        };
        await Deno.mkdir(out, { recursive: true });
        await Deno.writeTextFile(`${out}/log.txt`, "");
        await conn.run((await reader.readLine())!);
        await conn.writer.flushed();
        assert.deepEqual(seen, ["", "line 1\nlin", "line 1\nline 2\n", "line 1\nline 2\nline 3\n"]);
        assert.equal(await Deno.readTextFile(`${out}/log.txt`), "new\n");
        await assert.rejects(Deno.stat(`${out}/other.txt`), Deno.errors.NotFound);
        assert.deepEqual(logs, [
          "debug: worker node-1 (127.0.0.1:1) sent 11 bytes of 'log.txt' at 0 for task 99, which is not running on it: ignored",
          "warn: worker node-1 (127.0.0.1:1) sent 12 bytes of 'other.txt' at 0 for task 5: dropped, because 'other.txt' is not a watched output of the task",
          `warn: worker node-1 (127.0.0.1:1) sent 13 bytes of 'log.txt' at 1000 for task 5: dropped, because offset 1000 is past the end of '${out}/log.txt' (0 bytes)`,
        ]);
        const asked = new TextDecoder().decode(requests.bytes()).split("\n").slice(0, -1);
        assert.deepEqual(asked.map(parseCommand), Array(4).fill({ kind: "send_results" }));
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
