/**
 * Replica exchange Monte Carlo on Work Queue, in the style of the paper's
 * RepExWQ (Bui et al., "Work Queue + Python", section V).
 *
 * N replicas of a 2-D Ising model sit at N temperatures, geometric between
 * `tmin` and `tmax`. Each Monte Carlo step runs one task per replica: the
 * simulation program `ising.awk` (a cached input, sent once per worker)
 * advances the replica's configuration (a per-task input file) by `sweeps`
 * Metropolis sweeps at its temperature and writes the new configuration and
 * its energy (an output file). When all N are back, neighbouring
 * temperatures try to swap their replicas with probability
 * `min(1, exp((1/Ti - 1/Tj)(Ei - Ej)))`, pairs (0,1), (2,3), ... on even
 * steps and (1,2), (3,4), ... on odd ones, and the next step starts.
 *
 * Everything random comes from `seed`: the master's choices from a seeded
 * generator, the tasks' from a seed in their input. The same seed gives the
 * same energies and swaps whatever the workers, their number or their speed.
 *
 * @module
 */

import { Task, WORK_QUEUE_RESULT_SUCCESS, type WorkQueue } from "../../mod.ts";

/** The simulation program shipped to the workers. */
export const ISING_AWK: string = decodeURIComponent(
  new URL("./ising.awk", import.meta.url).pathname,
);

/** The parameters of a run. */
export interface RepexOptions {
  /** Number of replicas (and temperatures), at least 2. */
  replicas: number;
  /** Monte Carlo steps: rounds of one task per replica and then exchanges. */
  steps: number;
  /** Metropolis sweeps per task: the time a task takes. */
  sweeps: number;
  /** Lattice side L (L x L spins). */
  size: number;
  /** Lowest temperature. */
  tmin: number;
  /** Highest temperature. */
  tmax: number;
  /** Seed of every random choice. */
  seed: number;
  /**
   * Seconds each task waits after its sweeps (`sleep`), standing in for a
   * longer simulation, so that a small machine can show what many workers do.
   */
  pad: number;
  /** Directory for the replicas' input and output files. */
  dir: string;
  /** Time origin of the step records, in ms since the epoch; default: when the run starts. */
  t0?: number;
}

/** The timing of one Monte Carlo step. Times are seconds since `t0`. */
export interface StepRecord {
  /** Step number, from 0. */
  step: number;
  /** When its tasks were submitted. */
  start: number;
  /** When its last result came back. */
  end: number;
  /** `end - start`. */
  duration: number;
  /** Workers connected when it ended. */
  workers: number;
  /** Tasks of this step put back in the queue because their worker was lost. */
  requeued: number;
  /** Results received: one per replica. */
  results: number;
}

/** What one temperature saw over the run. Energies and magnetisations are per spin. */
export interface TemperatureRecord {
  /** Index in the ladder, 0 the coldest. */
  index: number;
  /** The temperature. */
  temperature: number;
  /** Mean energy per spin of the replicas it held, over all steps. */
  meanEnergy: number;
  /** Mean |magnetisation| per spin, over all steps. */
  meanAbsMagnetization: number;
  /** Swaps tried with the next temperature (0 for the hottest). */
  attempted: number;
  /** Swaps accepted with the next temperature. */
  accepted: number;
}

/** The state of one temperature after one step's sweeps, before the exchanges. */
export interface EnergyRecord {
  /** Step number. */
  step: number;
  /** Temperature index. */
  index: number;
  /** Which replica held it. */
  replica: number;
  /** Energy per spin. */
  energy: number;
  /** Magnetisation per spin. */
  magnetization: number;
}

/** Callbacks a driver (e.g. the elasticity experiment) hooks into the run. */
export interface RepexHooks {
  /** Before a step's tasks are submitted. */
  beforeStep?(step: number): void | Promise<void>;
  /** Runs while the step's tasks run; the step ends only when it has finished too. */
  duringStep?(step: number): void | Promise<void>;
  /** Called about once a second while waiting; throw to give up (e.g. no worker left). */
  check?(): void;
  /** After each step. */
  afterStep?(record: StepRecord): void;
}

/** Everything a run measured. */
export interface RepexResult {
  /** The temperatures, coldest first. */
  temperatures: number[];
  /** One record per step. */
  steps: StepRecord[];
  /** One record per temperature. */
  perTemperature: TemperatureRecord[];
  /** One record per step and temperature. */
  energies: EnergyRecord[];
  /** Tasks run per worker, by its host name and address. */
  tasksByWorker: Map<string, number>;
}

/**
 * `n` temperatures, geometric from `tmin` to `tmax`.
 *
 * @param n How many.
 * @param tmin The first.
 * @param tmax The last.
 * @returns The ladder, coldest first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(temperatureLadder(3, 1, 4), [1, 2, 4]);
 * ```
 */
export function temperatureLadder(n: number, tmin: number, tmax: number): number[] {
  if (n === 1) return [tmin];
  return Array.from({ length: n }, (_, i) => tmin * (tmax / tmin) ** (i / (n - 1)));
}

