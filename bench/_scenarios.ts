/**
 * The benchmark's scenarios: what runs for each system (ours, CCTools, the
 * machine ceiling), at which size, and the target each is held to.
 *
 * @module
 */

/**
 * A system measured in a scenario: `cctools` is Debian's CCTools (protocol
 * 9), `cctools11` a protocol-11 CCTools install given with `--cctools-p11`.
 */
export type System = "ceiling" | "ours" | "cctools" | "cctools11";

/** The systems, in the order each repeat runs them. */
export const SYSTEMS: System[] = ["ceiling", "ours", "cctools", "cctools11"];

/** How one system is run in one scenario. */
export interface Run {
  /**
   * Arguments: for `ours`, of bench/run_ours.ts; for `cctools`, of
   * bench/run_cctools.py; for `ceiling`, of the compiled bench/ceiling.c
   * (`DATA` is replaced by the data directory).
   */
  args: string[];
  /** Run it only in the first repeat (it takes too long to repeat). */
  once?: boolean;
  /**
   * For `ours`: run this script of bench/ (`deno run -A`) with `args`
   * instead of bench/run_ours.ts; its JSON's `value` is the headline.
   */
  script?: string;
  /** Time limit in seconds. */
  timeout: number;
  /**
   * For `ours`: run our manager with that CCTools install's worker instead
   * of ours (`cctools`: Debian's, `cctools11`: `--cctools-p11`'s).
   */
  cctoolsWorker?: "cctools" | "cctools11";
}

/** The medians of one scenario, by system. */
export type Medians = Partial<Record<System, number>>;

/** A target's verdict. */
export interface Verdict {
  /** `true`/`false`, or `null` when it cannot be judged (a column is missing). */
  met: boolean | null;
  /** The achieved ratio or value, in the target's own terms. */
  detail: string;
}

/** One scenario. */
export interface Scenario {
  name: string;
  /** Unit of the headline value. */
  unit: string;
  /** Whether a higher value is better (false for latency and memory). */
  higherIsBetter: boolean;
  /** What it measures, in one line. */
  what: string;
  /** Problem size (tasks, workers), as shown next to the name. */
  size: string;
  /** The systems that run in it. */
  runs: Partial<Record<System, Run>>;
  /** Which field of the ceiling's JSON is the value. */
  ceilingField?: string;
  /** The target, in words, or "" when there is none. */
  target: string;
  /** Judges the target given every scenario's medians. */
  judge?: (all: Map<string, Medians>) => Verdict;
}

/** The command the cached-input tasks run, on the worker and locally. */
export const CACHED_CMD = "sha256sum input >/dev/null";

/** Sizes of one benchmark run. */
export interface Sizes {
  tasks: [number, number, number];
  roundtrips: number;
  distinctTasks: number;
  /** Bytes of each distinct input and of the cached input. */
  inputBytes: number;
  cachedTasks: number;
  memoryOurs: number;
  memoryCctools: number;
  simWorkers: number;
  simTasks: number;
  /** Workers and tasks of sim-workers-10k. */
  simWorkersLarge: number;
  simTasksLarge: number;
  /** Processes the simulated workers of sim-workers-10k are spread over. */
  simProcsLarge: number;
  /** Tasks of manager-alone. */
  managerAloneTasks: number;
  /** Simulated workers, foremen and tasks of foremen-fanout. */
  fanout: { workers: number; foremen: number; tasks: number };
}

/** The full sizes, those of issue 6. */
export const FULL: Sizes = {
  tasks: [200, 2000, 20000],
  roundtrips: 300,
  distinctTasks: 200,
  inputBytes: 10 * 1024 * 1024,
  cachedTasks: 100,
  memoryOurs: 1_000_000,
  memoryCctools: 100_000,
  simWorkers: 1000,
  simTasks: 100_000,
  simWorkersLarge: 10_000,
  simTasksLarge: 100_000,
  simProcsLarge: 2,
  managerAloneTasks: 200,
  fanout: { workers: 1000, foremen: 10, tasks: 20000 },
};

