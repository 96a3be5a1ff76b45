/**
 * The foremen-fanout scenario (issue 20): what a task costs our manager when
 * its workers sit behind foremen, against the same workers connected to it
 * directly. In one run, in fresh processes each time:
 *
 * 1. **direct**: the manager, and W simulated workers (`sim_workers.ts`'s
 *    `simulateWorkers`, 1 core each, in one process) connected to it;
 * 2. **foremen**: the manager, F of our foremen (`worker/main.ts --foreman`,
 *    with the worker's permission flags) connected to it, and the same W
 *    simulated workers, in one process, W/F connected to each foreman.
 *
 * Each time the manager submits the same N tasks (`/bin/true`, 1 core
 * declared) at once and collects them. It reports, as one JSON line, the
 * manager's CPU (user + system, from its own `process.cpuUsage()`, that is
 * `getrusage`, in µs) per task in both, their ratio (`value`), both rates,
 * and the CPU the foremen and the simulated workers spent (from
 * `/proc/PID/stat`, in 10 ms ticks, over the same interval):
 *
 * ```sh
 * deno run -A bench/foremen_fanout.ts [--workers 1000] [--foremen 10] [--tasks 20000]
 * {"scenario":"foremen-fanout","value":…,"directManagerCpuUsPerTask":…,"foremenManagerCpuUsPerTask":…,…}
 * ```
 *
 * @module
 */

import { Task, WorkQueue } from "../mod.ts";
import { denoRunArgs } from "../tools/entrypoints.ts";
import { cpuSeconds, denoCommand, readLine, runTasks } from "./_child.ts";
import { simulateWorkers } from "./sim_workers.ts";

/** What the manager measured in one run. */
interface ManagerReport {
  tasks: number;
  seconds: number;
  managerCpuSeconds: number;
}

/** One run, direct or through foremen. */
interface RunReport extends ManagerReport {
  /** CPU seconds of the foremen together (0 when direct). */
  foremenCpuSeconds: number;
  /** CPU seconds of the simulated workers' process. */
  simCpuSeconds: number;
}

/** The scenario's JSON line. */
export interface FanoutResult {
  scenario: "foremen-fanout";
  /** The manager's CPU per task through foremen / directly. */
  value: number;
  directManagerCpuUsPerTask: number;
  foremenManagerCpuUsPerTask: number;
  directTasksPerSecond: number;
  foremenTasksPerSecond: number;
  /** The foremen's CPU per task, all of them together. */
  foremenCpuUsPerTask: number;
  directSimCpuUsPerTask: number;
  foremenSimCpuUsPerTask: number;
  workers: number;
  foremen: number;
  tasks: number;
}

const GIVE_UP_MS = 120_000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits for each foreman's port file (`-Z`) to hold its port. */
async function foremanPorts(files: string[], foremen: Deno.ChildProcess[]): Promise<number[]> {
  const exited = foremen.map(() => false);
  foremen.forEach((f, i) => f.status.then(() => exited[i] = true));
  const deadline = Date.now() + GIVE_UP_MS;
  const ports: number[] = [];
  for (const [i, file] of files.entries()) {
    for (;;) {
      const text = await Deno.readTextFile(file).catch(() => "");
      if (text.endsWith("\n")) {
        ports.push(Number(text.trim()));
        break;
      }
      if (exited[i]) throw new Error(`Cannot run foremen-fanout: foreman ${i} exited early`);
      if (Date.now() > deadline) throw new Error(`Cannot run foremen-fanout: no port in ${file}`);
      await sleep(20);
    }
  }
  return ports;
}

/** Sends SIGTERM, then SIGKILL after a while, and waits. */
async function stop(child: Deno.ChildProcess): Promise<void> {
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* it has exited */ }
  }, 5000);
  try {
    child.kill("SIGTERM");
  } catch { /* it has exited */ }
  await child.status;
  clearTimeout(timer);
}

