/**
 * What happens in a queue, as typed events: the manager's reactor emits one
 * for each task and worker change that an application may want to follow
 * (progress bars, logs) without polling `wq.stats`.
 *
 * @module
 */

import type { Task, TaskState } from "../task.ts";

/** A worker as events name it. */
export interface QueueEventWorker {
  /** The manager's id for the worker's connection. */
  id: number;
  /** Its address, `ip:port`, as in `task.host`. */
  host: string;
  /** The host name it reported, as in `task.hostname`. */
  hostname: string;
  /** The cores, memory (MB), disk (MB) and GPUs it reported. */
  cores: number;
  memory: number;
  disk: number;
  gpus: number;
}

/**
 * One event of a queue, told apart by `type`:
 *
 * - `task-submitted`: `submit()` queued the task;
 * - `task-dispatched`: the task and the inputs its worker lacks were queued to that worker;
 * - `task-done`: the task completed, whatever its result; its outputs are in place and
 *   `wait()` may return it;
 * - `task-retried`: it went back to the queue after a failure of the infrastructure
 *   (`cause`: its worker was lost, it was fast-aborted, or the worker could not run it);
 * - `task-cancelled`: `cancelById()` or `cancelByTag()` removed it (`from`: its state then);
 * - `worker-joined`: a worker finished its handshake and may get tasks;
 * - `worker-left`: a worker that had joined is gone (`reason`: `lost` to an error or a
 *   keepalive timeout, `removed` when it ended its connection or was told to exit,
 *   `released` when the queue closed, `fast-aborted` when it was the slow one too often);
 * - `queue-closed`: the queue closed; no event follows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { QueueEvent } from "../../mod.ts";
 *
 * function describe(e: QueueEvent): string {
 *   switch (e.type) {
 *     case "task-done":
 *       return `task ${e.task.id} done: result ${e.task.result}`;
 *     case "worker-left":
 *       return `worker ${e.worker.hostname} left (${e.reason})`;
 *     default:
 *       return e.type;
 *   }
 * }
 * assert.equal(describe({ type: "queue-closed" }), "queue-closed");
 * ```
 */
export type QueueEvent =
  | { type: "task-submitted"; task: Task }
  | { type: "task-dispatched"; task: Task; worker: QueueEventWorker }
  | { type: "task-done"; task: Task }
  | {
    type: "task-retried";
    task: Task;
    cause: "worker-lost" | "fast-abort" | "forsaken" | "resource-exhaustion";
    reason: string;
  }
  | { type: "task-cancelled"; task: Task; from: TaskState }
  | { type: "worker-joined"; worker: QueueEventWorker }
  | {
    type: "worker-left";
    worker: QueueEventWorker;
    reason: "lost" | "removed" | "released" | "fast-aborted";
    detail: string | undefined;
  }
  | { type: "queue-closed" };
