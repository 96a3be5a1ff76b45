/**
 * The README's demo: a manager and two local workers run a small ensemble.
 *
 * Each of the 20 tasks runs the same shell script (`simulate.sh`, one cached
 * input sent once per worker) on its own parameters (a per-task input
 * buffer), draws pseudo-random samples with `awk`, sorts them, and writes a
 * one-line summary to an output file that comes back to the manager. The
 * demo prints a line per completed task and a summary, checks every output
 * against the value it computes itself, and exits 0 only if all are right.
 *
 * Run it from the repository root (it needs nothing beyond Deno and a POSIX
 * shell with `awk`, `sort` and `wc`):
 *
 * ```sh
 * deno task demo                    # or: npx -y deno@2.9.6 task demo
 * deno task demo --tasks 50         # a bigger ensemble
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import {
  type LocalWorker,
  reapLocalWorkers,
  startLocalWorker,
  untilWorkersJoin,
} from "./local_workers.ts";

/** The shared input: what every task runs. */
const SCRIPT = `#!/bin/sh
# simulate.sh: reads seed and n from params.txt, draws n samples in 0..999,
# sorts them, and summarises them in result.txt.
set -e
. ./params.txt
awk -v seed="$seed" -v n="$n" 'BEGIN {
  x = seed
  for (i = 0; i < n; i++) { x = (x * 75 + 74) % 65537; print x % 1000 }
}' | sort -n > samples.txt
count=$(wc -l < samples.txt)
awk -v seed="$seed" -v count="$count" '{ s += $1; a[NR] = $1 } END {
  printf "seed=%d count=%d sum=%d min=%d median=%d max=%d\\n", seed, count, s, a[1], a[int((NR + 1) / 2)], a[NR]
}' samples.txt > result.txt
echo "seed $seed: $count samples"
`;

/** What `simulate.sh` must write for these parameters. */
function expected(seed: number, n: number): string {
  const xs: number[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 75 + 74) % 65537;
    xs.push(x % 1000);
  }
  xs.sort((a, b) => a - b);
  const sum = xs.reduce((a, b) => a + b, 0);
  const median = xs[Math.floor((n + 1) / 2) - 1];
  return `seed=${seed} count=${n} sum=${sum} min=${xs[0]} median=${median} max=${xs[n - 1]}\n`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      tasks: { type: "string", default: "20" },
      samples: { type: "string", default: "5000" },
    },
  });
  const nTasks = Number(values.tasks);
  const nSamples = Number(values.samples);
  if (!Number.isInteger(nTasks) || nTasks < 1 || !Number.isInteger(nSamples) || nSamples < 1) {
    console.error(`demo: --tasks and --samples must be positive integers`);
    return 2;
  }

  const started = Date.now();
  const dir = await Deno.makeTempDir({ prefix: "wq-demo-" });
  const workers: LocalWorker[] = [];
  let ok = false;
  try {
    await Deno.writeTextFile(`${dir}/simulate.sh`, SCRIPT);
    await Deno.mkdir(`${dir}/results`);

    await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", name: "wq-demo" });
    console.log(`manager listening on 127.0.0.1:${wq.port}; files in ${dir}`);

    const events = wq.events(); // before the workers start, so that no join is missed
    for (const name of ["a", "b"]) {
      const workdir = `${dir}/worker-${name}`;
      await Deno.mkdir(workdir);
      workers.push(startLocalWorker(wq.port, { workdir, cores: 2 }));
    }
    // Submit once both workers are in, so that the ensemble spreads over them.
    await untilWorkersJoin(events, workers.length, { workers });
    await events.return();
    const s0 = wq.stats;
    console.log(`${s0.workersConnected} workers connected (${s0.totalCores} cores in all)`);

    const seeds = new Map<number, number>();
    for (let i = 1; i <= nTasks; i++) {
      const t = new Task("sh simulate.sh");
      t.specifyInputFile(`${dir}/simulate.sh`, "simulate.sh", { cache: true });
      t.specifyInputBuffer(`seed=${i}\nn=${nSamples}\n`, "params.txt", { cache: false });
      t.specifyOutputFile(`${dir}/results/result.${i}.txt`, "result.txt");
      t.specifyCores(1);
      t.tag = `seed-${i}`;
      seeds.set(wq.submit(t), i);
    }
    console.log(`submitted ${nTasks} tasks`);

    let done = 0, succeeded = 0, verified = 0;
    const perWorker = new Map<string, number>();
    for await (const t of wq) {
      done++;
      const where = `${t.hostname ?? "?"} (${t.host ?? "?"})`;
      perWorker.set(where, (perWorker.get(where) ?? 0) + 1);
      const turnaround = (t.finishTime ?? 0) - (t.submitTime ?? 0);
      const ran = (t.executionTime ?? 0) / 1000;
      let verdict = "output ok";
      if (t.result === WORK_QUEUE_RESULT_SUCCESS && t.returnStatus === 0) {
        succeeded++;
        const seed = seeds.get(t.id)!;
        const got = await Deno.readTextFile(`${dir}/results/result.${seed}.txt`);
        if (got === expected(seed, nSamples)) verified++;
        else verdict = `WRONG output: ${JSON.stringify(got)}`;
      } else {
        verdict = `FAILED: result ${t.result}${
          t.failure ? ` (${t.failure})` : ""
        }; output: ${t.output.trim()}`;
      }
      const pad = String(nTasks).length;
      console.log(
        `[${String(done).padStart(pad)}/${nTasks}] task ${
          String(t.id).padStart(pad)
        } on ${where}: ` +
          `exit ${t.returnStatus}, ran ${seconds(ran)}, done ${
            seconds(turnaround)
          } after submit; ${verdict}`,
      );
    }

    const told = wq.shutdownWorkers(0);
    const s = wq.stats;
    console.log(`\nsummary`);
    console.log(`  tasks:     ${done} done of ${nTasks} submitted, ${succeeded} succeeded`);
    for (const [where, n] of perWorker) console.log(`  worker:    ${where} ran ${n}`);
    console.log(
      `  sent:      ${s.bytesSent} bytes of inputs to workers (simulate.sh once per worker, then cached)`,
    );
    console.log(`  wall time: ${seconds(Date.now() - started)}`);
    console.log(`  outputs:   ${verified} of ${nTasks} verified`);
    ok = done === nTasks && succeeded === nTasks && verified === nTasks;
    console.log(
      ok
        ? `all ${nTasks} tasks succeeded and all outputs are right`
        : `FAILED: ${nTasks - verified} tasks went wrong`,
    );
    console.log(`told ${told} workers to exit`);
  } catch (e) {
    console.error(`demo: ${e instanceof Error ? e.message : e}`);
  } finally {
    // The manager is closed here (await using); wait for the workers to leave.
    ok = (await reapLocalWorkers(workers, "demo")) && ok;
    await Deno.remove(dir, { recursive: true });
  }
  return ok ? 0 : 1;
}

Deno.exit(await main());
