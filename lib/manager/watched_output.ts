/**
 * Landing an `update` record of a watched output (`FLAG_WATCH`): the bytes a
 * running task appended to the file in its sandbox, written at their offset
 * into the local file, which then ends where they end (as CCTools' manager
 * does). The whole file still comes back with the task's other outputs when
 * it ends, and replaces what was streamed.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { errorMessage } from "../errors.ts";
import type { OutputSpec } from "../task_files.ts";
import type { ByteSink, LineReader } from "../wire/line_reader.ts";
import { clip } from "../wire/protocol.ts";
import type { ConnHost } from "./conn_host.ts";
import type { WorkerInfo } from "./worker_info.ts";
import type { UpdateHeader } from "../wire/results.ts";

/**
 * Writes one update into the local file of the watched output it names.
 * `copy` must read the whole body and write it to the sink it is given, or
 * drop it when given `null`; it is always called once, so that the reply
 * stream stays in step. A record that names no watched output of the task,
 * or starts past the end of what the local file holds, is dropped.
 *
 * @param outputs The task's outputs.
 * @param update The record's header.
 * @param copy Streams the body.
 * @returns Why the record was dropped or not written, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const outputs = [{ local: `${dir}/log.txt`, remote: "log.txt", cache: false, watch: true as const }];
 * const body = (text: string) => (sink: { write(p: Uint8Array): Promise<number> } | null) =>
 *   sink ? sink.write(new TextEncoder().encode(text)).then(() => {}) : Promise.resolve();
 * const update = { taskId: 1, remotePath: "log.txt", offset: 0, length: 3 };
 * assert.equal(await landUpdate(outputs, update, body("one")), undefined);
 * assert.equal(await landUpdate(outputs, { ...update, offset: 3 }, body("two")), undefined);
 * assert.equal(await Deno.readTextFile(`${dir}/log.txt`), "onetwo");
 * assert.equal(
 *   await landUpdate(outputs, { ...update, remotePath: "other.txt" }, body("xyz")),
 *   "'other.txt' is not a watched output of the task",
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function landUpdate(
  outputs: readonly OutputSpec[],
  update: UpdateHeader,
  copy: (sink: ByteSink | null) => Promise<void>,
): Promise<string | undefined> {
  const spec = outputs.find((o) => o.watch && o.remote === update.remotePath);
  if (spec === undefined) {
    await copy(null);
    return `'${update.remotePath}' is not a watched output of the task`;
  }
  const local = resolve(spec.local);
  let file: Deno.FsFile | undefined;
  let failure: string | undefined;
  try {
    await Deno.mkdir(dirname(local), { recursive: true });
    file = await Deno.open(local, { write: true, create: true });
    const size = (await file.stat()).size;
    if (update.offset > size) {
      failure = `offset ${update.offset} is past the end of '${local}' (${size} bytes)`;
      file.close();
      file = undefined;
    } else {
      await file.seek(update.offset, Deno.SeekMode.Start);
    }
  } catch (e) {
    failure = `cannot open '${local}': ${errorMessage(e)}`;
    file?.close();
    file = undefined;
  }
  const f = file;
  if (f === undefined) {
    await copy(null);
    return failure;
  }
  try {
    await copy({
      async write(p: Uint8Array): Promise<number> {
        if (failure !== undefined) return p.length;
        try {
          return await f.write(p);
        } catch (e) {
          failure = `cannot write '${local}': ${errorMessage(e)}`;
          return p.length;
        }
      },
    });
    if (failure === undefined) {
      // Ends where the record ends: a shorter attempt (a retry) leaves no stale tail.
      await f.truncate(update.offset + update.length).catch((e) => {
        failure = `cannot truncate '${local}': ${errorMessage(e)}`;
      });
    }
  } finally {
    f.close();
  }
  return failure;
}

/**
 * Lands an `update` record of a task running on a worker (its body is
 * read from `reader`); one for any other task (stale: it ended or was
 * cancelled), or naming no watched output of it, is dropped and logged.
 *
 * @param host Where the connection reports (the task, the log).
 * @param w The worker.
 * @param reader The connection's reader, just after the record's line.
 * @param u The record.
 */
export async function landUpdateOf(
  host: ConnHost,
  w: WorkerInfo,
  reader: LineReader,
  u: UpdateHeader,
): Promise<void> {
  const task = host.taskOn(w, u.taskId);
  const copy = (sink: ByteSink | null) => reader.copyTo(u.length, sink);
  const where = `worker ${w.label} sent ${u.length} bytes of '${
    clip(u.remotePath)
  }' at ${u.offset} for task ${u.taskId}`;
  if (task?.state !== "running") {
    await copy(null);
    host.log("debug", `${where}, which is not running on it: ignored`);
    return;
  }
  const dropped = await landUpdate(task.outputs, u, copy);
  if (dropped) host.log("warn", `${where}: dropped, because ${dropped}`);
}
