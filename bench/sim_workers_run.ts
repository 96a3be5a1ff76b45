/**
 * The sim-workers scenarios: a manager in its own process, many simulated
 * workers (`sim_workers.ts`) in one or more others, and N tasks through the
 * manager. It reports the rate, what the manager process spent (CPU seconds,
 * RSS, heap) and its memory per connected worker, as one JSON line:
 *
 * ```sh
 * deno run -A bench/sim_workers_run.ts [--workers 1000] [--tasks 100000] [--cores 1] [--sim-procs 1]
 *     [--sim-no-fast-path | --sim-plain-too]
 * {"scenario":"sim-workers","tasksPerSecond":…,"managerCpuSeconds":…,"managerRssPerWorker":…,…}
 * ```
 *
 * The simulated workers speak the fast path with the manager
 * (`lib/wire/fast_path.ts`), as our worker does; with `--sim-no-fast-path`
 * they speak plain protocol 9, as CCTools' worker does. `--sim-plain-too`
 * measures both, one after the other in fresh processes, and reports the
 * fast path's run with the plain one's rate and CPU beside it
 * (`plainTasksPerSecond`, `plainManagerCpuSeconds`, `plainSimCpuSeconds`).
 *
 * Each process holds one socket per worker: when the soft limit on open
 * files is too low for that, the processes are started through
 * `sh -c 'ulimit -n HARD; exec …'` (raised to the hard limit), and it fails
 * if the hard limit is too low as well.
 *
 * @module
 */

import { Task, WorkQueue } from "../mod.ts";
import { cpuSeconds, denoCommand, readLine, runTasks, threadSeconds } from "./_child.ts";

/** Options of {@linkcode runSimWorkers}. */
export interface SimWorkersRunOptions {
  /** Simulated workers. Default 1000. */
  workers?: number;
  /** Tasks submitted, all at once. Default 100000. */
  tasks?: number;
  /** Cores (task slots) per simulated worker. Default 1. */
  cores?: number;
  /** Processes the simulated workers are spread over. Default 1. */
  simProcs?: number;
  /** The simulated workers offer the fast path. Default true. */
  fastPath?: boolean;
}

/** What one run measured. */
export interface SimWorkersResult {
  scenario: "sim-workers";
  /** Tasks completed per second, from the first submit to the last `wait()`. */
  tasksPerSecond: number;
  /** CPU (user + system) the manager process spent over that time. */
  managerCpuSeconds: number;
  /** The manager's resident set at the end. */
  managerRssBytes: number;
  /** The manager's V8 heap in use at the end. */
  managerHeapUsedBytes: number;
  /** Growth of the manager's RSS from listening to every worker connected, per worker. */
  managerRssPerWorker: number;
  /** The same for its V8 heap and external memory, after a full GC. */
  managerHeapPerWorker: number;
  /**
   * The manager's CPU seconds over the run by thread: `main` (JavaScript and
   * the event loop), and the others by name (V8's GC and compiler workers,
   * Deno's).
   */
  managerThreads: Record<string, number>;
  /**
   * CPU the processes of simulated workers spent over the run, together: when
   * it nears the cores the manager leaves free, they are the bottleneck.
   */
  simCpuSeconds?: number;
  /** Whether the simulated workers offered the fast path. */
  fastPath?: boolean;
  /** With `--sim-plain-too`: the same run with plain protocol 9. */
  plainTasksPerSecond?: number;
  /** With `--sim-plain-too`: the manager's CPU seconds in the plain run. */
  plainManagerCpuSeconds?: number;
  /** With `--sim-plain-too`: the simulated workers' CPU seconds in the plain run. */
  plainSimCpuSeconds?: number;
  workers: number;
  tasks: number;
  seconds: number;
}

/**
 * Runs the scenario: spawns the manager process and the simulated workers,
 * and waits for the manager's report.
 *
 * @param options Workers, tasks, cores per worker, processes of workers.
 * @returns The measurements.
 */
