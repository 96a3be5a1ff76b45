/**
 * The reactor's task events: submit, the scheduling pass, staged inputs,
 * a result (with what happened to its outputs) and a lost worker.
 * `complete()` and `retry()` are the one place each where a task ends and
 * where it goes back to the queue; the task's result fields are written
 * here and nowhere else (but a cancelled task's, in `reactor_claims.ts`).
 *
 * @module
 */

import {
  WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
  WORK_QUEUE_RESULT_FORSAKEN,
  WORK_QUEUE_RESULT_INPUT_MISSING,
  WORK_QUEUE_RESULT_MAX_RETRIES,
  WORK_QUEUE_RESULT_OUTPUT_MISSING,
  WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION,
  WORK_QUEUE_RESULT_STDOUT_MISSING,
  WORK_QUEUE_RESULT_SUCCESS,
} from "../constants.ts";
import { emptyRecord, kInternal, type Task } from "../task.ts";
import { type Exhaustion, exhaustionMessage, type Measured } from "../measured.ts";
import { learn, measuredOf, retryAtMax } from "./reactor_categories.ts";
import { outputCacheName } from "./cache_names.ts";
import type { QueueEvent } from "./queue_event.ts";
import { eventWorker, type Reactor } from "./reactor.ts";
import { schedule } from "./scheduler.ts";
import { bookCachedInputs } from "./transfer.ts";
import { type Dispatch, isMade, localityKey, type StageResult } from "./staging.ts";
import { MADE_INPUT_LOSS_LIMIT, madeInputFailure, madeInputLossFailure } from "./made_inputs.ts";
import type { OutputOutcome, WorkerResult } from "./worker_conn.ts";
import type { WorkerInfo } from "./worker_info.ts";

/** The shared empty list of a dispatch not yet staged (never mutated). */
const NONE: never[] = [];

/** Why a task went back to the queue. */
export type RetryCause = Extract<QueueEvent, { type: "task-retried" }>["cause"];

/** How a task ended: the result fields `complete()` sets. */
export interface Completion {
  /** A `WORK_QUEUE_RESULT_*` value. */
  result: number;
  /** Why it failed, in words. */
  failure?: string;
  /** The exit status the worker reported, if it ran. */
  returnStatus?: number;
  /** Its standard output, if it ran. */
  output?: string;
  /** Its run time on the worker (µs), if it ran. */
  executionTime?: number;
  /** The name of the signal that killed it, if the worker said. */
  signal?: string | null;
  /** What it used, if it ran. */
  measured?: Measured | null;
  /** The limit it went over, if its worker stopped it for that. */
  exhausted?: Exhaustion;
}

/**
 * A task is submitted: it gets an id and a fresh record, and waits.
 *
 * @param r The reactor.
 * @param task The task (new, returned or cancelled).
 * @returns Its id.
 * @throws {TypeError} If it is already in the queue.
 * @throws {Error} If the queue is closed.
 */
export function onSubmit(r: Reactor, task: Task): number {
  if (r.closed) throw new Error(`Cannot submit task: the queue is closed`);
  const state = task.state;
  if (state !== undefined && state !== "returned" && state !== "cancelled") {
    throw new TypeError(
      `Cannot submit task ${task.id}: it is already in the queue (state '${state}')`,
    );
  }
  task.id = r.nextTaskId++;
  const internal = task[kInternal];
  // A task never submitted has the empty record it was made with.
  if (state === undefined) internal.record.submitTime = r.clock.now();
  else internal.record = emptyRecord(r.clock.now());
  internal.attempts = 0;
  internal.label = "first";
  internal.sizedAs = undefined;
  internal.avoid = undefined;
  internal.unfitLogged = false;
  internal.madeLosses = 0;
  r.core.transition(task, "ready");
  r.fit.check(task);
  r.comm.askForScheduling();
  r.comm.emit({ type: "task-submitted", task });
  return task.id;
}

/**
 * A scheduling pass: the scheduler places ready tasks on workers with room;
 * each placed task is `sending` while its inputs are staged.
 *
 * @param r The reactor.
 */
export function onSchedulePass(r: Reactor): void {
  const c = r.core;
  r.fit.refresh(); // workers changed since the last pass: which waiting tasks fit
  if (r.closed || c.ready.size === 0 || c.open.size === 0) return;
  const sizer = r.categories.sizing ? r.categories : undefined;
  const assignments = schedule(c.ready, c.open, {
    algorithm: r.algorithm,
    isBlocked: r.isBlocked,
    localityKeys: r.localityKeys,
    sizer,
  });
  for (const a of assignments) {
    a.task[kInternal].sizedAs = sizer?.sizedAs(a.task);
    const d: Dispatch = { worker: a.worker, alloc: a.alloc, inputs: NONE, outputNames: NONE };
    if (a.ahead) {
      d.ahead = true;
      c.transition(a.task, "sending", { dispatch: d, reason: "queued ahead" });
    } else {
      c.transition(a.task, "sending", { dispatch: d });
    }
    r.comm.stageInputs(a.task, d);
  }
}

