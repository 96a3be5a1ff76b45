/**
 * Measuring what each running task uses, and noticing when it goes over
 * its memory or disk limit.
 *
 * Every interval (`--measure-interval`), starting one interval after a
 * task started, the worker samples the task: the resident memory of all
 * its processes and their CPU time (from `/proc/<pid>/stat`, or from its
 * cgroup v2 when it has one), and the disk its sandbox takes. When the
 * task's shell is reaped, its `rusage` adds the exact CPU time of every
 * process it waited for and the largest peak of any one of them, so a
 * task shorter than an interval is measured too, for nothing but the
 * wait. See docs/resources.md.
 *
 * @module
 */

import type { Exhaustion, Measured } from "../../measured.ts";
import type { ChildUsage } from "../libc_spawn.ts";
import {
  type KernelFiles,
  kernelFiles,
  type ProcStat,
  scanProcesses,
  taskProcesses,
} from "./proc_fs.ts";
import { readCgroupUsage } from "./cgroup.ts";
import { diskUsage } from "./disk_usage.ts";
import type { ResourceRequest } from "../../resources.ts";
import { errorMessage } from "../../errors.ts";

const MB = 1024 * 1024;

/** The default `--measure-interval`, in seconds. */
export const DEFAULT_MEASURE_INTERVAL = 0.5;

/** Options for {@linkcode Measurer}. */
export interface MeasurerOptions {
  /** Seconds between samples of a task; the first is taken one interval after it starts. */
  intervalSeconds: number;
  /** How to read `/proc` and cgroup files. Default {@linkcode kernelFiles}; `null`: none. */
  files?: KernelFiles | null;
  /** Where `/proc` is (default `/proc`; tests give a fixture). */
  procRoot?: string;
  /** Logs what goes wrong while measuring. */
  log?: (message: string) => void;
}

/** A task's limits, in MB; a limit that is absent is not enforced. */
export interface Limits {
  /** Memory of its whole process tree. */
  memoryMB?: number;
  /** Disk of its sandbox. */
  diskMB?: number;
}

/** What {@linkcode Measurer.track} follows. */
export interface TrackOptions {
  /** The task's shell. */
  pid: number;
  /** Whether it leads its own session (its processes are the session's), else its descendants. */
  sessionLeader: boolean;
  /** Its sandbox, whose disk is measured. */
  sandbox: string;
  /** Its limits. */
  limits: Limits;
  /** Its cgroup v2 directory, if it was placed in one. */
  cgroup?: string;
  /** Called once, at the first sample over a limit. */
  onExceeded?: (e: Exhaustion) => void;
}

/** The end of a task, as its process outcome tells it. */
export interface TaskEnd {
  /** Wall time, in microseconds. */
  usec: number;
  /** The shell's rusage, if it was reaped through wait4. */
  usage?: ChildUsage;
}

/**
 * Samples running tasks. One timer serves them all (a task that ends
 * before its first sample costs no timer of its own), and one `/proc` scan
 * serves every task sampled within a quarter of an interval of it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * using measurer = new Measurer({ intervalSeconds: 0.5 });
 * const sandbox = await Deno.makeTempDir();
 * const meter = measurer.track({ pid: Deno.pid, sessionLeader: false, sandbox, limits: {} });
 * // It ended before its first sample: only its rusage and wall time count.
 * const used = await meter.finish({ usec: 2_000_000, usage: { cpuSeconds: 1, maxRssMB: 0 } });
 * assert.deepEqual(used, { method: "proc", cpuSeconds: 1, wallSeconds: 2, cores: 0.5 });
 * await Deno.remove(sandbox);
 * ```
 */
export class Measurer {
  #o: MeasurerOptions;
  #files: KernelFiles | undefined;
  #scan?: { at: number; procs: Map<number, ProcStat> };
  #workerPeakMB = 0;
  /** Tracked meters, by when their next sample is due (ms, `performance.now()`). */
  #due = new Map<TaskMeter, number>();
  #timer?: ReturnType<typeof setTimeout>;

  /** @param options The interval and where to read. */
  constructor(options: MeasurerOptions) {
    if (!(options.intervalSeconds > 0)) {
      throw new RangeError(
        `Cannot measure tasks: the interval is '${options.intervalSeconds}' seconds`,
      );
    }
    this.#o = options;
    this.#files = options.files === null ? undefined : options.files ?? kernelFiles;
  }

  /** Seconds between samples. */
  get intervalSeconds(): number {
    return this.#o.intervalSeconds;
  }

