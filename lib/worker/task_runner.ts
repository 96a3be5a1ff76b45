/**
 * The worker's task table for one manager connection: tasks wait until their
 * resources are free, run concurrently, and wait with their results until the
 * manager collects them and sends `kill`.
 *
 * @module
 */

import { type Refusal, refusedResult, type TaskResult } from "./finished_task.ts";
import { enterCgroupLine } from "./measure/cgroup.ts";
import { TaskGuard } from "./task_guard.ts";
import { isCallCommand } from "../wire/function_call.ts";
import {
  WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
  WORK_QUEUE_RESULT_FORSAKEN,
  WORK_QUEUE_RESULT_TASK_TIMEOUT,
  WORK_QUEUE_RESULT_UNKNOWN,
} from "../constants.ts";
import {
  processExecutor,
  type ProcessOutcome,
  type RunningProcess,
  taskEnvironment,
} from "./executor.ts";
import { freeBytes, isDiskFullError, isFull } from "./disk_full.ts";
import { normalizeRequest, ResourceLedger, type Resources, shortfall } from "../resources.ts";
import { SANDBOX_TMP, stageIn } from "./sandbox.ts";
import { collectOutputs } from "./collect_outputs.ts";
import { TaskDirs } from "./task_dirs.ts";
import type { TaskBlock } from "../wire/task_block.ts";
import type { TaskRunnerOptions } from "./task_runner_options.ts";
import { errorMessage } from "../errors.ts";

export type { TaskResult } from "./finished_task.ts";
export type { TaskRunnerOptions } from "./task_runner_options.ts";

type State = "waiting" | "running" | "ending" | "finished" | "reported";

interface Entry {
  spec: TaskBlock;
  /** It has no sandbox (`Executor.needsSandbox`). */
  bare?: boolean;
  need: Resources;
  state: State;
  killed: boolean;
  proc?: RunningProcess;
  cgroup?: string;
  settled?: Promise<void>;
  result?: TaskResult;
}

/**
 * Tracks every task of one connection and runs as many as fit.
 *
 * All state changes happen synchronously, so the command loop and the
 * completion of processes never see a half-made change.
 */
export class TaskRunner {
  #o: TaskRunnerOptions;
  #ledger: ResourceLedger;
  #tasks = new Map<number, Entry>();
  #waiting: Entry[] = [];
  #finished: Entry[] = [];
  #log: (message: string) => void;
  #debug: boolean;
  #baseEnv: Record<string, string>;
  #running = 0;
  #dirs: TaskDirs;

  /** @param options Workspace, resources, callbacks. */
  constructor(options: TaskRunnerOptions) {
    this.#o = options;
    this.#ledger = new ResourceLedger(options.total);
    this.#log = options.log ?? (() => {});
    this.#debug = options.log !== undefined && (options.debug ?? true);
    this.#baseEnv = options.baseEnv ?? Deno.env.toObject();
    this.#dirs = new TaskDirs(options.workspace);
  }