/**
 * A task's inputs are staged: the task goes to its worker and runs, or
 * completes with `INPUT_MISSING`. Ignored if the task was cancelled or
 * lost its worker meanwhile.
 *
 * @param r The reactor.
 * @param task The task.
 * @param d The dispatch it was staged for.
 * @param staged The inputs, or why one is missing.
 */
export function onInputsStaged(r: Reactor, task: Task, d: Dispatch, staged: StageResult): void {
  if (r.core.dispatches.get(task.id) !== d) return;
  if ("missing" in staged) {
    r.comm.log("warn", `task ${task.id} cannot run: ${staged.missing}`);
    complete(r, task, { result: WORK_QUEUE_RESULT_INPUT_MISSING, failure: staged.missing });
    return;
  }
  d.inputs = staged.inputs;
  if (task.outputs.length > 0) {
    d.outputNames = task.outputs.map((o, i) => outputCacheName(task.id, i, o.remote));
  }
  const w = d.worker;
  const record = task[kInternal].record;
  record.dispatchTime = r.clock.now();
  record.host = w.addr;
  record.hostname = w.hostname;
  const made = d.inputs.length === 0
    ? NONE
    : d.inputs.filter(isMade).filter((i) => !w.cached.has(i.name));
  if (made.length > 0) d.madeSent = made;
  r.comm.send(w.id, { kind: "task", task, dispatch: d });
  bookCachedInputs(task, d);
  r.core.transition(task, "running");
  r.comm.emit({ type: "task-dispatched", task, worker: eventWorker(w) });
}

/**
 * A task's result arrived; its outputs are about to be fetched.
 *
 * @param r The reactor.
 * @param _w The worker.
 * @param task The task (running on it).
 */
export function onResultArriving(r: Reactor, _w: WorkerInfo, task: Task): void {
  r.core.transition(task, "receiving");
}

/**
 * A task's result and its outputs are in: the worker cleans up, and the
 * task completes (or, if the worker could not run it, goes back to the
 * queue). Sets the result fields, the worker's statistics and the
 * fast-abort average.
 *
 * @param r The reactor.
 * @param w The worker.
 * @param task The task.
 * @param res The worker's `result` entry.
 * @param outputs What happened to each output.
 */
export function onResult(
  r: Reactor,
  w: WorkerInfo,
  task: Task,
  res: WorkerResult,
  outputs: readonly OutputOutcome[],
): void {
  const d = r.core.dispatches.get(task.id);
  if (d) r.comm.send(w.id, { kind: "cleanup", task, dispatch: d });
  if (res.status === WORK_QUEUE_RESULT_FORSAKEN) {
    retry(r, task, "forsaken", `worker ${w.label} cannot run it (forsaken)`);
    return;
  }
  // From when it took a slot, if it was queued ahead.
  const started = task.dispatchTime === undefined
    ? undefined
    : Math.max(task.dispatchTime, d?.promotedAt ?? 0);
  if (started !== undefined) {
    const took = r.clock.now() - started;
    w.turnaroundSum += took;
    w.turnaroundCount++;
    if (res.status === WORK_QUEUE_RESULT_SUCCESS) {
      r.fastAbort.record(took);
      w.fastAborts = 0;
    }
  }
  const measured = measuredOf(res);
  if (measured) learn(r, task, measured, res);
  if (res.status === WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION) {
    const why = retryAtMax(r, w, task, res);
    if (why) {
      w.tasksDone++;
      requeue(r, task, "resource-exhaustion", why);
      return;
    }
  }
  let result = res.status;
  let failure: string | undefined;
  if (result === WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION) {
    failure = res.exhausted
      ? exhaustionMessage(res.exhausted)
      : `worker ${w.label} reported resource exhaustion, without saying which resource`;
    r.comm.log("warn", `task ${task.id}: ${failure}`);
  }
  const missing = outputs.length === 0
    ? NONE
    : outputs.filter((o) => o.missing).map((o) => o.missing);
  if (missing.length > 0) {
    result = WORK_QUEUE_RESULT_OUTPUT_MISSING;
    failure = missing.join("; ");
  }
  if (res.stdoutTruncated) {
    if (result === WORK_QUEUE_RESULT_SUCCESS) result = WORK_QUEUE_RESULT_STDOUT_MISSING;
    failure ??=
      `standard output was ${res.stdoutLength} bytes; only the first ${r.maxStdout} were kept (maxStdout)`;
  } else if (result === WORK_QUEUE_RESULT_STDOUT_MISSING) {
    failure ??=
      `standard output was cut by worker ${w.label} at its limit (--max-stdout); ${res.stdoutLength} bytes were kept`;
  }
  if (result === WORK_QUEUE_RESULT_INPUT_MISSING) {
    const made = (d?.inputs ?? NONE).filter(isMade);
    failure = madeInputFailure(made, w.invalidated, res.stdout, w.label) ??
      `worker ${w.label} reported an input missing from its cache`;
    for (const i of made) w.invalidated.delete(i.name);
    r.comm.log("warn", `task ${task.id} cannot run: ${failure}`);
  }
  if (result === WORK_QUEUE_RESULT_DISK_ALLOC_FULL) {
    failure = `disk full on worker ${w.label}: ${
      res.exitCode === 0 && res.execUsec === 0
        ? "an input or the sandbox did not fit, so the task did not run"
        : `the task failed (exit ${res.exitCode}) with the disk full, so its outputs or stdout did not fit`
    }${task.outputs.length > 0 ? "; its outputs were not retrieved" : ""}`;
    r.comm.log("warn", `task ${task.id}: ${failure}`);
  }
  if (result === WORK_QUEUE_RESULT_DISK_ALLOC_FULL || result === WORK_QUEUE_RESULT_INPUT_MISSING) {
    // The worker kept none of what did not fit, or lacks an input: send them again next time.
    for (const [i, input] of (d?.inputs ?? NONE).entries()) {
      if (input.kind === "emptydir") continue;
      w.cached.delete(input.name);
      const key = localityKey(task.inputs[i]);
      if (key) w.cachedKeys.delete(key);
    }
  }
  w.tasksDone++;
  complete(r, task, {
    result,
    failure,
    returnStatus: res.exitCode,
    output: res.stdout,
    executionTime: res.execUsec,
    signal: res.signal,
    measured,
    exhausted: result === WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION ? res.exhausted : undefined,
  });
}