export async function runSimWorkers(options: SimWorkersRunOptions = {}): Promise<SimWorkersResult> {
  const workers = options.workers ?? 1000;
  const tasks = options.tasks ?? 100000;
  const cores = options.cores ?? 1;
  const procs = Math.max(1, Math.min(options.simProcs ?? 1, workers));
  const fastPath = options.fastPath ?? true;
  // With WQ_BENCH_PROFILE_DIR set (bench/main.ts --profile), the manager
  // writes a V8 CPU profile there when it exits.
  const profile = Deno.env.get("WQ_BENCH_PROFILE_DIR");
  const manager = denoCommand("sim_workers_run.ts", {
    flags: [
      "--v8-flags=--expose-gc",
      ...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}/manager`] : []),
    ],
    args: ["--role", "manager", "--workers", String(workers), "--tasks", String(tasks)],
    sockets: workers,
    stdout: "piped",
  }).spawn();
  const mout = manager.stdout.getReader();
  const buffered = { text: "" };
  const sims: Deno.ChildProcess[] = [];
  try {
    const port = Number((await readLine(mout, buffered, "manager")).split(" ")[1]);
    for (let p = 0, first = 0; p < procs; p++) {
      const n = Math.floor(workers / procs) + (p < workers % procs ? 1 : 0);
      const args = ["--port", String(port), "--workers", String(n), "--cores", String(cores)];
      args.push("--first", String(first));
      if (!fastPath) args.push("--no-fast-path");
      first += n;
      sims.push(
        denoCommand("sim_workers.ts", { flags: [], args, sockets: n, stdout: "null" }).spawn(),
      );
    }
    const line = await readLine(mout, buffered, "manager");
    if (line !== "start") throw new Error(`Cannot run sim-workers: the manager said '${line}'`);
    const cpu0 = sims.map((s) => cpuSeconds(s.pid));
    const result = JSON.parse(await readLine(mout, buffered, "manager")) as SimWorkersResult;
    const cpu = sims.reduce((sum, s, i) => sum + cpuSeconds(s.pid) - cpu0[i], 0);
    return { ...result, simCpuSeconds: Number(cpu.toFixed(3)), fastPath };
  } finally {
    for (const sim of sims) await sim.stdin.close().catch(() => {});
    for (const sim of sims) await sim.status;
    mout.releaseLock();
    await manager.stdin.close().catch(() => {});
    await manager.stdout.cancel().catch(() => {});
    await manager.status;
  }
}

/** Memory now, after a full GC. */
function memoryNow(): Deno.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return Deno.memoryUsage();
}

/** The manager's side: listen, wait for the workers, run the tasks, report. */
async function managerRole(workers: number, tasks: number): Promise<void> {
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", keepaliveTimeout: 300 });
  const mem0 = memoryNow();
  console.log(`port ${wq.port}`);
  while (wq.stats.workersConnected < workers) await new Promise((r) => setTimeout(r, 20));
  const mem1 = memoryNow();
  console.log("start");
  const threads0 = threadSeconds();
  const { done, seconds, cpuSeconds } = await runTasks(wq, tasks, () => new Task("/bin/true"));
  const managerThreads: Record<string, number> = {};
  for (const [name, sec] of threadSeconds()) {
    const spent = sec - (threads0.get(name) ?? 0);
    if (spent > 0) managerThreads[name] = Number(spent.toFixed(2));
  }
  const mem = Deno.memoryUsage();
  const result: SimWorkersResult = {
    scenario: "sim-workers",
    tasksPerSecond: Math.round(done / seconds),
    managerCpuSeconds: Number(cpuSeconds.toFixed(3)),
    managerRssBytes: mem.rss,
    managerHeapUsedBytes: mem.heapUsed,
    managerRssPerWorker: Math.round((mem1.rss - mem0.rss) / workers),
    managerHeapPerWorker: Math.round(
      (mem1.heapUsed + mem1.external - mem0.heapUsed - mem0.external) / workers,
    ),
    managerThreads,
    workers,
    tasks: done,
    seconds: Number(seconds.toFixed(3)),
  };
  console.log(JSON.stringify(result));
  wq.shutdownWorkers(0);
}

function argValue(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

if (import.meta.main) {
  const workers = Number(argValue("--workers") ?? 1000);
  const tasks = Number(argValue("--tasks") ?? 100000);
  if (argValue("--role") === "manager") {
    await managerRole(workers, tasks);
  } else {
    const options = {
      workers,
      tasks,
      cores: Number(argValue("--cores") ?? 1),
      simProcs: Number(argValue("--sim-procs") ?? 1),
    };
    const plainOnly = Deno.args.includes("--sim-no-fast-path");
    const r = await runSimWorkers({ ...options, fastPath: !plainOnly });
    if (!plainOnly && Deno.args.includes("--sim-plain-too")) {
      const p = await runSimWorkers({ ...options, fastPath: false });
      r.plainTasksPerSecond = p.tasksPerSecond;
      r.plainManagerCpuSeconds = p.managerCpuSeconds;
      r.plainSimCpuSeconds = p.simCpuSeconds;
    }
    console.log(JSON.stringify(r));
  }
}
