/**
 * The reactor's worker events: a worker connects, finishes its handshake
 * or reports new resources, goes away; the sweep tick (keepalive checks,
 * fast abort, blocks that run out); telling idle workers to exit; and the
 * queue closing.
 *
 * @module
 */

import { kInternal, type Task } from "../task.ts";
import { keepaliveStep } from "./keepalive.ts";
import type { QueueEvent } from "./queue_event.ts";
import { eventWorker, type Reactor } from "./reactor.ts";
import { onTaskLostWorker, retry } from "./reactor_tasks.ts";
import { madeInputKey } from "./staging.ts";
import { oneLine } from "./made_inputs.ts";
import type { WorkerInfo } from "./worker_info.ts";

/** Why a worker left (see {@linkcode QueueEvent} `worker-left`). */
export type LeftReason = Extract<QueueEvent, { type: "worker-left" }>["reason"];

/** Bytes read from and written to a connection. */
export interface Traffic {
  read: number;
  written: number;
}

/**
 * A connection said it is a worker (its first line): it is booked, and the
 * sweep watches its handshake.
 *
 * @param r The reactor.
 * @param w The new worker.
 * @returns `false` if the queue is closed (the caller closes the connection).
 */
export function onWorkerConnected(r: Reactor, w: WorkerInfo): boolean {
  if (r.closed) return false;
  r.core.workers.set(w.id, w);
  return true;
}

/**
 * A worker finished its handshake, or reported new resources: it joins
 * (once), and tasks may fit on it.
 *
 * @param r The reactor.
 * @param w The worker.
 */
export function onWorkerUpdate(r: Reactor, w: WorkerInfo): void {
  if (w.removed) return;
  if (w.ready && !w.joined) {
    w.joined = true;
    r.core.counters.workersJoined++;
    r.comm.log(
      "debug",
      `worker ${w.label} joined: ${w.total.cores} cores, ${w.total.memory} MB memory`,
    );
    r.comm.emit({ type: "worker-joined", worker: eventWorker(w) });
  }
  r.core.noteRoom(w);
  refit(r);
  r.comm.askForScheduling();
}

/**
 * A worker is gone, or must go: it is dropped and its connection closed,
 * and each of its tasks goes back to the queue (counting as a failure of
 * the infrastructure). Nothing happens for a worker already dropped.
 *
 * @param r The reactor.
 * @param w The worker.
 * @param reason `lost` (an error or a timeout: counted in `workersLost`),
 * `removed` (it ended the connection, or was told to exit) or `fast-aborted`.
 * @param detail In words, for the log and the event; none for a worker
 * that left as it was told.
 */
export function onWorkerGone(
  r: Reactor,
  w: WorkerInfo,
  reason: Exclude<LeftReason, "released">,
  detail?: string,
): void {
  const c = r.core;
  if (!c.removeWorker(w)) return;
  c.counters.workersRemoved++;
  const lost = reason === "lost";
  if (lost) c.counters.workersLost++;
  const tasks = [...w.tasks.values()];
  for (const t of tasks) onTaskLostWorker(r, t, w);
  refit(r);
  if (detail) {
    const what = tasks.length ? `; ${tasks.length} task(s) go back to the queue` : "";
    r.comm.log(
      lost || tasks.length ? "warn" : "debug",
      `removed worker ${w.label}: ${detail}${what}`,
    );
  }
  r.comm.closeWorker(w.id);
  r.comm.askForScheduling();
  if (w.joined) r.comm.emit({ type: "worker-left", worker: eventWorker(w), reason, detail });
}

/**
 * A worker made an input (`cache-update`, protocol 11): its size goes in
 * the worker's cache books, if they hold it (a non-cached input is not
 * booked).
 *
 * @param r The reactor.
 * @param w The worker.
 * @param name The input's cache name.
 * @param size Its size in bytes.
 */
export function onCacheUpdate(r: Reactor, w: WorkerInfo, name: string, size: number): void {
  if (!w.cached.has(name)) return;
  w.cached.set(name, size);
  const key = madeInputKey(name);
  if (key && w.cachedKeys.has(key)) w.cachedKeys.set(key, size);
  r.comm.log("debug", `worker ${w.label} made ${name} (${size} bytes)`);
}

/**
 * A worker could not make an input (`cache-invalid`, protocol 11): it
 * leaves the worker's cache books, so that a later task asks for it again,
 * and its reason waits for the result of the task that needed it.
 *
 * @param r The reactor.
 * @param w The worker.
 * @param name The input's cache name.
 * @param text The worker's reason.
 */
export function onCacheInvalid(r: Reactor, w: WorkerInfo, name: string, text: string): void {
  w.cached.delete(name);
  const key = madeInputKey(name);
  if (key) w.cachedKeys.delete(key);
  w.noteInvalid(name, text);
  r.comm.log("warn", `${w.label} invalidated ${name}: ${oneLine(text)}`);
}

/**
 * A worker's connection closed: its traffic joins the totals.
 *
 * @param r The reactor.
 * @param traffic Bytes read from and written to it.
 */
export function onConnectionClosed(r: Reactor, traffic: Traffic): void {
  r.core.counters.bytesReceived += traffic.read;
  r.core.counters.bytesSent += traffic.written;
}

