/**
 * Replica exchange Monte Carlo, the master in the style of the paper's
 * RepExWQ: one task per replica per step, exchanges between neighbouring
 * temperatures, results as CSV. See README.md beside this file.
 *
 * ```sh
 * deno task repex                              # 16 replicas, 20 steps, 2 local workers
 * deno task repex --replicas 40 --steps 50 --workers 0 --port 9123   # external workers
 * ```
 *
 * @module
 */

import { WorkQueue } from "../../mod.ts";
import {
  type LocalWorker,
  reapLocalWorkers,
  startLocalWorker,
  untilWorkersJoin,
} from "../local_workers.ts";
import { readCommandLine, REPEX_DEFAULTS, REPEX_HELP, wholeOption } from "./cli.ts";
import { runReplicaExchange, writeResults } from "./replica_exchange.ts";

const USAGE = `Usage: deno task repex [options]

Runs a replica exchange Monte Carlo of a 2-D Ising model, one task per replica
per step, and writes steps.csv, temperatures.csv and energies.csv to --out.

${REPEX_HELP}
  --workers N    local workers to start (1 core each); 0: wait for external workers
  --port N       port to listen on (default: any free port with local workers,
                 9123 without; 0: any)
  --hostname A   address to listen on (default: 127.0.0.1 with local workers,
                 0.0.0.0 without)
  --wait-for N   wait until N workers have connected before the first step
                 (default: the local workers, so 0 without)`;

async function main(): Promise<number> {
  const cl = readCommandLine(
    "repex",
    USAGE,
    REPEX_DEFAULTS,
    { workers: "2", port: undefined, hostname: undefined, "wait-for": undefined },
    (v) => {
      const workers = wholeOption("workers", v.workers!, 0);
      const port = v.port === undefined ? (workers > 0 ? 0 : 9123) : Number(v.port);
      if (v.port?.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
        throw new RangeError(`Cannot use --port: it must be 0..65535, not '${v.port}'`);
      }
      const hostname = v.hostname ?? (workers > 0 ? "127.0.0.1" : "0.0.0.0");
      const waitFor = v["wait-for"] === undefined
        ? workers
        : wholeOption("wait-for", v["wait-for"], 0);
      return { workers, port, hostname, waitFor };
    },
  );
  if (typeof cl === "number") return cl;
  const { run: { options, out }, extra: { workers: nWorkers, port, hostname, waitFor } } = cl;

  const workers: LocalWorker[] = [];
  const scratch = await Deno.makeTempDir({ prefix: "wq-repex-" });
  let ok = false;
  try {
    await Deno.mkdir(out, { recursive: true });
    await using wq = new WorkQueue({
      port,
      hostname,
      name: "wq-repex",
    });
    console.log(`manager listening on port ${wq.port}`);
    const events = wq.events(); // before the workers start, so that no join is missed
    for (let i = 0; i < nWorkers; i++) {
      const workdir = `${scratch}/worker-${i + 1}`;
      await Deno.mkdir(workdir);
      workers.push(startLocalWorker(wq.port, { workdir, cores: 1 }));
    }
    if (nWorkers === 0) console.log(`waiting for workers: worker/main.ts HOST ${wq.port}`);
    await untilWorkersJoin(events, waitFor, { workers, timeoutMs: Infinity });
    await events.return();
    if (waitFor > 0) console.log(`${wq.stats.workersConnected} workers connected`);
    console.log(
      `${options.replicas} replicas, T ${options.tmin}..${options.tmax}, ${options.steps} steps of ${options.sweeps} sweeps on ${options.size}x${options.size} spins`,
    );
    const result = await runReplicaExchange(wq, options, {
      check() {
        if (nWorkers > 0 && workers.every((w) => w.exited)) {
          throw new Error(`Cannot go on: every local worker exited:\n${workers[0].output()}`);
        }
      },
      afterStep(s) {
        console.log(
          `step ${s.step + 1}/${options.steps}: ${s.results} results in ${
            s.duration.toFixed(2)
          } s on ${s.workers} workers`,
        );
      },
    });
    const paths = await writeResults(out, result);

    console.log(`\n    T   <E>/spin  <|M|>/spin  swaps with next T`);
    for (const t of result.perTemperature) {
      const ratio = t.attempted > 0
        ? `${t.accepted}/${t.attempted} (${(t.accepted / t.attempted).toFixed(2)})`
        : "";
      console.log(
        `${t.temperature.toFixed(3).padStart(6)}  ${t.meanEnergy.toFixed(4).padStart(8)}  ${
          t.meanAbsMagnetization.toFixed(4).padStart(10)
        }  ${ratio}`.trimEnd(),
      );
    }
    for (const [where, n] of result.tasksByWorker) console.log(`worker ${where} ran ${n} tasks`);
    const total = result.steps.reduce((a, s) => a + s.duration, 0);
    console.log(`\n${options.steps} steps in ${total.toFixed(2)} s; wrote ${paths.join(", ")}`);
    ok = true;
    wq.shutdownWorkers(0);
  } catch (e) {
    console.error(`repex: ${e instanceof Error ? e.message : e}`);
  } finally {
    ok = (await reapLocalWorkers(workers, "repex")) && ok;
    await Deno.remove(scratch, { recursive: true });
  }
  return ok ? 0 : 1;
}

Deno.exit(await main());
