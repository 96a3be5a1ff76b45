/**
 * One measurement of our manager and worker for `deno task bench`
 * (bench/main.ts runs it in a fresh process for every measurement).
 *
 *   deno run -A --v8-flags=--expose-gc bench/run_ours.ts KIND N DATA_DIR
 *
 * The manager is a {@linkcode WorkQueue} in this process, on 127.0.0.1; the
 * worker is our `worker/main.ts` in its own process, started with the
 * permission flags of `tools/entrypoints.ts` and `--cores 2`. It is warmed up
 * with two tasks before the clock starts. Every task asks for 1 core. Prints
 * one JSON object on one line (the kinds are those of bench/run_cctools.py):
 *
 * - `tasks`: N tasks of `/bin/true`, all submitted, then all collected; tasks/s.
 * - `roundtrip`: N times, submit one `/bin/true` and wait for it; p50 in ms.
 * - `distinct`: N `/bin/true` tasks, each with its own uncached input
 *   `DATA_DIR/distinct/input-I`; MB/s of input (10^6 bytes).
 * - `cached`: N tasks `sha256sum input >/dev/null` sharing the cached input
 *   `DATA_DIR/cached/input`; tasks/s.
 * - `memory`: N tasks submitted with no worker; bytes per task of RSS and of
 *   V8 heap + external memory after a full GC.
 *
 * With `WQ_BENCH_WORKER_BIN` set (the manager-alone scenarios), that worker
 * binary (CCTools' `work_queue_worker`) runs instead of ours, with the
 * arguments bench/run_cctools.py gives it.
 *
 * @module
 */

import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { denoRunArgs } from "../tools/entrypoints.ts";
import { spawnProc, waitOrKill } from "./_proc.ts";

/** The command of the cached-input tasks (and of the local comparison). */
export const CACHED_CMD = "sha256sum input >/dev/null";

/** What a scenario measured: its size, the headline value and extras. */
export interface Result {
  n: number;
  value: number;
  unit: string;
  [extra: string]: unknown;
}

/** One measurement, as printed. */
export interface Measurement extends Result {
  system: "ours";
  kind: string;
}

function trueTask(): Task {
  return new Task("/bin/true").specifyCores(1);
}

function check(t: Task | null, what: string): void {
  if (t === null) throw new Error(`Cannot measure ${what}: wait() returned null`);
  if (t.result !== WORK_QUEUE_RESULT_SUCCESS || t.returnStatus !== 0) {
    throw new Error(
      `Cannot measure ${what}: task ${t.id} failed: result ${t.result}, exit ${t.returnStatus}, ${
        t.failure ?? t.output
      }`,
    );
  }
}

async function collect(wq: WorkQueue, n: number, what: string): Promise<void> {
  for (let i = 0; i < n; i++) check(await wq.wait(-1), what);
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error("Cannot measure memory: run with --v8-flags=--expose-gc");
  g();
  g();
}

function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

async function memory(n: number): Promise<Measurement> {
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  await tick();
  gc();
  const before = Deno.memoryUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) wq.submit(trueTask());
  const seconds = (performance.now() - t0) / 1000;
  for (let i = 0; i < 3; i++) await tick(); // let the scheduling pass run
  gc();
  const after = Deno.memoryUsage();
  if (wq.stats.tasksWaiting !== n) {
    throw new Error(`Cannot measure memory: ${wq.stats.tasksWaiting} of ${n} tasks wait`);
  }
  const live = (after.heapUsed + after.external - before.heapUsed - before.external) / n;
  const rss = (after.rss - before.rss) / n;
  return {
    system: "ours",
    kind: "memory",
    n,
    value: rss,
    unit: "B/task",
    rss_bytes_per_task: rss,
    heap_bytes_per_task: live,
    submit_per_s: n / seconds,
    seconds,
  };
}

