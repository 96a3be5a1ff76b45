/**
 * The seam between a worker's session and what runs its tasks: the
 * session reads the manager's commands and writes the replies; a
 * {@linkcode Runner} takes the tasks and has their results. A worker's is
 * `TaskRunner` (processes in sandboxes); a foreman's is `ForemanRunner`
 * (`lib/foreman/`), which hands them to its own queue of workers.
 *
 * @module
 */

import type { Resources } from "../resources.ts";
import type { TaskBlock } from "../wire/task_block.ts";
import type { Refusal, TaskResult } from "./finished_task.ts";

/** What the session tells its runner. */
export interface RunnerHooks {
  /** Called (synchronously) whenever a task has finished and has a result. */
  onFinished: () => void;
  /** Called after one or more tasks started, with the running count. */
  onStarted?: (running: number) => void;
}

/** Runs the tasks of one manager connection. */
export interface Runner {
  /** Tasks known in any state (including results not yet killed). */
  readonly size: number;
  /** Tasks running now. */
  readonly running: number;
  /** Whether some results are ready to send. */
  readonly hasResults: boolean;
  /** Takes a new task; it runs when it can, and its result waits in {@linkcode takeResults}. */
  accept(spec: TaskBlock): Promise<void>;
  /** Finishes a task at once without running it, with `why` as its output. */
  refuse(spec: TaskBlock, outcome: Refusal): Promise<void>;
  /** The finished tasks' results, oldest first; they stay known until killed. */
  takeResults(): TaskResult[];
  /** Forgets a task in any state, stopping it if it runs. Unknown ids are fine. */
  kill(id: number): Promise<void>;
  /** Kills and forgets every task. */
  killAll(): Promise<void>;
}

/**
 * What a foreman offers its manager, which changes as its own workers
 * come and go: the session sends a new resource report at each change.
 */
export interface Capacity {
  /** The resources offered now. */
  readonly total: Resources;
  /** Each resource's amount on the smallest of the workers (zeros when there are none). */
  readonly smallest: Resources;
  /** Each resource's amount on the largest of the workers: what one task can get at most. */
  readonly largest: Resources;
  /** How many workers they stand for. */
  readonly workers: number;
  /**
   * Statistics of a foreman's own queue, as `[field, value]` pairs that the
   * session sends as `info FIELD VALUE` lines after each resource report
   * and in answer to `check` (CCTools' foreman sends `workers_joined`,
   * `tasks_waiting`, … with each keepalive; its manager sums them in
   * `work_queue_get_stats_hierarchy`).
   */
  stats(): ReadonlyArray<readonly [string, number]>;
  /** Calls `onChange` after each change; returns the function that stops it. */
  subscribe(onChange: () => void): () => void;
}