/**
 * The periodic sweep: lifts the blocks that ran out, aborts the tasks that
 * run past the fast-abort limit, then checks quiet workers and drops those
 * that do not answer (or finish their handshake) in time. A worker running
 * a task with a watched output gets a `check` every second too.
 *
 * @param r The reactor.
 * @param traffic Bytes read from and written to a worker's connection so
 * far (traffic counts as a sign of life).
 */
export function onSweepTick(r: Reactor, traffic: (workerId: number) => Traffic): void {
  const c = r.core;
  const now = r.clock.now();
  if (r.blocks.expire(now)) r.comm.askForScheduling();
  if (r.fastAbort.limit() !== undefined) {
    const onWorkers = [...c.dispatches.keys()].map((id) => c.tasks.get(id)!);
    for (const t of r.fastAbort.stragglers(onWorkers, now, (t) => c.startOf(t))) {
      abortStraggler(r, t);
    }
  }
  for (const w of [...c.workers.values()]) {
    if (w.removed) continue;
    const { read, written } = traffic(w.id);
    const act = keepaliveStep(w, { now, read, written, ...r.keepalive });
    if (act.kind === "remove") onWorkerGone(r, w, "lost", act.reason);
    else if (act.kind === "check" || watchPokeDue(w, now)) r.comm.send(w.id, { kind: "check" });
  }
}

/** How often a worker running a task with a watched output is sent a `check` (ms). */
export const WATCH_POKE_MS = 1000;

/**
 * Whether a worker running a task with a watched output (`FLAG_WATCH`) is
 * due a `check`: any message wakes CCTools' worker, which looks at watched
 * files only on a turn of its main loop (at least every 5 s) and then says
 * `available_results`. Ours looks every second on its own; the `alive` it
 * answers costs a few bytes.
 */
function watchPokeDue(w: WorkerInfo, now: number): boolean {
  if (now - w.watchPokedAt < WATCH_POKE_MS) return false;
  for (const t of w.tasks.values()) {
    if (t.state === "running" && t.outputs.some((o) => o.watch)) {
      w.watchPokedAt = now;
      return true;
    }
  }
  return false;
}

/**
 * Aborts a straggler, to run it elsewhere; a worker that is the slow one
 * for two tasks in a row is told to exit.
 */
function abortStraggler(r: Reactor, task: Task): void {
  const d = r.core.dispatches.get(task.id);
  if (!d) return;
  const w = d.worker;
  r.comm.send(w.id, { kind: "cleanup", task, dispatch: d });
  r.core.counters.tasksFastAborted++;
  w.fastAborts++;
  (task[kInternal].avoid ??= new Set()).add(w.id);
  const limit = ((r.fastAbort.limit() ?? 0) / 1000).toFixed(1);
  r.comm.log(
    "warn",
    `task ${task.id} ran longer than ${limit} s on worker ${w.label}: aborted, to run elsewhere`,
  );
  retry(r, task, "fast-abort", `fast abort on worker ${w.label}`);
  if (w.fastAborts >= 2) {
    r.core.counters.workersFastAborted++;
    w.leaving = true;
    r.comm.send(w.id, { kind: "exit" });
    const detail = `it was the slow one for ${w.fastAborts} tasks in a row (fast abort)`;
    onWorkerGone(r, w, "fast-aborted", detail);
  }
}

/**
 * Tells idle workers to exit.
 *
 * @param r The reactor.
 * @param n How many; `0` means all idle workers.
 * @returns How many were told.
 */
export function onShutdownWorkers(r: Reactor, n: number): number {
  let told = 0;
  for (const w of r.core.workers.values()) {
    if (n > 0 && told >= n) break;
    if (w.tasks.size > 0 || w.leaving) continue;
    w.leaving = true;
    r.slots = -1;
    r.comm.send(w.id, { kind: "exit" });
    told++;
  }
  return told;
}

/**
 * The queue closes: every worker is released (told to go back to looking
 * for a manager) and dropped, its tasks go back to the queue without
 * counting as a failure, and no more scheduling happens. The caller
 * flushes the releases, then closes the connections.
 *
 * @param r The reactor.
 */
export function onClose(r: Reactor): void {
  if (r.closed) return;
  r.closed = true;
  const c = r.core;
  for (const w of [...c.workers.values()]) {
    if (!w.leaving) {
      w.leaving = true;
      r.comm.send(w.id, { kind: "release" });
    }
    c.removeWorker(w);
    c.counters.workersRemoved++;
    for (const t of [...w.tasks.values()]) c.transition(t, "ready", { reason: "the queue closed" });
    if (w.joined) {
      r.comm.emit({
        type: "worker-left",
        worker: eventWorker(w),
        reason: "released",
        detail: undefined,
      });
    }
  }
  r.comm.emit({ type: "queue-closed" });
}

/**
 * After workers came, went or changed: the slots and which waiting tasks
 * fit are recounted when next asked (at the latest by the scheduling pass
 * this change asks for), once however many workers changed.
 */
function refit(r: Reactor): void {
  r.slots = -1;
  r.fit.invalidate();
}
