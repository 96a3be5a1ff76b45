/**
 * What happens to a task block between the wire and the {@linkcode Runner}:
 * the dialect's reading of `env`, inputs the worker makes itself, and the
 * refusals that answer a task the worker cannot run with a result instead
 * of dropping the connection.
 *
 * A task whose made inputs are not in the cache yet waits for them in the
 * background, so that the command loop keeps answering (`check`, `kill`,
 * other tasks) during a long download.
 *
 * Results of refused tasks:
 *
 * - an input that could not be made, or that is not in the cache (never
 *   sent, or unlinked): `result 1 1 <len> 0 <id>` (INPUT_MISSING) with the
 *   reason as its output;
 * - a task with a `coprocess` line: `result 32 0 <len> 0 <id>` (UNKNOWN):
 *   this worker offers no coprocess (and so no `wq_worker_coprocess`
 *   feature), so a stock manager never sends one.
 *
 * @module
 */

import { WORK_QUEUE_RESULT_INPUT_MISSING, WORK_QUEUE_RESULT_UNKNOWN } from "../constants.ts";
import { errorMessage } from "../errors.ts";
import { clip, type Dialect } from "../wire/protocol.ts";
import type { TaskBlock } from "../wire/task_block.ts";
import type { WorkerLog } from "./log.ts";
import type { MadeInputs } from "./made_inputs.ts";
import type { Runner } from "./runner.ts";
import type { Refusal } from "./finished_task.ts";
import type { Workspace } from "./workspace.ts";

/** Options for {@linkcode Preparer}. */
export interface PreparerOptions {
  /** The workspace (its cache is checked for inputs). */
  workspace: Workspace;
  /** Where tasks go. */
  runner: Runner;
  /** The inputs to make. */
  made: MadeInputs;
  /** The connection's dialect. */
  dialect: Dialect;
  /** The log. */
  log: WorkerLog;
  /** Called just before a task is refused (to send `info tasks_running N`, as spec-11 §4.1 says). */
  beforeRefusal: () => void;
  /** Called when a task waiting in the background failed in a way that ends the connection. */
  onError?: (error: unknown) => void;
}

interface Job {
  done: Promise<void>;
  dropped: boolean;
}

/** Hands task blocks to the runner, refusing those it cannot run. */
export class Preparer {
  #o: PreparerOptions;
  #jobs = new Map<number, Job>();

  /** @param options Runner, made inputs, dialect and log. */
  constructor(options: PreparerOptions) {
    this.#o = options;
  }

  /** Tasks waiting for their made inputs. */
  get size(): number {
    return this.#jobs.size;
  }

  /**
   * Takes a task block: refused, accepted, or (when it needs inputs still
   * to be made) accepted in the background once they are made.
   *
   * @param block The task as read.
   * @throws {ProtocolError} As {@linkcode Runner.accept}, for a bad
   * block that is not a missing input.
   */
  async take(block: TaskBlock): Promise<void> {
    const spec = this.#o.dialect === 11 ? withoutUnsets(block, this.#o.log) : block;
    this.drop(spec.id);
    if (spec.coprocess !== undefined) {
      return await this.#refuse(spec, {
        status: WORK_QUEUE_RESULT_UNKNOWN,
        why: `task ${spec.id} needs coprocess '${
          clip(spec.coprocess)
        }', and this worker runs no coprocess`,
      });
    }
    if (!this.#o.made.needs(spec)) return await this.#accept(spec);
    const job: Job = { done: Promise.resolve(), dropped: false };
    job.done = this.#makeThenAccept(spec, job).catch((e) => {
      this.#o.log.notice(`task ${spec.id}: ${errorMessage(e)}`);
      if (!job.dropped) this.#o.onError?.(e);
    });
    this.#jobs.set(spec.id, job);
  }

  /**
   * Forgets a task waiting for its inputs (a `kill`); the inputs are still made.
   *
   * @param id The task.
   */
  drop(id: number): void {
    const job = this.#jobs.get(id);
    if (!job) return;
    job.dropped = true;
    this.#jobs.delete(id);
  }

  /** Forgets every waiting task (`kill -1`). */
  dropAll(): void {
    for (const id of [...this.#jobs.keys()]) this.drop(id);
  }

  /** Resolves when no background work is left (call after aborting the made inputs). */
  async settled(): Promise<void> {
    const left = [...this.#jobs.values()].map((j) => j.done);
    this.dropAll();
    await Promise.all(left);
  }

  async #makeThenAccept(spec: TaskBlock, job: Job): Promise<void> {
    const why = await this.#o.made.provide(spec);
    if (job.dropped) return;
    this.#jobs.delete(spec.id);
    if (why) {
      await this.#refuse(spec, { status: WORK_QUEUE_RESULT_INPUT_MISSING, why, exit: 1 });
    } else {
      await this.#accept(spec);
    }
  }

  /** Accepts a task; one whose input is not in the cache is refused (INPUT_MISSING), in both dialects. */
  async #accept(spec: TaskBlock): Promise<void> {
    try {
      await this.#o.runner.accept(spec);
    } catch (e) {
      const why = this.#missingInput(spec);
      if (!why) throw e;
      await this.#refuse(spec, { status: WORK_QUEUE_RESULT_INPUT_MISSING, why, exit: 1 });
    }
  }

  /** The first input of the task that is not in the cache, in words; or undefined. */
  #missingInput(spec: TaskBlock): string | undefined {
    for (const i of spec.inputs) {
      if (i.kind !== "file") continue;
      try {
        Deno.lstatSync(this.#o.workspace.cachePath(i.cachedName));
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
        return `input '${clip(i.remoteName)}' (cache name '${
          clip(i.cachedName)
        }') is not in this worker's cache: the manager never sent it, or unlinked it`;
      }
    }
    return undefined;
  }

  async #refuse(
    spec: TaskBlock,
    outcome: Refusal,
  ): Promise<void> {
    this.#o.log.notice(`task ${spec.id} fails: ${outcome.why}`);
    this.#o.beforeRefusal();
    await this.#o.runner.refuse(spec, outcome);
  }
}

/** Protocol 11 ignores `env NAME` without `=` (protocol 9 unsets NAME). */
function withoutUnsets(spec: TaskBlock, log: WorkerLog): TaskBlock {
  if (!spec.env.some(([, v]) => v === undefined)) return spec;
  const env = spec.env.filter(([name, v]) => {
    if (v === undefined) log.debug(`task ${spec.id}: ignoring 'env ${clip(name)}' (protocol 11)`);
    return v !== undefined;
  });
  return { ...spec, env };
}