/** Tiny sizes for `--smoke`: every scenario runs, in seconds. */
export const SMOKE: Sizes = {
  tasks: [20, 50, 100],
  roundtrips: 10,
  distinctTasks: 4,
  inputBytes: 1024 * 1024,
  cachedTasks: 4,
  memoryOurs: 10_000,
  memoryCctools: 2_000,
  simWorkers: 20,
  simTasks: 500,
  simWorkersLarge: 40,
  simTasksLarge: 500,
  simProcsLarge: 2,
  managerAloneTasks: 20,
  fanout: { workers: 20, foremen: 2, tasks: 200 },
};

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

function fmtRatio(r: number): string {
  return r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}

function missing(what: string): Verdict {
  return { met: null, detail: `no ${what}` };
}

/**
 * Judges ours against the ceiling and against CCTools at once (issue 16's
 * targets): `ceiling` and `cctools` are the least ratios, or with `lower`
 * the greatest (a time, where lower is better).
 */
function judgeBoth(
  name: string,
  limits: { ceiling?: number; cctools: number; lower?: boolean },
): (all: Map<string, Medians>) => Verdict {
  return (all) => {
    const m = all.get(name) ?? {};
    const ok = (r: number, limit: number) => limits.lower ? r <= limit : r >= limit;
    const parts: string[] = [];
    let met: boolean | null = true;
    if (limits.ceiling !== undefined) {
      const r = ratio(m.ours, m.ceiling);
      if (r === undefined) return missing("ours or ceiling");
      parts.push(limits.lower ? `${fmtRatio(r)} ceiling` : `${(r * 100).toFixed(0)}% of ceiling`);
      met = ok(r, limits.ceiling);
    }
    const c = ratio(m.ours, m.cctools);
    if (c === undefined) {
      parts.push("no CCTools column");
      return { met: met ? null : false, detail: parts.join(", ") };
    }
    parts.unshift(`${fmtRatio(c)} CCTools`);
    return { met: met && ok(c, limits.cctools), detail: parts.join(", ") };
  };
}

/** Options of {@linkcode scenarios}. */
export interface ScenarioOptions {
  /** A protocol-11 CCTools is given: add `manager-alone-p11`. */
  cctools11?: boolean;
}

/**
 * The scenarios at the given sizes.
 *
 * @param s The sizes.
 * @param options Whether a protocol-11 CCTools is given.
 * @returns The scenarios, in run order.
 */