  /** Tasks known in any state (including results not yet killed). */
  get size(): number {
    return this.#tasks.size;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks waiting for resources. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether some results are ready to send. */
  get hasResults(): boolean {
    return this.#finished.length > 0;
  }

  /**
   * Takes a new task: forsaken at once if it can never fit, otherwise its
   * sandbox is staged and it waits for resources.
   *
   * @param spec The task.
   * @throws {ProtocolError} If staging fails (e.g. an input is not cached).
   */
  async accept(spec: TaskBlock): Promise<void> {
    if (this.#tasks.has(spec.id)) await this.kill(spec.id);
    const need = normalizeRequest(spec.request, this.#o.total);
    const entry: Entry = { spec, need, state: "waiting", killed: false };
    const over = shortfall(need, { total: this.#o.total });
    if (over) {
      this.#log(`task ${spec.id} can never run here (${over}): forsaken`);
      this.#tasks.set(spec.id, entry);
      this.#finishEmpty(entry, { status: WORK_QUEUE_RESULT_FORSAKEN, exit: 0, usec: 0 });
      return;
    }
    this.#tasks.set(spec.id, entry);
    if (this.#o.executor?.needsSandbox?.(spec) === false) {
      entry.bare = true;
      this.#waiting.push(entry);
      this.#schedule();
      return;
    }
    try {
      await stageIn(this.#o.workspace, spec, {
        log: this.#debug ? this.#log : undefined,
        dirs: this.#dirs,
      });
    } catch (e) {
      await this.#dirs.release(spec.id);
      if (!isDiskFullError(e)) {
        this.#tasks.delete(spec.id);
        throw e;
      }
      await this.refuse(spec, {
        status: WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
        why: `cannot make the sandbox of task ${spec.id}: ${errorMessage(e)}`,
      });
      return;
    }
    if (entry.killed) return;
    this.#waiting.push(entry);
    this.#schedule();
  }

  /**
   * Finishes a task at once without running it, with the worker's
   * explanation as its output (for example: an input did not fit on the
   * disk). It stays known until killed, like any finished task.
   *
   * @param spec The task.
   * @param outcome The result status, the exit code (default 0) and why, in words.
   */
  async refuse(
    spec: TaskBlock,
    outcome: Refusal,
  ): Promise<void> {
    if (this.#tasks.get(spec.id)?.spec !== spec) await this.kill(spec.id);
    const need = normalizeRequest(spec.request, this.#o.total);
    const entry: Entry = { spec, need, state: "waiting", killed: false };
    this.#tasks.set(spec.id, entry);
    this.#log(`task ${spec.id} does not run: ${outcome.why}`);
    this.#record(entry, refusedResult(spec.id, outcome));
  }

  /**
   * Takes the finished tasks' results, oldest first; they stay known
   * (with their sandboxes) until killed.
   *
   * @returns The results.
   */
  takeResults(): TaskResult[] {
    const out = this.#finished.map((e) => {
      e.state = "reported";
      return e.result!;
    });
    this.#finished = [];
    return out;
  }

  /**
   * Forgets a task in any state: kills its processes, removes its sandbox
   * and stdout file. Unknown ids are fine.
   *
   * @param id The task.
   */
  async kill(id: number): Promise<void> {
    const e = this.#tasks.get(id);
    if (!e) return;
    this.#tasks.delete(id);
    e.killed = true;
    if (e.state === "waiting") this.#waiting = this.#waiting.filter((w) => w !== e);
    if (e.state === "finished") this.#finished = this.#finished.filter((f) => f !== e);
    if (e.proc && e.state === "running") {
      this.#log(`killing task ${id} (pid ${e.proc.pid})`);
      this.#killProcess(e);
    } else if (e.proc?.lingering()) {
      this.#killProcess(e); // what it left running, as CCTools does
    }
    await e.settled;
    // A process the task left behind could write into a later task's files.
    const recycle = e.proc === undefined || !e.proc.lingering();
    e.proc?.close();
    if (e.cgroup !== undefined && !this.#o.cgroups!.remove(e.cgroup)) {
      this.#log(`task ${id}: cannot remove its cgroup ${e.cgroup} (processes left in it?)`);
    }
    if (e.bare) return;
    const inputs = e.spec.inputs.map((i) => i.remoteName);
    await this.#dirs.release(id, { recycle, inputs });
  }

  #killProcess(e: Entry): void {
    if (e.cgroup !== undefined) this.#o.cgroups!.kill(e.cgroup);
    try {
      e.proc!.kill();
    } catch (err) {
      this.#log(`task ${e.spec.id}: cannot kill all its processes: ${errorMessage(err)}`);
    }
  }

  /** Kills and forgets every task. */
  async killAll(): Promise<void> {
    await Promise.all([...this.#tasks.keys()].map((id) => this.kill(id)));
  }

  /** Starts every waiting task that fits, in arrival order. */
  #schedule(): void {
    if (this.#waiting.length === 0) return;
    let started = 0;
    const left: Entry[] = [];
    const waiting = this.#waiting;
    this.#waiting = left;
    for (const e of waiting) {
      if (e.killed) continue;
      if (!this.#ledger.tryReserve(e.need)) {
        left.push(e);
        continue;
      }
      this.#start(e);
      started++;
    }
    if (started > 0) this.#o.onStarted?.(this.running);
  }

  #start(e: Entry): void {
    const { spec } = e;
    const ws = this.#o.workspace;
    e.state = "running";
    if (spec.endTime !== undefined && spec.endTime > 0 && spec.endTime * 1000 <= Date.now()) {
      this.#log(`task ${spec.id}: its end time has passed`);
      this.#ledger.release(e.need);
      this.#finishEmpty(e, { status: WORK_QUEUE_RESULT_TASK_TIMEOUT, exit: 0, usec: 0 });
      return;
    }
    const sandbox = ws.sandboxPath(spec.id);
    // A function call runs in its library's process: no cgroup of its own (its command stays a call's).
    const call = isCallCommand(spec.command);
    e.cgroup = this.#o.measurer && !call
      ? this.#o.cgroups?.make(`wq-${Deno.pid}-${spec.id}`)
      : undefined;
    try {
      e.proc = (this.#o.executor ?? processExecutor).start({
        command: e.cgroup === undefined ? spec.command : enterCgroupLine(e.cgroup) + spec.command,
        cwd: sandbox,
        stdoutPath: ws.stdoutPath(spec.id),
        // A task without a sandbox (a function call) runs no shell: no environment.
        env: e.bare ? {} : taskEnvironment({
          base: this.#baseEnv,
          resources: e.need,
          sandbox,
          tmpdir: `${sandbox}/${SANDBOX_TMP}`,
          env: spec.env,
        }),
      });
    } catch (err) {
      this.#log(`task ${spec.id}: cannot start /bin/sh: ${errorMessage(err)}`);
      if (e.cgroup !== undefined) this.#o.cgroups!.remove(e.cgroup);
      e.cgroup = undefined;
      this.#ledger.release(e.need);
      this.#finishEmpty(e, { status: WORK_QUEUE_RESULT_UNKNOWN, exit: 0, usec: 0 });
      return;
    }
    this.#running++;
    this.#o.onProcessStarted?.(spec, sandbox);
    if (this.#debug) {
      this.#log(`task ${spec.id} started as pid ${e.proc.pid}: ${spec.command.slice(0, 200)}`);
    }
    e.settled = this.#watch(e, e.proc, sandbox).catch((err) => {
      this.#log(`task ${spec.id}: lost track of it: ${errorMessage(err)}`);
    });
  }

  /** Waits for the process, enforces its limits, measures it, collects outputs. Never rejects. */
  async #watch(e: Entry, proc: RunningProcess, sandbox: string): Promise<void> {
    const { spec } = e;
    let status = 0;
    const guard = new TaskGuard({
      spec,
      proc,
      sandbox,
      cgroup: e.cgroup,
      // A function call's process is its library's, shared by its calls: not measured per call.
      measurer: isCallCommand(spec.command) ? undefined : this.#o.measurer,
      enforce: this.#o.enforce !== false,
      stop: (why) => {
        this.#log(`task ${spec.id}: ${why}; killing it`);
        this.#killProcess(e);
      },
    });
    const outcome = await proc.done.catch((err): ProcessOutcome => {
      // It could not be followed to its end (wait4 failed): a failure, with the reason.
      this.#log(`task ${spec.id}: ${errorMessage(err)}`);
      status = WORK_QUEUE_RESULT_UNKNOWN;
      return { exit: 0, usec: 0 };
    });
    const measured = await guard.end(outcome, e.killed);
    status ||= guard.status;
    this.#o.onProcessEnded?.(spec.id);
    status ||= outcome.status ?? 0;
    e.state = "ending";
    this.#running--;
    this.#ledger.release(e.need);
    if (this.#debug) {
      const how = outcome.signal
        ? `signal ${outcome.signal} (${outcome.signalName})`
        : `exit ${outcome.exit}`;
      this.#log(`task ${spec.id} ended: ${how}, ${outcome.usec} us`);
    }
    // A failed task on a full disk most likely failed for lack of space
    // (its outputs or its stdout did not fit): say so rather than let a
    // cut file pass for a whole one.
    if (!e.killed && status === 0 && (outcome.exit !== 0 || outcome.signal)) {
      const root = this.#o.workspace.root;
      if (isFull(root)) {
        this.#o.onDiskFull?.(spec.id, freeBytes(root) ?? 0);
        status = WORK_QUEUE_RESULT_DISK_ALLOC_FULL;
      }
    }
    if (!e.killed) {
      const { stdout, status: collected } = await collectOutputs(this.#o.workspace, spec, {
        maxStdout: this.#o.maxStdout,
        stdoutText: outcome.stdoutText,
        log: this.#log,
      });
      status ||= collected;
      if (!e.killed) {
        this.#record(e, {
          id: spec.id,
          status,
          exit: outcome.exit,
          signal: outcome.signalName,
          usec: outcome.usec,
          stdoutPath: stdout.path,
          stdoutLength: stdout.length,
          stdoutText: outcome.stdoutText?.subarray(0, stdout.length),
          ...(measured ? { measured } : {}),
          ...(guard.exhausted && status === guard.status ? { exhausted: guard.exhausted } : {}),
        });
      }
    }
    this.#schedule();
  }

  /** A result without stdout (forsaken, timed out before start, not started). */
  #finishEmpty(e: Entry, r: { status: number; exit: number; usec: number }): void {
    this.#record(e, { id: e.spec.id, ...r, stdoutPath: "", stdoutLength: 0 });
  }

  #record(e: Entry, result: TaskResult): void {
    e.state = "finished";
    e.result = result;
    this.#finished.push(e);
    this.#o.onFinished();
  }
}
