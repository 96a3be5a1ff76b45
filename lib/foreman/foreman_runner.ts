/**
 * A foreman's {@linkcode Runner}: each task its manager sends becomes a
 * task of the foreman's own queue, whose inputs are the files the manager
 * put in the foreman's cache and whose outputs land there, under the
 * names the manager will `get`. The foreman's queue schedules, sends,
 * retries and fetches as any of our managers does; its result goes back
 * upstream as the task's.
 *
 * @module
 */

import { Task } from "../task.ts";
import type { WorkQueue } from "../manager/work_queue.ts";
import type { CompletedTask } from "../completed_task.ts";
import type { TaskBlock } from "../wire/task_block.ts";
import { FLAG_CACHE, FLAG_WATCH } from "../wire/protocol.ts";
import { type Refusal, refusedResult, type TaskResult } from "../worker/finished_task.ts";
import type { Runner, RunnerHooks } from "../worker/runner.ts";
import type { Workspace } from "../worker/workspace.ts";
import { WORK_QUEUE_RESULT_UNKNOWN } from "../constants.ts";
import { errorMessage } from "../errors.ts";

const encoder = new TextEncoder();

interface Entry {
  spec: TaskBlock;
  local?: Task;
  /** Settles when the foreman's queue is done with the task. */
  done: Promise<void>;
  killed: boolean;
  result?: TaskResult;
}

/** Options for {@linkcode ForemanRunner}. */
export interface ForemanRunnerOptions {
  /** The foreman's own queue, which its workers serve. */
  queue: WorkQueue;
  /** The foreman's workspace: the manager's files are in its cache. */
  workspace: Workspace;
  /** The most stdout bytes reported per task. */
  maxStdout: number;
  /** The session's hooks. */
  hooks: RunnerHooks;
  /** Debug log. */
  log?: (message: string) => void;
}

/**
 * The task of the foreman's queue that stands for a task its manager sent.
 * Its command starts with `unset NAME;` for each `env NAME` without a
 * value (which unsets NAME in protocol 9).
 *
 * @param spec The task block from the manager.
 * @param ws The foreman's workspace (its cache's paths).
 * @returns The task, not yet submitted.
 * @throws {TypeError} If a file name or a value is one our queue refuses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ws = { cachePath: (name: string) => `/tmp/w/cache/${name}` };
 * const t = localTask({
 *   id: 7, command: "wc -l in.txt > out.txt", request: { cores: 1 }, env: [["A", "1"]],
 *   inputs: [{ kind: "file", cachedName: "file-0-abc-in.txt", remoteName: "in.txt", flags: 1 }],
 *   outputs: [{ cachedName: "file-7.0-out.txt", remoteName: "out.txt", flags: 0 }],
 * }, ws);
 * assert.deepEqual(t.inputs, [{ kind: "file", local: "/tmp/w/cache/file-0-abc-in.txt", remote: "in.txt", cache: true }]);
 * assert.equal(t.outputs[0].local, "/tmp/w/cache/file-7.0-out.txt");
 * assert.equal(t.resources.cores, 1);
 * ```
 */
export function localTask(spec: TaskBlock, ws: Pick<Workspace, "cachePath">): Task {
  const t = new Task(unsetting(spec.env) + spec.command);
  for (const i of spec.inputs) {
    if (i.kind === "dir") {
      t.specifyDirectory(i.remoteName, i.remoteName, { type: "input" });
    } else {
      t.specifyInputFile(ws.cachePath(i.cachedName), i.remoteName, {
        cache: (i.flags & FLAG_CACHE) !== 0,
      });
    }
  }
  for (const o of spec.outputs) {
    t.specifyOutputFile(ws.cachePath(o.cachedName), o.remoteName, {
      cache: (o.flags & FLAG_CACHE) !== 0,
      watch: (o.flags & FLAG_WATCH) !== 0,
    });
  }
  const r = spec.request;
  if (r.cores !== undefined) t.specifyCores(r.cores);
  if (r.memory !== undefined) t.specifyMemory(r.memory);
  if (r.disk !== undefined) t.specifyDisk(r.disk);
  if (r.gpus !== undefined) t.specifyGpus(r.gpus);
  for (const [name, value] of spec.env) {
    if (value !== undefined) t.specifyEnvironmentVariable(name, value);
  }
  if (spec.wallTime !== undefined && spec.wallTime > 0) t.specifyRunningTimeMax(spec.wallTime);
  if (spec.endTime !== undefined && spec.endTime > 0) t.specifyEndTime(spec.endTime * 1000);
  if (spec.category !== undefined && spec.category !== "default") {
    t.specifyCategory(spec.category);
  }
  return t;
}

/** Shell names that `unset` takes. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A protocol-9 `env NAME` (no value) unsets NAME; our Task has no unset, so
 * the command starts with `unset NAME;` for each name whose last change is
 * one (names the shell cannot unset are left alone).
 */
function unsetting(env: TaskBlock["env"]): string {
  const last = new Map(env);
  const names = [...last].filter(([n, v]) => v === undefined && SHELL_NAME.test(n));
  return names.length === 0 ? "" : `unset ${names.map(([n]) => n).join(" ")}; `;
}

