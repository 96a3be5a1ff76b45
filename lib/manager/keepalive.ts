/**
 * The keepalive decision for one worker, made once per sweep: leave it,
 * send it a `check`, or drop it. Traffic counts as a sign of life, so that a
 * worker busy with a long transfer (which answers a `check` only after the
 * file body ahead of it) is not taken for a dead one.
 *
 * @module
 */

/** What the sweep should do with a worker. */
export type KeepaliveAction =
  | { kind: "none" }
  | { kind: "check" }
  | { kind: "remove"; reason: string };

/** The books one worker keeps for the sweep (a `WorkerInfo` has them). */
export interface KeepaliveBooks {
  /** When it connected (ms). */
  readonly connectedAt: number;
  /** Handshake fields still missing. */
  readonly pending: ReadonlySet<string>;
  /** When a line was last heard from it, or its traffic last moved (ms). */
  lastHeard: number;
  /** When an unanswered `check` was sent (ms), or 0. */
  checkSentAt: number;
  /** Bytes read from and written to its connection at the last sweep. */
  trafficRead: number;
  trafficWritten: number;
}

/** Options of {@linkcode keepaliveStep}. */
export interface KeepaliveStepOptions {
  /** The time now (ms). */
  now: number;
  /** Bytes read from the worker's connection so far. */
  read: number;
  /** Bytes written to it so far (file bodies included). */
  written: number;
  /** How long a quiet worker goes before it is checked (ms). */
  intervalMs: number;
  /** How long it may take to answer a check, or to finish its handshake (ms). */
  timeoutMs: number;
}

/**
 * Bytes written since the last sweep that prove the peer reads. Fewer may
 * be only the `check` itself, or a few messages, sitting in the kernel's
 * buffer of a dead connection; once those buffers are full, writes to a
 * dead peer stop.
 */
export const WRITE_PROGRESS_BYTES = 64 * 1024;

/**
 * Decides what the sweep does with a worker, and updates its books: any
 * byte read from it, or a run of bytes written to it, counts as hearing
 * from it (and as the answer to an outstanding check).
 *
 * @param w The worker's books (changed in place).
 * @param options The time, the connection's byte counts and the limits.
 * @returns The action: `none`, `check` (send one), or `remove` with a reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const w = {
 *   connectedAt: 0,
 *   pending: new Set<string>(),
 *   lastHeard: 0,
 *   checkSentAt: 0,
 *   trafficRead: 100,
 *   trafficWritten: 0,
 * };
 * const limits = { intervalMs: 30_000, timeoutMs: 30_000 };
 * // Quiet for 31 s: check it.
 * assert.equal(keepaliveStep(w, { now: 31_000, read: 100, written: 0, ...limits }).kind, "check");
 * // No answer, but a file body is coming in: it is alive.
 * assert.equal(keepaliveStep(w, { now: 62_000, read: 5_000_000, written: 6, ...limits }).kind, "none");
 * ```
 */
export function keepaliveStep(w: KeepaliveBooks, options: KeepaliveStepOptions): KeepaliveAction {
  const { now, read, written, intervalMs, timeoutMs } = options;
  if (read > w.trafficRead || written - w.trafficWritten >= WRITE_PROGRESS_BYTES) {
    w.lastHeard = now;
    w.checkSentAt = 0;
    w.trafficWritten = written;
  }
  w.trafficRead = read;
  const seconds = timeoutMs / 1000;
  if (w.pending.size > 0 && now - w.connectedAt > timeoutMs) {
    return { kind: "remove", reason: `no complete handshake within ${seconds} s` };
  }
  if (w.checkSentAt && now - w.checkSentAt > timeoutMs) {
    return { kind: "remove", reason: `no answer to a keepalive check within ${seconds} s` };
  }
  if (!w.checkSentAt && now - w.lastHeard > intervalMs) {
    w.checkSentAt = now;
    return { kind: "check" };
  }
  return { kind: "none" };
}
