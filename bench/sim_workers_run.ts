/**
 * The sim-workers scenario: a manager in its own process, many simulated
 * workers (`sim_workers.ts`) in another, and N tasks through the manager.
 * It reports the rate and what the manager process spent (CPU seconds, RSS,
 * heap), as one JSON line:
 *
 * ```sh
 * deno run -A bench/sim_workers_run.ts [--workers 1000] [--tasks 100000] [--cores 1]
 * {"scenario":"sim-workers","tasksPerSecond":…,"managerCpuSeconds":…,"managerRssBytes":…,…}
 * ```
 *
 * @module
 */

import { Task, WorkQueue } from "../mod.ts";

/** Options of {@linkcode runSimWorkers}. */
export interface SimWorkersRunOptions {
  /** Simulated workers. Default 1000. */
  workers?: number;
  /** Tasks submitted, all at once. Default 100000. */
  tasks?: number;
  /** Cores (task slots) per simulated worker. Default 1. */
  cores?: number;
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
  workers: number;
  tasks: number;
  seconds: number;
}

const HERE = new URL(".", import.meta.url);

async function firstLine(r: ReadableStreamDefaultReader<Uint8Array>, what: string) {
  const dec = new TextDecoder();
  let text = "";
  for (;;) {
    const nl = text.indexOf("\n");
    if (nl >= 0) return { line: text.slice(0, nl), rest: text.slice(nl + 1) };
    const { value, done } = await r.read();
    if (done) throw new Error(`Cannot run sim-workers: the ${what} exited before it was ready`);
    text += dec.decode(value, { stream: true });
  }
}

/**
 * Runs the scenario: spawns the manager process and the simulated workers,
 * and waits for the manager's report.
 *
 * @param options Workers, tasks, cores per worker.
 * @returns The measurements.
 */
export async function runSimWorkers(options: SimWorkersRunOptions = {}): Promise<SimWorkersResult> {
  const workers = options.workers ?? 1000;
  const tasks = options.tasks ?? 100000;
  const cores = options.cores ?? 1;
  const manager = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("sim_workers_run.ts", HERE).pathname,
      "--role",
      "manager",
      "--workers",
      String(workers),
      "--tasks",
      String(tasks),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const mout = manager.stdout.getReader();
  const portLine = await firstLine(mout, "manager");
  const port = Number(portLine.line.split(" ")[1]);
  const sim = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("sim_workers.ts", HERE).pathname,
      "--port",
      String(port),
      "--workers",
      String(workers),
      "--cores",
      String(cores),
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    let rest = portLine.rest;
    const dec = new TextDecoder();
    for (;;) {
      const nl = rest.indexOf("\n");
      if (nl >= 0) return JSON.parse(rest.slice(0, nl)) as SimWorkersResult;
      const { value, done } = await mout.read();
      if (done) throw new Error("Cannot run sim-workers: the manager exited without a report");
      rest += dec.decode(value, { stream: true });
    }
  } finally {
    await sim.stdin.close().catch(() => {});
    await sim.status;
    mout.releaseLock();
    await manager.stdout.cancel().catch(() => {});
    await manager.status;
  }
}

/** The manager's side: listen, wait for the workers, run the tasks, report. */
async function managerRole(workers: number, tasks: number): Promise<void> {
  const process = await import("node:process");
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", keepaliveTimeout: 300 });
  console.log(`port ${wq.port}`);
  while (wq.stats.workersConnected < workers) await new Promise((r) => setTimeout(r, 20));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < tasks; i++) wq.submit(new Task("/bin/true"));
  let done = 0;
  for await (const t of wq) {
    if (t.result !== 0) throw new Error(`Task ${t.id} failed: result ${t.result}`);
    done++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mem = Deno.memoryUsage();
  const result: SimWorkersResult = {
    scenario: "sim-workers",
    tasksPerSecond: Math.round(done / seconds),
    managerCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
    managerRssBytes: mem.rss,
    managerHeapUsedBytes: mem.heapUsed,
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
    const r = await runSimWorkers({ workers, tasks, cores: Number(argValue("--cores") ?? 1) });
    console.log(JSON.stringify(r));
  }
}