/**
 * A seeded generator of numbers in [0, 1) (mulberry32).
 *
 * @param seed Any integer.
 * @returns The generator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = seededRandom(7), b = seededRandom(7);
 * const x = a();
 * assert.equal(b(), x); // the same on every run
 * assert.ok(x >= 0 && x < 1, `${x}`);
 * assert.notEqual(a(), x);
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A replica's configuration. */
interface Replica {
  spins: string;
  energy: number;
  magnetization: number;
}

/** The energy and magnetisation of a configuration, as ising.awk computes them. */
function measure(spins: string, size: number): { energy: number; magnetization: number } {
  const s = (i: number) => (spins[i] === "+" ? 1 : -1);
  let energy = 0, magnetization = 0;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const here = s(r * size + c);
      energy -= here * (s(r * size + (c + 1) % size) + s(((r + 1) % size) * size + c));
      magnetization += here;
    }
  }
  return { energy, magnetization };
}

/** Reads ising.awk's output and checks it against what was asked. */
function readOutput(text: string, what: string, expect: { size: number; seed: number }): Replica {
  const v = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = line.match(/^(\w+) (\S+)$/);
    if (m) v.set(m[1], m[2]);
  }
  const spins = v.get("spins") ?? "";
  const energy = Number(v.get("energy"));
  const bad = (why: string) => new Error(`Cannot read ${what}: ${why}`);
  if (Number(v.get("L")) !== expect.size || Number(v.get("seed")) !== expect.seed) {
    throw bad(`it is not the answer to this task (L ${v.get("L")}, seed ${v.get("seed")})`);
  }
  if (!/^[+-]+$/.test(spins) || spins.length !== expect.size * expect.size) {
    throw bad(`the spins are not ${expect.size * expect.size} of + and -`);
  }
  const m = measure(spins, expect.size);
  if (energy !== m.energy || Number(v.get("magnetization")) !== m.magnetization) {
    throw bad(`energy ${v.get("energy")} does not match its spins (${m.energy})`);
  }
  return { spins, ...m };
}

/**
 * Runs the replica exchange on the queue's workers.
 *
 * @param wq The queue; its workers may come and go during the run.
 * @param options The run's parameters.
 * @param hooks Callbacks for a driver.
 * @returns What the run measured.
 * @throws Error if a task fails or an output is wrong, naming the step and replica.
 *
 * @example
 * ```ts ignore
 * const result = await runReplicaExchange(wq, { replicas: 8, steps: 10, sweeps: 100, size: 16,
 *   tmin: 1.5, tmax: 3.5, seed: 1, pad: 0, dir: "out/replicas" });
 * ```
 */