/** One run: the manager, the foremen if any, the simulated workers. */
async function runOnce(workers: number, foremen: number, tasks: number): Promise<RunReport> {
  // With WQ_BENCH_PROFILE_DIR set (bench/main.ts --profile), the manager
  // and the foremen write V8 CPU profiles there when they exit, under direct/
  // or foremen/.
  const profile = Deno.env.get("WQ_BENCH_PROFILE_DIR");
  const where = `${profile}/${foremen ? "foremen" : "direct"}`;
  const manager = denoCommand("foremen_fanout.ts", {
    flags: profile ? ["--cpu-prof", `--cpu-prof-dir=${where}/manager`] : [],
    args: ["--role", "manager", "--tasks", String(tasks), "--cores", String(workers)],
    sockets: foremen || workers,
    stdout: "piped",
  }).spawn();
  const mout = manager.stdout.getReader();
  const buffered = { text: "" };
  const children: Deno.ChildProcess[] = [];
  let sims: Deno.ChildProcess | undefined;
  let finished = false;
  // Under bench/main.ts's directory, which it removes even when it kills this run.
  const dir = await Deno.makeTempDir({
    dir: Deno.env.get("WQ_BENCH_TMP"),
    prefix: "wq-bench-fanout-",
  });
  try {
    const port = Number((await readLine(mout, buffered, "manager")).split(" ")[1]);
    let ports = [port];
    if (foremen > 0) {
      const [deno, run, ...worker] = denoRunArgs("worker");
      const prof = profile ? ["--cpu-prof", `--cpu-prof-dir=${where}/foremen`] : [];
      const files = Array.from({ length: foremen }, (_, i) => `${dir}/foreman${i}.port`);
      for (const [i, file] of files.entries()) {
        await Deno.mkdir(`${dir}/f${i}`);
        const argv = [run, ...prof, ...worker, "--foreman", "-Z", file, "-s", `${dir}/f${i}`];
        argv.push("-t", "900", "127.0.0.1", String(port));
        const options = { cwd: dir, stdin: "null", stdout: "null", stderr: "inherit" } as const;
        children.push(new Deno.Command(deno, { args: argv, ...options }).spawn());
      }
      ports = await foremanPorts(files, children);
    }
    sims = denoCommand("foremen_fanout.ts", {
      flags: [],
      args: ["--role", "sims", "--ports", ports.join(","), "--workers", String(workers)],
      sockets: workers,
      stdout: "null",
    }).spawn();
    const watched = [...children, sims];
    // A foreman or the simulated workers gone before the end would leave the manager waiting.
    let measuring = true;
    const died = new Promise<never>((_, reject) =>
      watched.forEach((c, i) =>
        c.status.then((st) => {
          const who = i < children.length ? `foreman ${i}` : "the simulated workers";
          if (measuring) reject(new Error(`Cannot run foremen-fanout: ${who} exited (${st.code})`));
        })
      )
    );
    const next = () => Promise.race([readLine(mout, buffered, "manager"), died]);
    const line = await next();
    if (line !== "start") throw new Error(`Cannot run foremen-fanout: the manager said '${line}'`);
    const cpu0 = watched.map((c) => cpuSeconds(c.pid));
    const report = JSON.parse(await next()) as ManagerReport;
    measuring = false;
    finished = true;
    if (report.tasks !== tasks) {
      throw new Error(`Cannot run foremen-fanout: ${report.tasks} of ${tasks} tasks came back`);
    }
    const spent = watched.map((c, i) => cpuSeconds(c.pid) - cpu0[i]);
    const simCpuSeconds = spent.pop()!;
    const foremenCpuSeconds = spent.reduce((a, b) => a + b, 0);
    return { ...report, foremenCpuSeconds, simCpuSeconds };
  } finally {
    if (sims) {
      await sims.stdin.close().catch(() => {});
      await sims.status;
    }
    for (const c of children) await stop(c);
    mout.releaseLock();
    await manager.stdin.close().catch(() => {});
    await manager.stdout.cancel().catch(() => {});
    // Done, it exits by itself (writing its profile, if any); stopped early, it would wait on.
    if (finished) await manager.status;
    else await stop(manager);
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Runs the scenario: directly, then through foremen.
 *
 * @param options Workers in all, foremen, tasks.
 * @returns The figures of both runs and their ratio.
 */
export async function runFanout(
  options: { workers: number; foremen: number; tasks: number },
): Promise<FanoutResult> {
  const { workers, foremen, tasks } = options;
  const direct = await runOnce(workers, 0, tasks);
  const viaForemen = await runOnce(workers, foremen, tasks);
  const us = (seconds: number, r: RunReport) => Number((seconds * 1e6 / r.tasks).toFixed(1));
  const rate = (r: RunReport) => Math.round(r.tasks / r.seconds);
  const d = us(direct.managerCpuSeconds, direct);
  const f = us(viaForemen.managerCpuSeconds, viaForemen);
  return {
    scenario: "foremen-fanout",
    value: Number((f / d).toFixed(3)),
    directManagerCpuUsPerTask: d,
    foremenManagerCpuUsPerTask: f,
    directTasksPerSecond: rate(direct),
    foremenTasksPerSecond: rate(viaForemen),
    foremenCpuUsPerTask: us(viaForemen.foremenCpuSeconds, viaForemen),
    directSimCpuUsPerTask: us(direct.simCpuSeconds, direct),
    foremenSimCpuUsPerTask: us(viaForemen.simCpuSeconds, viaForemen),
    workers,
    foremen,
    tasks,
  };
}

/** The manager: listen, wait for every core, run the tasks, report, release the workers. */
async function managerRole(tasks: number, cores: number): Promise<void> {
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", keepaliveTimeout: 300 });
  console.log(`port ${wq.port}`);
  while (wq.stats.totalCores < cores) await sleep(20);
  console.log("start");
  const run = await runTasks(wq, tasks, () => new Task("/bin/true").specifyCores(1));
  const report: ManagerReport = {
    tasks: run.done,
    seconds: run.seconds,
    managerCpuSeconds: run.cpuSeconds,
  };
  console.log(JSON.stringify(report));
  wq.shutdownWorkers(0);
}

/** The simulated workers: as many on each port, until stdin closes. */
async function simsRole(ports: number[], workers: number): Promise<void> {
  const sims = [];
  let first = 0;
  for (const [i, port] of ports.entries()) {
    const n = Math.floor(workers / ports.length) + (i < workers % ports.length ? 1 : 0);
    sims.push(await simulateWorkers({ port, workers: n, first }));
    first += n;
  }
  const b = new Uint8Array(1024);
  while ((await Deno.stdin.read(b)) !== null) { /* wait for EOF */ }
  await Promise.all(sims.map((s) => s.close()));
}

function argValue(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

function count(name: string, fallback: number): number {
  const v = Number(argValue(name) ?? fallback);
  if (!Number.isInteger(v) || v < 0) {
    throw new RangeError(`Cannot run foremen-fanout: ${name} must be a whole number, got '${v}'`);
  }
  return v;
}

if (import.meta.main) {
  const role = argValue("--role");
  if (role === "manager") {
    await managerRole(count("--tasks", 20000), count("--cores", 1000));
  } else if (role === "sims") {
    await simsRole((argValue("--ports") ?? "").split(",").map(Number), count("--workers", 1000));
    Deno.exit(0);
  } else {
    const workers = count("--workers", 1000);
    const foremen = count("--foremen", 10);
    if (foremen < 1 || workers < foremen) {
      throw new RangeError(
        `Cannot run foremen-fanout: --foremen must be 1 to --workers (${workers}), got ${foremen}`,
      );
    }
    console.log(
      JSON.stringify(await runFanout({ workers, foremen, tasks: count("--tasks", 20000) })),
    );
  }
}
