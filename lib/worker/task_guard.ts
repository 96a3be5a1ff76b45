/**
 * The limits of one running task: its wall time and end time, and, while
 * it is measured, its memory and disk. The first limit it reaches stops it
 * and sets its result status.
 *
 * @module
 */

import {
  WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION,
  WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME,
  WORK_QUEUE_RESULT_TASK_TIMEOUT,
} from "../constants.ts";
import { type Exhaustion, exhaustionMessage, type Measured } from "../measured.ts";
import type { ProcessOutcome, RunningProcess } from "./executor.ts";
import { type Measurer, taskLimits, type TaskMeter } from "./measure/measurer.ts";
import type { TaskBlock } from "../wire/task_block.ts";

/** Options for {@linkcode TaskGuard}. */
export interface TaskGuardOptions {
  /** The task. */
  spec: TaskBlock;
  /** Its started process. */
  proc: RunningProcess;
  /** Its sandbox. */
  sandbox: string;
  /** Its cgroup, if it has one. */
  cgroup?: string;
  /** Measures it; not measured when absent. */
  measurer?: Measurer;
  /** Stop it when it goes over its memory or disk (its request). */
  enforce: boolean;
  /** Stops it, for the reason given (called once, at the first limit reached). */
  stop(why: string): void;
}

/** Watches one running task's limits from its start to its end. */
export class TaskGuard {
  #timers: ReturnType<typeof setTimeout>[] = [];
  #meter?: TaskMeter;
  #status = 0;
  #exhausted?: Exhaustion;

  /** @param o The task and how to stop it. */
  constructor(o: TaskGuardOptions) {
    const { spec } = o;
    const reach = (status: number, why: string, exhausted?: Exhaustion) => {
      if (this.#status !== 0) return;
      this.#status = status;
      this.#exhausted = exhausted;
      o.stop(why);
    };
    const limit = (ms: number, code: number, why: string) => {
      this.#timers.push(
        setTimeout(() => reach(code, why), Math.max(0, Math.min(ms, 2 ** 31 - 1))),
      );
    };
    if (spec.wallTime !== undefined && spec.wallTime > 0) {
      limit(spec.wallTime * 1000, WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME, "its wall time is over");
    }
    if (spec.endTime !== undefined && spec.endTime > 0) {
      const ms = spec.endTime * 1000 - Date.now();
      limit(ms, WORK_QUEUE_RESULT_TASK_TIMEOUT, "its end time has come");
    }
    this.#meter = o.measurer?.track({
      pid: o.proc.pid,
      sessionLeader: o.proc.sessionLeader ?? false,
      sandbox: o.sandbox,
      cgroup: o.cgroup,
      limits: o.enforce ? taskLimits(spec.request) : {},
      onExceeded: (x) =>
        reach(WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION, exhaustionMessage(x), { ...x }),
    });
  }

  /** The result status of the limit it reached; 0 if none. */
  get status(): number {
    return this.#status;
  }

  /** The memory or disk limit it went over, if it was stopped for that. */
  get exhausted(): Exhaustion | undefined {
    return this.#exhausted;
  }

  /**
   * Its process has ended: the limits are off, and its measurement is
   * complete.
   *
   * @param outcome How it ended.
   * @param forgotten Whether the task was killed and forgotten (then nothing is measured).
   * @returns What it used, if it was measured.
   */
  async end(outcome: ProcessOutcome, forgotten: boolean): Promise<Measured | undefined> {
    for (const t of this.#timers) clearTimeout(t);
    if (forgotten) {
      this.#meter?.stop();
      return undefined;
    }
    return await this.#meter?.finish(outcome);
  }
}