export async function runReplicaExchange(
  wq: WorkQueue,
  options: RepexOptions,
  hooks: RepexHooks = {},
): Promise<RepexResult> {
  const { replicas: n, size, sweeps, dir } = options;
  const temperatures = temperatureLadder(n, options.tmin, options.tmax);
  const rng = seededRandom(options.seed);
  const seedFor = () => 1 + Math.floor(rng() * 2147483646);
  const spinsOf = () =>
    Array.from({ length: size * size }, () => (rng() < 0.5 ? "+" : "-")).join("");
  const states: Replica[] = Array.from({ length: n }, () => {
    const spins = spinsOf();
    return { spins, ...measure(spins, size) };
  });
  /** atTemperature[t]: the replica that has temperature t. */
  const atTemperature = Array.from({ length: n }, (_, i) => i);
  const sums = temperatures.map(() => ({ energy: 0, absM: 0, attempted: 0, accepted: 0 }));
  const steps: StepRecord[] = [];
  const energies: EnergyRecord[] = [];
  const tasksByWorker = new Map<string, number>();
  const spins = size * size;
  await Deno.mkdir(dir, { recursive: true });
  const t0 = options.t0 ?? Date.now();
  const seconds = () => (Date.now() - t0) / 1000;
  const command = "awk -f ising.awk replica.in > replica.out" +
    (options.pad > 0 ? ` && sleep ${options.pad}` : "");

  for (let step = 0; step < options.steps; step++) {
    await hooks.beforeStep?.(step);
    const start = seconds();
    const requeuedBefore = wq.stats.tasksRequeued;
    const byTask = new Map<number, { t: number; seed: number }>();
    for (let t = 0; t < n; t++) {
      const r = atTemperature[t];
      const seed = seedFor();
      const input = `${dir}/replica-${r}.in`;
      await Deno.writeTextFile(
        input,
        `L ${size}\ntemperature ${temperatures[t]}\nsweeps ${sweeps}\nseed ${seed}\nspins ${
          states[r].spins
        }\n`,
      );
      const task = new Task(command)
        .specifyInputFile(ISING_AWK, "ising.awk", { cache: true })
        .specifyInputFile(input, "replica.in", { cache: false })
        .specifyOutputFile(`${dir}/replica-${r}.out`, "replica.out")
        .specifyCores(1)
        .specifyTag(`step ${step} replica ${r}`);
      byTask.set(wq.submit(task), { t, seed });
    }
    let duringError: unknown;
    const during = (async () => await hooks.duringStep?.(step))().catch((e) => duringError = e);
    let results = 0;
    while (results < n) {
      const task = await wq.wait(1);
      if (task === null) {
        hooks.check?.();
        continue;
      }
      const mine = byTask.get(task.id);
      if (mine === undefined) continue;
      const r = atTemperature[mine.t];
      const what = `step ${step}, replica ${r} at T=${temperatures[mine.t].toFixed(4)}`;
      if (task.result !== WORK_QUEUE_RESULT_SUCCESS || task.returnStatus !== 0) {
        throw new Error(
          `Cannot finish ${what}: the task failed (result ${task.result}${
            task.failure ? `, ${task.failure}` : ""
          }, exit ${task.returnStatus}): ${task.output.trim()}`,
        );
      }
      states[r] = readOutput(await Deno.readTextFile(`${dir}/replica-${r}.out`), what, {
        size,
        seed: mine.seed,
      });
      results++;
      const where = `${task.hostname ?? "?"} (${task.host ?? "?"})`;
      tasksByWorker.set(where, (tasksByWorker.get(where) ?? 0) + 1);
    }
    await during;
    if (duringError !== undefined) throw duringError;
    const end = seconds();
    const record: StepRecord = {
      step,
      start,
      end,
      duration: end - start,
      workers: wq.stats.workersConnected,
      requeued: wq.stats.tasksRequeued - requeuedBefore,
      results,
    };
    steps.push(record);

    for (let t = 0; t < n; t++) {
      const r = atTemperature[t];
      const e = states[r].energy / spins, m = states[r].magnetization / spins;
      sums[t].energy += e;
      sums[t].absM += Math.abs(m);
      energies.push({ step, index: t, replica: r, energy: e, magnetization: m });
    }
    for (let t = step % 2; t + 1 < n; t += 2) {
      const a = atTemperature[t], b = atTemperature[t + 1];
      const delta = (1 / temperatures[t] - 1 / temperatures[t + 1]) *
        (states[a].energy - states[b].energy);
      const u = rng();
      sums[t].attempted++;
      if (delta >= 0 || u < Math.exp(delta)) {
        sums[t].accepted++;
        atTemperature[t] = b;
        atTemperature[t + 1] = a;
      }
    }
    hooks.afterStep?.(record);
  }

  const perTemperature = temperatures.map((temperature, index): TemperatureRecord => ({
    index,
    temperature,
    meanEnergy: sums[index].energy / options.steps,
    meanAbsMagnetization: sums[index].absM / options.steps,
    attempted: sums[index].attempted,
    accepted: sums[index].accepted,
  }));
  return { temperatures, steps, perTemperature, energies, tasksByWorker };
}

/**
 * Writes `steps.csv` (timings), `temperatures.csv` (mean energy and swap
 * acceptance per temperature) and `energies.csv` (each temperature's energy
 * after each step) into `out`.
 *
 * @param out The directory (it must exist).
 * @param result What a run measured.
 * @returns The paths written.
 *
 * @example
 * ```ts ignore
 * await writeResults("repex-out", await runReplicaExchange(wq, options));
 * ```
 */
export async function writeResults(out: string, result: RepexResult): Promise<string[]> {
  const f = (x: number, digits: number) => x.toFixed(digits);
  const files: [string, string[]][] = [
    ["steps.csv", [
      "step,start_s,end_s,duration_s,workers,requeued,results",
      ...result.steps.map((s) =>
        [s.step, f(s.start, 3), f(s.end, 3), f(s.duration, 3), s.workers, s.requeued, s.results]
          .join(",")
      ),
    ]],
    ["temperatures.csv", [
      "index,temperature,mean_energy,mean_abs_magnetization,swaps_attempted,swaps_accepted,acceptance",
      ...result.perTemperature.map((t) =>
        [
          t.index,
          f(t.temperature, 6),
          f(t.meanEnergy, 6),
          f(t.meanAbsMagnetization, 6),
          t.attempted,
          t.accepted,
          t.attempted > 0 ? f(t.accepted / t.attempted, 4) : "",
        ].join(",")
      ),
    ]],
    ["energies.csv", [
      "step,index,temperature,replica,energy,magnetization",
      ...result.energies.map((e) =>
        [
          e.step,
          e.index,
          f(result.temperatures[e.index], 6),
          e.replica,
          f(e.energy, 6),
          f(e.magnetization, 6),
        ].join(",")
      ),
    ]],
  ];
  const paths: string[] = [];
  for (const [name, lines] of files) {
    const path = `${out}/${name}`;
    await Deno.writeTextFile(path, lines.join("\n") + "\n");
    paths.push(path);
  }
  return paths;
}
