/**
 * Function calls against shell tasks, in one run (issue 19): our manager and
 * one of our workers; N calls of a function that returns at once, and N
 * `/bin/true` tasks, each kind submitted all at once and waited for; then
 * the round trip of one call at a time. Prints one JSON line.
 *
 * ```sh
 * deno run -A bench/functions.ts [N] [CORES] [ROUND_TRIPS] [calls]
 * ```
 *
 * Defaults: N 10000, CORES 2, ROUND_TRIPS 500; `calls`: leave out the shell
 * tasks. With `WQ_BENCH_PROFILE_DIR` set, the worker writes V8 CPU profiles there.
 *
 * @module
 */

import { FunctionCall, Task, WorkQueue } from "../mod.ts";
import { denoRunArgs, ROOT } from "../tools/entrypoints.ts";
import { spawnProc, waitOrKill } from "./_proc.ts";

const n = Number(Deno.args[0] ?? 10_000);
const cores = Number(Deno.args[1] ?? 2);
const trips = Number(Deno.args[2] ?? 500);
const callsOnly = Deno.args[3] === "calls";

const dir = await Deno.makeTempDir({ prefix: "wq-bench-fn-" });
await Deno.writeTextFile(`${dir}/noop.ts`, "export function noop(): number {\n  return 1;\n}\n");

/** Submits all, waits for all; the rate in per second, and how many failed. */
async function batch(wq: WorkQueue, items: Task[]): Promise<{ rate: number; failed: number }> {
  const start = performance.now();
  for (const t of items) wq.submit(t);
  let failed = 0;
  for (let i = 0; i < items.length; i++) {
    const t = await wq.wait(120);
    if (!t) throw new Error(`timed out with ${i} of ${items.length} back`);
    if (!t.ok) failed++;
  }
  return { rate: items.length / ((performance.now() - start) / 1000), failed };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

{
  await using wq = new WorkQueue({ port: 0 });
  wq.installLibrary({ name: "bench", module: `${dir}/noop.ts` });
  // WQ_BENCH_PROFILE_DIR: V8 CPU profiles of the worker there (bench/profile_top.ts reads them).
  const profile = Deno.env.get("WQ_BENCH_PROFILE_DIR");
  const [deno, run, ...rest] = denoRunArgs("worker");
  const prof = profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [];
  await using worker = spawnProc(
    [
      deno,
      run,
      ...prof,
      ...rest,
      "--single-shot",
      "--cores",
      String(cores),
      "-s",
      dir,
      "127.0.0.1",
      String(wq.port),
    ],
    { cwd: ROOT },
  );
  // Warm up: the worker connects, the library starts.
  await wq.run(new FunctionCall("bench", "noop"));
  const shell = callsOnly
    ? { rate: NaN, failed: 0 }
    : await batch(wq, Array.from({ length: n }, () => new Task("/bin/true").specifyCores(1)));
  const calls = await batch(wq, Array.from({ length: n }, () => new FunctionCall("bench", "noop")));
  const rtt: number[] = [];
  for (let i = 0; i < trips; i++) {
    const t0 = performance.now();
    await wq.run(new FunctionCall("bench", "noop"));
    rtt.push(performance.now() - t0);
  }
  rtt.sort((a, b) => a - b);
  console.log(JSON.stringify({
    scenario: "functions",
    n,
    cores,
    shellPerSec: Math.round(shell.rate),
    callsPerSec: Math.round(calls.rate),
    ratio: Number((calls.rate / shell.rate).toFixed(2)),
    roundTripMs: {
      median: Number(percentile(rtt, 0.5).toFixed(3)),
      p90: Number(percentile(rtt, 0.9).toFixed(3)),
    },
    failed: shell.failed + calls.failed,
  }));
  await wq.close();
  if (await waitOrKill(worker, 5000) === null) worker.killTree();
}
await Deno.remove(dir, { recursive: true });
