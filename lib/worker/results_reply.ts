/**
 * The worker's answer to `send_results`: the `update` records of watched
 * outputs, then each finished task's `result` (with, from our worker, the
 * `info task-signal` line before it), then `info tasks_running` and `end`;
 * and the same results pushed alone on the fast path.
 *
 * @module
 */

import type { FrameWriter } from "../wire/frame_writer.ts";
import { encodeResultsReplyLine } from "../wire/results.ts";
import { encodeWorkerMessage, isSignalName } from "../wire/worker_messages.ts";
import type { WatchedUpdate } from "./output_watcher.ts";
import type { TaskResult } from "./finished_task.ts";

/** Where a reply goes: lines (logged by the session) and bodies. */
export interface ReplySink {
  /** Sends protocol lines. */
  send(text: string): void;
  /** Sends bodies: bytes, text and files. */
  writer: FrameWriter;
}

/**
 * Writes a whole `send_results` reply.
 *
 * @param out Where it goes.
 * @param updates What watched outputs gained, sent first.
 * @param results The finished tasks.
 * @param running How many tasks still run (`info tasks_running`).
 */
export function writeResultsReply(
  out: ReplySink,
  updates: readonly WatchedUpdate[],
  results: readonly TaskResult[],
  running: number,
): void {
  for (const u of updates) {
    out.send(encodeResultsReplyLine({ kind: "update", ...u.header }));
    out.writer.send(u.bytes);
  }
  writeResults(out, results);
  out.send(
    encodeWorkerMessage({ kind: "info", field: "tasks_running", value: String(running) }) +
      encodeResultsReplyLine({ kind: "end" }),
  );
}

/**
 * Writes finished tasks' `result` entries: each one's `info task-signal`
 * line (ours, when its shell died of a signal), its `info task-measured`
 * line (ours, when it was measured), its `result` line and its
 * stdout. Inside a `send_results` reply, or pushed on their own on the fast
 * path (`lib/wire/fast_path.ts`).
 *
 * @param out Where they go.
 * @param results The finished tasks.
 */
export function writeResults(out: ReplySink, results: readonly TaskResult[]): void {
  for (const r of results) {
    // Ours: the result line can only say the signal's number, as if it
    // were an exit code; the name goes just before it.
    if (r.signal !== undefined && isSignalName(r.signal)) {
      out.send(encodeWorkerMessage({ kind: "task_signal", taskId: r.id, signal: r.signal }));
    }
    // Ours: what it used, and the limit it went over (task_measured.ts).
    if (r.measured) {
      out.send(encodeWorkerMessage({
        kind: "task_measured",
        taskId: r.id,
        measured: r.measured,
        ...(r.exhausted ? { exhausted: r.exhausted } : {}),
      }));
    }
    out.send(encodeResultsReplyLine({
      kind: "result",
      status: r.status,
      exitCode: r.exit,
      stdoutLength: r.stdoutLength,
      execUsec: r.usec,
      taskId: r.id,
    }));
    if (r.stdoutText) out.writer.send(r.stdoutText);
    else if (r.stdoutLength > 0) out.writer.sendFile(r.stdoutPath, r.stdoutLength);
  }
}