async function withWorker(
  kind: string,
  fn: (wq: WorkQueue) => Promise<Result>,
): Promise<Measurement> {
  // Under bench/main.ts's scratch directory, which it removes even if this process is killed.
  const dir = await Deno.makeTempDir({
    dir: Deno.env.get("WQ_BENCH_TMP"),
    prefix: "wq-bench-ours-",
  });
  // With WQ_BENCH_JOURNAL set (bench/main.ts --journal), the manager keeps a journal.
  const journal = Deno.env.get("WQ_BENCH_JOURNAL") ? `${dir}/bench.wqj` : undefined;
  const wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", journal });
  // With WQ_BENCH_PROFILE_DIR set (bench/main.ts --profile), the worker
  // writes a V8 CPU profile there when it exits.
  const profile = Deno.env.get("WQ_BENCH_PROFILE_DIR");
  const [deno, run, ...rest] = denoRunArgs("worker");
  const prof = profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}/worker`] : [];
  const foreign = Deno.env.get("WQ_BENCH_WORKER_BIN");
  const worker = spawnProc(
    [
      ...(foreign ? [foreign] : [
        deno,
        run,
        ...prof,
        ...rest,
        ...JSON.parse(Deno.env.get("WQ_BENCH_WORKER_ARGS") ?? "[]") as string[],
      ]),
      "--cores",
      "2",
      "--single-shot",
      "-t",
      "900",
      "-s",
      dir,
      "127.0.0.1",
      String(wq.port),
    ],
    {
      cwd: dir,
      stdout: "null",
      env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: Deno.env.get("CATALOG_PORT") ?? "1" },
    },
  );
  // A worker that dies makes the measurement fail instead of hang.
  let finished = false;
  worker.status.then((s) => {
    if (finished) return;
    console.error(`our worker exited (${s.code}) during the run:\n${worker.stderr()}`);
    Deno.exit(1);
  });
  try {
    for (let i = 0; i < 2; i++) wq.submit(trueTask());
    await collect(wq, 2, "the warm-up");
    const m = await fn(wq);
    finished = true;
    return { system: "ours", kind, ...m };
  } finally {
    finished = true;
    await wq.close();
    if (await waitOrKill(worker, 5000) === null) {
      console.error("our worker did not exit within 5 s of the manager closing; killed");
    }
    worker.killTree();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function tasks(wq: WorkQueue, n: number): Promise<Result> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) wq.submit(trueTask());
  await collect(wq, n, "tasks");
  const seconds = (performance.now() - t0) / 1000;
  return { n, value: n / seconds, unit: "tasks/s", seconds };
}

async function roundtrip(wq: WorkQueue, n: number): Promise<Result> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    wq.submit(trueTask());
    check(await wq.wait(-1), "round trips");
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const p50 = quantile(ms, 0.5);
  return { n, value: p50, unit: "ms", p50_ms: p50, p90_ms: quantile(ms, 0.9) };
}

async function distinct(wq: WorkQueue, n: number, data: string): Promise<Result> {
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const path = `${data}/distinct/input-${i}`;
    bytes += Deno.statSync(path).size;
    wq.submit(trueTask().specifyInputFile(path, "input", { cache: false }));
  }
  await collect(wq, n, "distinct inputs");
  const seconds = (performance.now() - t0) / 1000;
  return { n, value: bytes / seconds / 1e6, unit: "MB/s", seconds, bytes };
}

async function cached(wq: WorkQueue, n: number, data: string): Promise<Result> {
  const path = `${data}/cached/input`;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    wq.submit(new Task(CACHED_CMD).specifyCores(1).specifyInputFile(path, "input"));
  }
  await collect(wq, n, "cached input");
  const seconds = (performance.now() - t0) / 1000;
  return { n, value: n / seconds, unit: "tasks/s", seconds };
}

async function main(args: string[]): Promise<Measurement> {
  const [kind, nText, data = ""] = args;
  const n = Number(nText);
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Cannot run: bad N '${nText}'`);
  switch (kind) {
    case "memory":
      return await memory(n);
    case "tasks":
      return await withWorker(kind, (wq) => tasks(wq, n));
    case "roundtrip":
      return await withWorker(kind, (wq) => roundtrip(wq, n));
    case "distinct":
      return await withWorker(kind, (wq) => distinct(wq, n, data));
    case "cached":
      return await withWorker(kind, (wq) => cached(wq, n, data));
    default:
      throw new RangeError(`Cannot run: unknown kind '${kind}'`);
  }
}

if (import.meta.main) {
  try {
    console.log(JSON.stringify(await main(Deno.args)));
    Deno.exit(0);
  } catch (e) {
    console.error(e instanceof Error ? e.stack : String(e));
    Deno.exit(1);
  }
}
