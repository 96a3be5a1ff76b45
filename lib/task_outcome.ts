/**
 * `TaskOutcome`: what came back of a task, the result fields every `Task`
 * has: its state, how it ended, its output and what it used. They are
 * read-only views of the record the manager keeps on the task, which only
 * the manager writes (docs/architecture.md).
 *
 * @module
 */

import { WORK_QUEUE_RESULT_UNKNOWN } from "./constants.ts";
import type { Measured } from "./measured.ts";
import { kInternal, type TaskInternal } from "./task_internal.ts";
import {
  emptyRecord,
  exitCodeOf,
  isFinished,
  okOf,
  type Outcome,
  outcomeOf,
  type TaskState,
} from "./task_result.ts";
import type { Task } from "./task.ts";

/**
 * The result fields of a {@linkcode Task}, which extends this class: each
 * is `undefined` until the task is finished, unless it says otherwise.
 * Applications make `Task`s, never this class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task } from "./task.ts";
 * const t = new Task("true");
 * assert.ok(t instanceof TaskOutcome);
 * assert.equal(t.state, undefined); // not submitted
 * assert.equal(t.ok, undefined); // not finished
 * assert.equal(t.output, "");
 * ```
 */
export class TaskOutcome {
  /** Manager bookkeeping; not for applications. */
  [kInternal]: TaskInternal<Task> = {
    state: undefined,
    record: emptyRecord(),
    attempts: 0,
    label: "first",
    sizedAs: undefined,
    avoid: undefined,
    unfitLogged: false,
    countedAs: undefined,
    countedIn: undefined,
    madeLosses: 0,
    list: undefined,
    prev: undefined,
    next: undefined,
  };

  /** Failures caused by the infrastructure so far (lost workers, fast aborts). */
  get attempts(): number {
    return this[kInternal].attempts;
  }

  /** The task's current state, or `undefined` before it is submitted. */
  get state(): TaskState | undefined {
    return this[kInternal].state;
  }

  /**
   * Whether it succeeded: it ran, every output came back, and the command
   * exited with 0. Once finished (else `undefined`), like the getters below.
   */
  get ok(): boolean | undefined {
    return okOf(this[kInternal].record);
  }

  /** How it ended, in words (an {@linkcode Outcome}). */
  get outcome(): Outcome | undefined {
    return outcomeOf(this[kInternal].record);
  }

  /** The command's exit code; `null` if it never ran or did not exit on its own (a signal). */
  get exitCode(): number | null | undefined {
    return exitCodeOf(this[kInternal].record);
  }

  /** The name of the signal that killed the command (`"SIGKILL"`), or `null`. */
  get signal(): string | null | undefined {
    const r = this[kInternal].record;
    return isFinished(r) ? r.signal : undefined;
  }

  /**
   * What the command used, as its worker measured it: peak memory and
   * disk (MB), CPU and wall time (s), cores, and how it was measured.
   * CCTools' workers report only the wall time. `null` once finished if it
   * never ran.
   */
  get measured(): Measured | null | undefined {
    const r = this[kInternal].record;
    return isFinished(r) ? r.measured ?? null : undefined;
  }

  /** When it was submitted (ms since the epoch). */
  get submittedAt(): number | undefined {
    return this[kInternal].record.submitTime;
  }

  /** When it was last sent to a worker (ms since the epoch); `null` if it never was. */
  get dispatchedAt(): number | null | undefined {
    const r = this[kInternal].record;
    return r.dispatchTime ?? (isFinished(r) ? null : undefined);
  }

  /** When it completed or was cancelled (ms since the epoch). */
  get finishedAt(): number | undefined {
    return this[kInternal].record.finishTime;
  }

  /** How long the command ran on its worker (ms); `null` if it never ran. */
  get runMs(): number | null | undefined {
    const r = this[kInternal].record;
    if (r.executionTime !== undefined) return r.executionTime / 1000;
    return isFinished(r) ? null : undefined;
  }

  /** A `WORK_QUEUE_RESULT_*` value, once finished (`UNKNOWN` for a cancelled task). */
  get result(): number | undefined {
    const r = this[kInternal].record;
    return r.result ?? (r.cancelled ? WORK_QUEUE_RESULT_UNKNOWN : undefined);
  }

  /**
   * CCTools' return status: the exit code of the task's shell, or the number
   * of the signal that killed it; `-1` once finished if it never ran.
   */
  get returnStatus(): number | undefined {
    const r = this[kInternal].record;
    return r.returnStatus ?? (isFinished(r) ? -1 : undefined);
  }

  /** Standard output and error of the command, merged, as text. */
  get output(): string {
    return this[kInternal].record.output;
  }

  /** Why it failed, in words; `null` once finished if nothing did. */
  get failure(): string | null | undefined {
    const r = this[kInternal].record;
    return r.failure ?? (isFinished(r) ? null : undefined);
  }

  /** The address (`ip:port`) of the worker it was last sent to; `null` once finished if none. */
  get host(): string | null | undefined {
    const r = this[kInternal].record;
    return r.host ?? (isFinished(r) ? null : undefined);
  }

  /** The host name that worker reported; `null` once finished if none. */
  get hostname(): string | null | undefined {
    const r = this[kInternal].record;
    return r.hostname ?? (isFinished(r) ? null : undefined);
  }

  /** CCTools' submit time: ms since the epoch. */
  get submitTime(): number | undefined {
    return this[kInternal].record.submitTime;
  }

  /** CCTools' dispatch time: ms since the epoch, of the last dispatch. */
  get dispatchTime(): number | undefined {
    return this[kInternal].record.dispatchTime;
  }

  /** CCTools' finish time: ms since the epoch. */
  get finishTime(): number | undefined {
    return this[kInternal].record.finishTime;
  }

  /** CCTools' execution time: the command's run time on the worker, in microseconds. */
  get executionTime(): number | undefined {
    return this[kInternal].record.executionTime;
  }
}