/**
 * Puts a task that failed because of the infrastructure back in the queue,
 * or completes it with `MAX_RETRIES` when it has failed too often.
 *
 * @param r The reactor.
 * @param task The task (on a worker).
 * @param cause What failed.
 * @param reason In words, for the log and the event.
 */
export function retry(r: Reactor, task: Task, cause: RetryCause, reason: string): void {
  const n = ++task[kInternal].attempts;
  if (task.maxRetries > 0 && n >= task.maxRetries) {
    const failure =
      `failed ${n} time(s) because of the infrastructure (max retries ${task.maxRetries}); last: ${reason}`;
    r.comm.log("warn", `task ${task.id} gives up: ${failure}`);
    complete(r, task, { result: WORK_QUEUE_RESULT_MAX_RETRIES, failure });
    return;
  }
  requeue(r, task, cause, reason);
}

/** Puts a task back in the queue, and says why. */
function requeue(r: Reactor, task: Task, cause: RetryCause, reason: string): void {
  r.core.transition(task, "ready", { reason });
  r.fit.check(task);
  r.comm.askForScheduling();
  r.comm.emit({ type: "task-retried", task, cause, reason });
}

/**
 * A task lost its worker: it goes back to the queue (see
 * {@linkcode retry}), unless that worker was making inputs for it (a URL or
 * a command sent with it) and it is the
 * {@linkcode MADE_INPUT_LOSS_LIMIT}th such loss: it then completes with
 * INPUT_MISSING, since a CCTools protocol-9 worker drops the connection
 * when it cannot make an input, and the task would loop forever.
 *
 * @param r The reactor.
 * @param task The task (on the worker).
 * @param w The worker.
 */
export function onTaskLostWorker(r: Reactor, task: Task, w: WorkerInfo): void {
  const made = task.state === "running" ? r.core.dispatches.get(task.id)?.madeSent : undefined;
  if (made) {
    const internal = task[kInternal];
    if (++internal.madeLosses >= MADE_INPUT_LOSS_LIMIT) {
      const failure = madeInputLossFailure(made, internal.madeLosses, w.label);
      r.comm.log("warn", `task ${task.id} cannot run: ${failure}`);
      complete(r, task, { result: WORK_QUEUE_RESULT_INPUT_MISSING, failure });
      return;
    }
  }
  retry(r, task, "worker-lost", `its worker ${w.label} was lost`);
}

/**
 * Completes a task: sets its result fields, in one place, and hands it to
 * `wait()`.
 */
function complete(r: Reactor, task: Task, c: Completion): void {
  const record = task[kInternal].record;
  record.result = c.result;
  record.failure = c.failure;
  record.returnStatus = c.returnStatus;
  record.output = c.output ?? "";
  record.executionTime = c.executionTime;
  record.signal = c.signal ?? null;
  record.measured = c.measured ?? null;
  record.exhausted = c.exhausted ?? null;
  record.finishTime = r.clock.now();
  r.core.transition(task, "complete", { reason: c.failure });
  // A task that run() waits for goes to it, not to wait().
  if (r.claimed.delete(task)) r.core.transition(task, "returned");
  r.comm.deliver(task);
  r.comm.askForScheduling();
  r.comm.emit({ type: "task-done", task });
}