export function scenarios(s: Sizes, options: ScenarioOptions = {}): Scenario[] {
  const [small, mid, large] = s.tasks;
  const taskScenario = (n: number): Scenario => ({
    name: `tasks-${[200, 2000, 20000][s.tasks.indexOf(n)]}`,
    unit: "tasks/s",
    higherIsBetter: true,
    what: `${n} tasks of /bin/true (1 core each) submitted at once; submit of the first to ` +
      `collection of the last`,
    size: `${n} tasks`,
    runs: {
      ceiling: { args: ["spawn", String(n), "2", "/bin/true"], timeout: 600 },
      ours: { args: ["tasks", String(n)], timeout: 1800 },
      cctools: { args: ["tasks", String(n)], timeout: 3600, once: n === large && n >= 20000 },
      cctools11: { args: ["tasks", String(n)], timeout: 3600, once: n === large && n >= 20000 },
    },
    ceilingField: "rate",
    target: "",
  });
  const t200 = taskScenario(small);
  const t2000 = taskScenario(mid);
  for (const t of [t200, t2000]) {
    t.target = ">= 75% of ceiling and >= 1.5x CCTools";
    t.judge = judgeBoth(t.name, { ceiling: 0.75, cctools: 1.5 });
  }
  const t20000 = taskScenario(large);
  t20000.target = `rate >= 85% of ${t200.name}'s`;
  t20000.judge = (all) => {
    const r = ratio(all.get(t20000.name)?.ours, all.get(t200.name)?.ours);
    if (r === undefined) return missing(`ours at ${t200.name} or ${t20000.name}`);
    return { met: r >= 0.85, detail: `${(r * 100).toFixed(0)}% of ${t200.name}` };
  };
  const mib = s.inputBytes / (1024 * 1024);
  return [
    t200,
    t2000,
    t20000,
    {
      name: "roundtrip",
      unit: "ms p50",
      higherIsBetter: false,
      what: `${s.roundtrips} times: submit one /bin/true task and wait for it (warm worker)`,
      size: `${s.roundtrips} trips`,
      runs: {
        ceiling: { args: ["roundtrip", String(s.roundtrips), "/bin/true"], timeout: 600 },
        ours: { args: ["roundtrip", String(s.roundtrips)], timeout: 600 },
        cctools: { args: ["roundtrip", String(s.roundtrips)], timeout: 600 },
        cctools11: { args: ["roundtrip", String(s.roundtrips)], timeout: 600 },
      },
      ceilingField: "p50_ms",
      target: "p50 <= 1.5x ceiling and <= 0.8x CCTools",
      judge: judgeBoth("roundtrip", { ceiling: 1.5, cctools: 0.8, lower: true }),
    },
    {
      name: "distinct-inputs",
      unit: "MB/s",
      higherIsBetter: true,
      what: `${s.distinctTasks} /bin/true tasks, each with its own uncached ${mib} MiB input; ` +
        `input bytes / (submit of the first to collection of the last); ceiling: the same ` +
        `bytes over loopback TCP (ceiling.file_mb_per_s: read from the files, sent, written ` +
        `to files, with no protocol)`,
      size: `${s.distinctTasks} x ${mib} MiB`,
      runs: {
        ceiling: {
          args: ["tcp", String(s.distinctTasks * s.inputBytes), "DATA", String(s.distinctTasks)],
          timeout: 600,
        },
        ours: { args: ["distinct", String(s.distinctTasks), "DATA"], timeout: 1200 },
        cctools: { args: ["distinct", String(s.distinctTasks), "DATA"], timeout: 1200 },
        cctools11: { args: ["distinct", String(s.distinctTasks), "DATA"], timeout: 1200 },
      },
      ceilingField: "mb_per_s",
      target: ">= 1.5x CCTools",
      judge: judgeBoth("distinct-inputs", { cctools: 1.5 }),
    },
    {
      name: "cached-input",
      unit: "tasks/s",
      higherIsBetter: true,
      what: `${s.cachedTasks} tasks \`${CACHED_CMD}\` sharing one cached ${mib} MiB input ` +
        `(sent once); ceiling: the same commands run locally, 2 at a time, next to the file`,
      size: `${s.cachedTasks} tasks`,
      runs: {
        ceiling: {
          args: ["local", String(s.cachedTasks), "2", CACHED_CMD, "DATA/cached"],
          timeout: 600,
        },
        ours: { args: ["cached", String(s.cachedTasks), "DATA"], timeout: 600 },
        cctools: { args: ["cached", String(s.cachedTasks), "DATA"], timeout: 600 },
        cctools11: { args: ["cached", String(s.cachedTasks), "DATA"], timeout: 600 },
      },
      ceilingField: "rate",
      target: ">= 95% of local",
      judge: (all) => {
        const r = ratio(all.get("cached-input")?.ours, all.get("cached-input")?.ceiling);
        if (r === undefined) return missing("ours or ceiling");
        return { met: r >= 0.95, detail: `${(r * 100).toFixed(0)}% of ceiling` };
      },
    },
    {
      name: "memory",
      unit: "B/task",
      higherIsBetter: false,
      what: `manager RSS growth per queued task, submitting ${s.memoryOurs} tasks ` +
        `(CCTools: ${s.memoryCctools}) with no worker`,
      size: `${s.memoryOurs} tasks`,
      runs: {
        ours: { args: ["memory", String(s.memoryOurs)], timeout: 600 },
        cctools: { args: ["memory", String(s.memoryCctools)], timeout: 600 },
        cctools11: { args: ["memory", String(s.memoryCctools)], timeout: 600 },
      },
      target: `<= 1024 B/task at ${s.memoryOurs} tasks`,
      judge: (all) => {
        const v = all.get("memory")?.ours;
        if (v === undefined) return missing("ours");
        return { met: v <= 1024, detail: `${v.toFixed(0)} B/task` };
      },
    },
    ...managerScenarios(s, options),
    fanoutScenario(s),
  ];
}