/**
 * The result line a completed task of the foreman's queue becomes.
 *
 * @param id The manager's id of the task.
 * @param t The completed task.
 * @param maxStdout The most stdout bytes sent.
 * @returns The result.
 */
export function upstreamResult(id: number, t: CompletedTask, maxStdout: number): TaskResult {
  const stdout = encoder.encode(t.output);
  const length = Math.min(stdout.length, maxStdout);
  const measured = t.measured;
  return {
    id,
    status: t.result ?? WORK_QUEUE_RESULT_UNKNOWN,
    exit: Math.max(0, t.returnStatus ?? 0),
    ...(t.signal ? { signal: t.signal } : {}),
    usec: Math.round(t.executionTime ?? 0),
    stdoutPath: "",
    stdoutLength: length,
    stdoutText: stdout.subarray(0, length),
    // CCTools' workers report only the wall time, which the result line carries already.
    ...(measured && measured.method !== "wall" ? { measured } : {}),
  };
}

/**
 * Hands each task to the foreman's queue and reports its result upstream.
 * A task's time limits go with it (`runningTimeMax`, `endTime`), so that the
 * worker that runs it enforces them from its own start, as a worker would.
 */
export class ForemanRunner implements Runner {
  #o: ForemanRunnerOptions;
  #tasks = new Map<number, Entry>();
  #finished: Entry[] = [];
  #running = 0;
  #log: (message: string) => void;

  /** @param options The foreman's queue, workspace, hooks. */
  constructor(options: ForemanRunnerOptions) {
    this.#o = options;
    this.#log = options.log ?? (() => {});
  }

  /** Tasks known in any state (including results not yet killed). */
  get size(): number {
    return this.#tasks.size;
  }

  /** Tasks in the foreman's queue, queued or running on its workers. */
  get running(): number {
    return this.#running;
  }

  /** Whether some results are ready to send. */
  get hasResults(): boolean {
    return this.#finished.length > 0;
  }

  /** Submits the task to the foreman's queue; its result comes when the queue returns it. */
  async accept(spec: TaskBlock): Promise<void> {
    if (this.#tasks.has(spec.id)) await this.kill(spec.id);
    let local: Task;
    try {
      local = localTask(spec, this.#o.workspace);
    } catch (e) {
      return await this.refuse(spec, {
        status: WORK_QUEUE_RESULT_UNKNOWN,
        why: `the foreman cannot queue task ${spec.id}: ${errorMessage(e)}`,
      });
    }
    const entry: Entry = { spec, local, killed: false, done: Promise.resolve() };
    this.#tasks.set(spec.id, entry);
    this.#running++;
    entry.done = this.#o.queue.run(local).then(
      (t) => this.#completed(entry, t),
      (e) => this.#failed(entry, errorMessage(e)),
    );
    this.#log(`task ${spec.id} is task ${local.id} of the foreman's queue`);
    this.#o.hooks.onStarted?.(this.#running);
  }

  /** Finishes a task at once without running it, with the foreman's explanation as its output. */
  async refuse(spec: TaskBlock, outcome: Refusal): Promise<void> {
    // A task of that id already here is cancelled first, as TaskRunner does: its result would follow.
    if (this.#tasks.has(spec.id)) await this.kill(spec.id);
    this.#log(`task ${spec.id} does not run: ${outcome.why}`);
    const entry: Entry = { spec, killed: false, done: Promise.resolve() };
    this.#tasks.set(spec.id, entry);
    this.#record(entry, refusedResult(spec.id, outcome));
  }

  /** The finished tasks' results, oldest first. */
  takeResults(): TaskResult[] {
    const out = this.#finished.map((e) => e.result!);
    this.#finished = [];
    return out;
  }

  /** Cancels the task in the foreman's queue (wherever it is) and forgets it. */
  async kill(id: number): Promise<void> {
    const e = this.#tasks.get(id);
    if (!e) return;
    this.#tasks.delete(id);
    e.killed = true;
    if (e.result) {
      this.#finished = this.#finished.filter((f) => f !== e);
    } else if (e.local?.id !== undefined) {
      this.#o.queue.cancelById(e.local.id);
    }
    await e.done;
  }

  /** Cancels and forgets every task. */
  async killAll(): Promise<void> {
    await Promise.all([...this.#tasks.keys()].map((id) => this.kill(id)));
  }

  #completed(e: Entry, t: CompletedTask): void {
    this.#running--;
    if (e.killed) return;
    this.#record(e, upstreamResult(e.spec.id, t, this.#o.maxStdout));
  }

  #failed(e: Entry, why: string): void {
    this.#running--;
    if (e.killed) return;
    this.#log(`task ${e.spec.id}: the foreman's queue gave it up: ${why}`);
    this.#record(
      e,
      refusedResult(e.spec.id, {
        status: WORK_QUEUE_RESULT_UNKNOWN,
        why: `the foreman's queue gave it up: ${why}`,
      }),
    );
  }

  #record(e: Entry, result: TaskResult): void {
    e.result = result;
    this.#finished.push(e);
    this.#o.hooks.onFinished();
  }
}
