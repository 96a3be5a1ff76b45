/**
 * The replica exchange of `repex.ts`, with each replica's Metropolis sweeps
 * as a function call (`ising.ts`, a library each worker imports once)
 * instead of a shell task running `ising.awk`, measured against the shell
 * version in the same run on the same local workers. Both versions take
 * the same random choices, so they must find the same energies, step for
 * step: the script checks that they do.
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-net --allow-run examples/repex/functions.ts --steps 10
 * ```
 *
 * @module
 */

import { FunctionCall, WorkQueue } from "../../mod.ts";
import { reapLocalWorkers, startLocalWorker, untilWorkersJoin } from "../local_workers.ts";
import { readCommandLine, REPEX_DEFAULTS, REPEX_HELP, wholeOption } from "./cli.ts";
import {
  type EnergyRecord,
  type RepexOptions,
  runReplicaExchange,
  seededRandom,
  temperatureLadder,
} from "./replica_exchange.ts";
import type { SweepOutput } from "./ising.ts";

const USAGE = `Usage: examples/repex/functions.ts [options]

Runs the replica exchange twice on the same local workers: its sweeps as shell
tasks (ising.awk), then as function calls (ising.ts); checks that both find the
same energies and prints how long each took.

${REPEX_HELP}
  --workers N    local workers to start (1 core each)`;

/** The replica exchange with calls: the loop of `runReplicaExchange()`, the same random choices. */
async function withCalls(
  wq: WorkQueue,
  o: RepexOptions,
): Promise<{ energies: EnergyRecord[]; seconds: number }> {
  const n = o.replicas, spins = o.size * o.size;
  const temperatures = temperatureLadder(n, o.tmin, o.tmax);
  const rng = seededRandom(o.seed);
  const states = Array.from({ length: n }, () => ({
    spins: Array.from({ length: spins }, () => (rng() < 0.5 ? "+" : "-")).join(""),
    energy: 0,
  }));
  const atTemperature = Array.from({ length: n }, (_, i) => i);
  const energies: EnergyRecord[] = [];
  const t0 = performance.now();
  for (let step = 0; step < o.steps; step++) {
    const calls = atTemperature.map((r, t) =>
      new FunctionCall<SweepOutput>("ising", "sweep", {
        size: o.size,
        temperature: temperatures[t],
        sweeps: o.sweeps,
        seed: 1 + Math.floor(rng() * 2147483646),
        spins: states[r].spins,
      }).specifyTag(`step ${step} replica ${r}`)
    );
    const outs = await Promise.all(calls.map((c) => wq.run(c)));
    for (let t = 0; t < n; t++) {
      const r = atTemperature[t];
      states[r] = outs[t];
      energies.push({
        step,
        index: t,
        replica: r,
        energy: outs[t].energy / spins,
        magnetization: outs[t].magnetization / spins,
      });
    }
    for (let t = step % 2; t + 1 < n; t += 2) {
      const a = atTemperature[t], b = atTemperature[t + 1];
      const delta = (1 / temperatures[t] - 1 / temperatures[t + 1]) *
        (states[a].energy - states[b].energy);
      const u = rng(); // drawn whatever delta is, as runReplicaExchange() draws it
      if (delta >= 0 || u < Math.exp(delta)) {
        atTemperature[t] = b;
        atTemperature[t + 1] = a;
      }
    }
  }
  return { energies, seconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<number> {
  const cl = readCommandLine(
    "repex-functions",
    USAGE,
    { ...REPEX_DEFAULTS, steps: "10" },
    { workers: "2" },
    (v) => wholeOption("workers", v.workers!, 1),
  );
  if (typeof cl === "number") return cl;
  const { run: { options }, extra: nWorkers } = cl;
  const scratch = await Deno.makeTempDir({ prefix: "wq-repex-fn-" });
  const workers = [];
  let ok = false;
  try {
    await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
    wq.installLibrary({ name: "ising", module: new URL("./ising.ts", import.meta.url) });
    const events = wq.events();
    for (let i = 0; i < nWorkers; i++) {
      await Deno.mkdir(`${scratch}/worker-${i + 1}`);
      workers.push(startLocalWorker(wq.port, { workdir: `${scratch}/worker-${i + 1}`, cores: 1 }));
    }
    await untilWorkersJoin(events, nWorkers, { workers });
    await events.return();
    const o = { ...options, dir: `${scratch}/replicas` };
    const shellStart = performance.now();
    const shell = await runReplicaExchange(wq, o);
    const shellSeconds = (performance.now() - shellStart) / 1000;
    const calls = await withCalls(wq, o);
    const same = calls.energies.length === shell.energies.length &&
      calls.energies.every((e, i) =>
        e.energy === shell.energies[i].energy && e.replica === shell.energies[i].replica
      );
    console.log(
      `${o.replicas} replicas, ${o.steps} steps of ${o.sweeps} sweeps on ${o.size}x${o.size} spins, ${nWorkers} workers`,
    );
    console.log(`shell tasks (ising.awk):   ${shellSeconds.toFixed(2)} s`);
    console.log(`function calls (ising.ts): ${calls.seconds.toFixed(2)} s`);
    console.log(`calls took ${(calls.seconds / shellSeconds).toFixed(2)} of the shell tasks' time`);
    console.log(same ? "energies: the same, step for step" : "energies DIFFER");
    ok = same;
    wq.shutdownWorkers(0);
  } catch (e) {
    console.error(`repex-functions: ${e instanceof Error ? e.message : e}`);
  } finally {
    ok = (await reapLocalWorkers(workers, "repex-functions")) && ok;
    await Deno.remove(scratch, { recursive: true });
  }
  return ok ? 0 : 1;
}

Deno.exit(await main());
