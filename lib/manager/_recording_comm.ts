/**
 * For the reactor's tests: a {@linkcode Comm} that records what the reactor
 * does instead of doing it (as HyperQueue's `TestComm`), and helpers that
 * bring a task or a worker into a given state through the handlers.
 *
 * @module
 */

import { ManualClock } from "../clock.ts";
import { kInternal, Task, type TaskState } from "../task.ts";
import type { Comm, ToWorker } from "./comm.ts";
import type { Logger } from "./options.ts";
import type { QueueEvent } from "./queue_event.ts";
import { Reactor, type ReactorOptions } from "./reactor.ts";
import { onInputsStaged, onResultArriving, onSchedulePass, onSubmit } from "./reactor_tasks.ts";
import { onWorkerConnected, onWorkerUpdate } from "./reactor_workers.ts";
import type { Dispatch } from "./staging.ts";
import type { WorkerResult } from "./worker_conn.ts";
import { WorkerInfo } from "./worker_info.ts";

/** A {@linkcode Comm} that records every call. */
export class RecordingComm implements Comm {
  /** Messages sent, as `"<worker> <kind>[ <task>]"`, e.g. `"1 task 3"`, `"2 check"`. */
  readonly sent: string[] = [];
  /** Workers whose connection was closed. */
  readonly closed: number[] = [];
  /** Tasks whose inputs the reactor asked to stage, not yet reported back. */
  readonly staging: { task: Task; dispatch: Dispatch }[] = [];
  /** Tasks delivered to `wait()`. */
  readonly delivered: Task[] = [];
  /** Events emitted. */
  readonly events: QueueEvent[] = [];
  /** Log lines, as `"<level>: <message>"`. */
  readonly logs: string[] = [];
  /** How many times a scheduling pass was asked for. */
  schedulingAsked = 0;

  send(workerId: number, msg: ToWorker): void {
    const id = "task" in msg ? ` ${msg.task.id}` : "";
    this.sent.push(`${workerId} ${msg.kind}${id}`);
  }

  closeWorker(workerId: number): void {
    this.closed.push(workerId);
  }

  askForScheduling(): void {
    this.schedulingAsked++;
  }

  stageInputs(task: Task, dispatch: Dispatch): void {
    this.staging.push({ task, dispatch });
  }

  deliver(task: Task): void {
    this.delivered.push(task);
  }

  emit(event: QueueEvent): void {
    this.events.push(event);
  }

  readonly log: Logger = (level, message) => {
    this.logs.push(`${level}: ${message}`);
  };

  /** The events' types, with the task's id or the worker's id: `"task-done 3"`, `"worker-left 1 lost"`. */
  eventNames(): string[] {
    return this.events.map((e) => {
      if ("task" in e) return `${e.type} ${e.task.id}`;
      if (e.type === "worker-left") return `${e.type} ${e.worker.id} ${e.reason}`;
      if ("worker" in e) return `${e.type} ${e.worker.id}`;
      return e.type;
    });
  }

  /** Forgets what was recorded so far. */
  clear(): void {
    for (const list of [this.sent, this.closed, this.delivered, this.events, this.logs]) {
      list.length = 0;
    }
    this.schedulingAsked = 0;
  }
}

/** A reactor on a {@linkcode RecordingComm} and a {@linkcode ManualClock} at 1 000 000 ms. */
export function testReactor(
  options: ReactorOptions = {},
): { r: Reactor; comm: RecordingComm; clock: ManualClock } {
  const comm = new RecordingComm();
  const clock = new ManualClock(1_000_000);
  const r = new Reactor(comm, { clock, ...options });
  return { r, comm, clock };
}

/** A worker with `cores` cores (1000 MB memory and disk) that has finished its handshake. */
export function joinWorker(r: Reactor, id: number, cores = 4): WorkerInfo {
  const w = new WorkerInfo(id, `127.0.0.${id}:9000`, { connectedAt: r.clock.now() });
  w.hostname = `node${id}`;
  w.total = { cores, memory: 1000, disk: 1000, gpus: 0 };
  onWorkerConnected(r, w);
  w.pending.clear();
  onWorkerUpdate(r, w);
  return w;
}

/**
 * Submits a task and brings it to `state` through the handlers (for the
 * states on a worker, the only ready worker must take it).
 */
export function taskIn(r: Reactor, comm: RecordingComm, state: TaskState, task?: Task): Task {
  const t = task ?? new Task("true").specifyCores(1);
  onSubmit(r, t);
  if (state === "ready") return t;
  onSchedulePass(r);
  const i = comm.staging.findIndex((s) => s.task === t);
  if (i < 0) throw new Error(`Cannot bring task ${t.id} to '${state}': no worker took it`);
  const [{ dispatch }] = comm.staging.splice(i, 1);
  if (state === "sending") return t;
  onInputsStaged(r, t, dispatch, { inputs: [] });
  if (state === "running") return t;
  onResultArriving(r, dispatch.worker, t);
  if (state === "receiving") return t;
  throw new RangeError(`Cannot bring a task to '${state}' with taskIn()`);
}

/** A successful `result` entry for a task. */
export function okResult(task: Task, extra: Partial<WorkerResult> = {}): WorkerResult {
  return {
    taskId: task.id,
    status: 0,
    exitCode: 0,
    execUsec: 1500,
    stdout: "hello\n",
    stdoutTruncated: false,
    stdoutLength: 6,
    ...extra,
  };
}

/** The worker a task is on. */
export function workerOf(r: Reactor, task: Task): WorkerInfo {
  const w = r.core.workerOf(task);
  if (!w) throw new Error(`Task ${task.id} is on no worker (state '${task[kInternal].state}')`);
  return w;
}