/** foremen-fanout (issue 20): the manager's CPU per task with its workers behind foremen. */
function fanoutScenario(s: Sizes): Scenario {
  const { workers, foremen, tasks } = s.fanout;
  const args = ["--workers", String(workers), "--foremen", String(foremen)];
  return {
    name: "foremen-fanout",
    unit: "foremen/direct",
    higherIsBetter: false,
    what: `our manager's CPU per task with ${workers} simulated workers (1 core each) behind ` +
      `${foremen} of our foremen, over its CPU per task with the same workers connected ` +
      `directly (both measured in one run, bench/foremen_fanout.ts); ${tasks} tasks of 1 core`,
    size: `${workers} workers, ${foremen} foremen`,
    runs: {
      ours: {
        args: [...args, "--tasks", String(tasks)],
        timeout: 900,
        script: "foremen_fanout.ts",
      },
    },
    target: "",
  };
}

/** sim-workers with `n` workers, run in `procs` processes of simulated workers. */
function simRun(workers: number, tasks: number, procs: number): Run {
  const args = [
    "--workers",
    String(workers),
    "--tasks",
    String(tasks),
    "--sim-procs",
    String(procs),
    "--sim-plain-too",
  ];
  return { args, timeout: 900 };
}

/** The scenarios of the manager alone: with CCTools' worker, and against simulated workers. */
function managerScenarios(s: Sizes, options: ScenarioOptions): Scenario[] {
  const n = s.managerAloneTasks;
  const alone = (name: string, column: "cctools" | "cctools11"): Scenario => ({
    name,
    unit: "tasks/s",
    higherIsBetter: true,
    what: `${n} tasks of /bin/true, as tasks-200, with ${
      column === "cctools" ? "Debian's CCTools worker (protocol 9)" : "--cctools-p11's worker"
    } under both managers: ours against CCTools' Python manager`,
    size: `${n} tasks`,
    runs: {
      ours: { args: ["tasks", String(n)], timeout: 600, cctoolsWorker: column },
      [column]: { args: ["tasks", String(n)], timeout: 600 },
    },
    target: `>= 1.2x ${column === "cctools" ? "CCTools" : "CCTools 11"} (same worker)`,
    judge: (all) => {
      const m = all.get(name) ?? {};
      const r = ratio(m.ours, m[column]);
      if (r === undefined) return missing(`ours or ${column}`);
      return {
        met: r >= 1.2,
        detail: `${fmtRatio(r)} ${column === "cctools" ? "CCTools" : "CCTools 11"}`,
      };
    },
  });
  return [
    alone("manager-alone", "cctools"),
    ...(options.cctools11 ? [alone("manager-alone-p11", "cctools11")] : []),
    {
      name: "sim-workers",
      unit: "tasks/s",
      higherIsBetter: true,
      what: `our manager alone against ${s.simWorkers} simulated workers (bench/sim_workers.ts, ` +
        `one process) that answer each task at once on the fast path (then again in plain ` +
        `protocol 9: plainTasksPerSecond); ${s.simTasks} tasks`,
      size: `${s.simWorkers} workers`,
      runs: { ours: simRun(s.simWorkers, s.simTasks, 1) },
      target: ">= 50,000 tasks/s",
      judge: (all) => {
        const v = all.get("sim-workers")?.ours;
        if (v === undefined) return missing("ours");
        return { met: v >= 50_000, detail: `${v.toFixed(0)} tasks/s` };
      },
    },
    {
      name: "sim-workers-10k",
      unit: "tasks/s",
      higherIsBetter: true,
      what: `as sim-workers, with ${s.simWorkersLarge} simulated workers connected at once ` +
        `(in ${s.simProcsLarge} processes); ${s.simTasksLarge} tasks; the notes give the ` +
        `manager's memory per connected worker`,
      size: `${s.simWorkersLarge} workers`,
      runs: { ours: simRun(s.simWorkersLarge, s.simTasksLarge, s.simProcsLarge) },
      target: ">= 80% of sim-workers' rate",
      judge: (all) => {
        const r = ratio(all.get("sim-workers-10k")?.ours, all.get("sim-workers")?.ours);
        if (r === undefined) return missing("ours at sim-workers or sim-workers-10k");
        return { met: r >= 0.8, detail: `${(r * 100).toFixed(0)}% of sim-workers` };
      },
    },
  ];
}