  /**
   * Starts following a task: its first sample comes one interval from now.
   *
   * @param options The task.
   * @returns Its meter; call `finish` (or `stop`) when its shell has exited.
   */
  track(options: TrackOptions): TaskMeter {
    const meter = new TaskMeter(this, options);
    const due = performance.now() + this.#o.intervalSeconds * 1000;
    this.#due.set(meter, due);
    if (this.#timer === undefined) this.#arm(due);
    return meter;
  }

  /** Stops sampling every task, and its timer (call it when the worker stops, and in tests). */
  close(): void {
    for (const meter of [...this.#due.keys()]) meter.stop();
    this.#disarm();
  }

  /** {@linkcode close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Stops sampling one task. The timer runs on (at most one interval, if
   * no task is left): setting and clearing one for every tiny task would
   * cost more than the rest of its measurement.
   *
   * @internal
   */
  untrack(meter: TaskMeter): void {
    this.#due.delete(meter);
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(at: number): void {
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, at - performance.now()));
  }

  /** Samples every task that is due, and sets the timer for the next one. */
  #tick(): void {
    this.#timer = undefined;
    const now = performance.now();
    const interval = this.#o.intervalSeconds * 1000;
    let next = Infinity;
    for (const [meter, due] of [...this.#due]) {
      if (due <= now + 1) {
        this.#due.set(meter, now + interval);
        meter.sample(); // may untrack it (over a limit)
        if (this.#due.has(meter)) next = Math.min(next, now + interval);
      } else next = Math.min(next, due);
    }
    if (next < Infinity && this.#timer === undefined) this.#arm(next);
  }

  /** The processes now, from a recent scan if there is one. @internal */
  processes(): Map<number, ProcStat> | undefined {
    if (!this.#files) return undefined;
    const now = performance.now();
    if (this.#scan && now - this.#scan.at < this.#o.intervalSeconds * 250) return this.#scan.procs;
    this.#scan = { at: now, procs: scanProcesses(this.#files, this.#o.procRoot) };
    return this.#scan.procs;
  }

  /**
   * Whether a shell's `ru_maxrss` says something about the task: the shell
   * was spawned sharing the worker's memory until its exec (posix_spawn's
   * vfork), and Linux counts the worker's own peak resident size
   * (`VmHWM`) into the shell's at that exec. So only a figure above the
   * worker's peak is the task's own. The worker's peak is read again only
   * when a figure exceeds the last one read.
   *
   * @internal
   */
  isTasksOwnPeak(maxRssMB: number): boolean {
    if (maxRssMB <= this.#workerPeakMB) return false;
    const status = this.#files?.read("/proc/self/status");
    const kb = status === undefined ? undefined : /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kb === undefined) return false;
    this.#workerPeakMB = Number(kb) / 1024;
    return maxRssMB > this.#workerPeakMB; // its peak at the spawn is no more than now
  }

  /** The kernel files reader, if any. @internal */
  get files(): KernelFiles | undefined {
    return this.#files;
  }

  /** Logs a problem. @internal */
  log(message: string): void {
    this.#o.log?.(message);
  }
}

/** One task's measurement, from {@linkcode Measurer.track}. */
export class TaskMeter {
  #m: Measurer;
  #o: TrackOptions;
  #samples = 0;
  #memoryPeak = 0;
  #diskPeak?: number;
  #cpuTicks = new Map<number, number>();
  #cgroup?: string;
  #cgroupCpu?: number;
  #walk?: Promise<void>;
  #over = false;
  #ended = false;

  /** Use {@linkcode Measurer.track}. */
  constructor(measurer: Measurer, options: TrackOptions) {
    this.#m = measurer;
    this.#o = options;
    this.#cgroup = options.cgroup;
  }

  /** How many samples were taken. */
  get samples(): number {
    return this.#samples;
  }

  /** Takes one sample. @internal */
  sample(): void {
    if (this.#ended || this.#over) return;
    this.#samples++;
    try {
      const mb = this.#cgroup !== undefined ? this.#sampleCgroup() : this.#sampleProcesses();
      if (mb !== undefined) {
        this.#memoryPeak = Math.max(this.#memoryPeak, mb);
        this.#check("memory", this.#memoryPeak, this.#o.limits.memoryMB);
      }
    } catch (e) {
      this.#m.log(`cannot sample the processes of pid ${this.#o.pid}: ${errorMessage(e)}`);
    }
    this.#walk ??= this.#walkDisk().finally(() => this.#walk = undefined);
  }

  /** The task's memory now, in MB, from its cgroup. */
  #sampleCgroup(): number | undefined {
    const files = this.#m.files;
    const u = files && readCgroupUsage(files, this.#cgroup!);
    if (!u || !u.populated) {
      // Its shell could not enter it (or it is gone): follow its processes instead.
      this.#m.log(`task of pid ${this.#o.pid} is not in its cgroup ${this.#cgroup}: using /proc`);
      this.#cgroup = undefined;
      return this.#sampleProcesses();
    }
    if (u.cpuSeconds !== undefined) this.#cgroupCpu = u.cpuSeconds;
    return u.memoryMB;
  }

  /** The sum of the resident memory of the task's processes now, in MB. */
  #sampleProcesses(): number | undefined {
    const procs = this.#m.processes();
    const files = this.#m.files;
    if (!procs || !files) return undefined;
    let pages = 0;
    for (const p of taskProcesses(procs, this.#o.pid, this.#o.sessionLeader)) {
      pages += p.rssPages;
      this.#cpuTicks.set(p.pid, p.cpuTicks);
    }
    return pages * files.pageSize / MB;
  }

  async #walkDisk(): Promise<void> {
    try {
      const mb = await diskUsage(this.#o.sandbox) / MB;
      this.#diskPeak = Math.max(this.#diskPeak ?? 0, mb);
      if (!this.#ended) this.#check("disk", mb, this.#o.limits.diskMB);
    } catch (e) {
      this.#m.log(`cannot measure the sandbox ${this.#o.sandbox}: ${errorMessage(e)}`);
    }
  }

  #check(resource: Exhaustion["resource"], peakMB: number, limitMB: number | undefined): void {
    if (this.#over || limitMB === undefined || !(limitMB > 0) || peakMB <= limitMB) return;
    this.#over = true;
    this.#m.untrack(this);
    this.#o.onExceeded?.({ resource, limitMB, peakMB });
  }

  /** Stops sampling, without a result (the task was killed and forgotten). */
  stop(): void {
    this.#ended = true;
    this.#m.untrack(this);
  }

  /**
   * Stops sampling and puts the numbers together: the sampled peaks, the
   * shell's rusage, the cgroup's CPU time, and a last walk of the sandbox
   * if the task ran long enough to be sampled (a task shorter than an
   * interval has no disk figure: walking every tiny task's sandbox would
   * cost more than running it).
   *
   * @param end Its wall time, and its rusage if known.
   * @returns What it used.
   */
  async finish(end: TaskEnd): Promise<Measured> {
    this.stop();
    await this.#walk;
    if (this.#samples > 0) await this.#walkDisk();
    let method: Measured["method"] = "proc";
    let memory = this.#samples > 0 && this.#m.files ? this.#memoryPeak : undefined;
    let cpu: number | undefined;
    if (this.#cpuTicks.size > 0) {
      let ticks = 0;
      for (const t of this.#cpuTicks.values()) ticks += t;
      cpu = ticks / (this.#m.files?.clockTicks ?? 100);
    }
    const cg = this.#cgroup !== undefined && this.#m.files
      ? readCgroupUsage(this.#m.files, this.#cgroup)
      : undefined;
    // Nothing ever ran in it if it counted no CPU time: its shell did not enter it.
    if (cg && (cg.cpuSeconds ?? this.#cgroupCpu ?? 0) > 0) {
      method = "cgroup";
      cpu = cg.cpuSeconds ?? this.#cgroupCpu;
    }
    if (end.usage) {
      if (this.#m.isTasksOwnPeak(end.usage.maxRssMB)) {
        memory = Math.max(memory ?? 0, end.usage.maxRssMB);
      }
      cpu = Math.max(cpu ?? 0, end.usage.cpuSeconds);
    }
    const wall = end.usec / 1e6;
    const out: Measured = { method };
    if (memory !== undefined) out.memoryMB = memory;
    if (this.#diskPeak !== undefined) out.diskMB = this.#diskPeak;
    if (cpu !== undefined) out.cpuSeconds = cpu;
    out.wallSeconds = wall;
    if (cpu !== undefined && wall > 0) out.cores = cpu / wall;
    return out;
  }
}

/**
 * The limits of a task: the memory and disk it asked for (our manager
 * always sends its allocation). An amount that is absent or not positive
 * is no limit.
 *
 * @param request The task's resource lines.
 * @returns Its limits, in MB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(taskLimits({ cores: 1, memory: 100, disk: 0 }), { memoryMB: 100 });
 * assert.deepEqual(taskLimits({}), {});
 * ```
 */
export function taskLimits(request: Readonly<ResourceRequest>): Limits {
  const out: Limits = {};
  if (request.memory !== undefined && request.memory > 0) out.memoryMB = request.memory;
  if (request.disk !== undefined && request.disk > 0) out.diskMB = request.disk;
  return out;
}
