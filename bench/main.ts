/**
 * `deno task bench`: the scenarios of issue 6 for our manager and worker, for
 * the machine ceiling (bench/ceiling.c) and for CCTools Work Queue when it is
 * installed, with repeats interleaved (each repeat runs every scenario once
 * for every system, each measurement in fresh processes). Prints a table of
 * medians and ratios and writes JSON lines. See docs/benchmarks.md.
 *
 * ```sh
 * deno task bench [--repeats N] [--only a,b] [--smoke] [--out FILE] [--no-cctools]
 * ```
 *
 * @module
 */

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../tools/entrypoints.ts";
import {
  type CctoolsInstall,
  compileCeiling,
  debianCctools,
  exists,
  loadavg,
  machine,
  makeData,
  prefixCctools,
  unusedPort,
} from "./_env.ts";
import { type BenchProc, spawnProc, waitOrKill } from "./_proc.ts";
import { EXTRA_FIELDS, median, num, type Row, table } from "./_report.ts";
import {
  FULL,
  type Medians,
  type Run,
  type Scenario,
  scenarios,
  SMOKE,
  type System,
  SYSTEMS,
} from "./_scenarios.ts";

export type { Row } from "./_report.ts";
export { table } from "./_report.ts";

const USAGE = `usage: deno task bench [options]

  --repeats N        repeats of every measurement, interleaved (default 3; --smoke: 1)
  --only a,b         only these scenarios (default: all)
  --smoke            tiny sizes, to check that every scenario still runs
  --out FILE         JSON lines (default bench/results/latest.jsonl)
  --no-cctools       leave out CCTools Work Queue even if it is installed
  --cctools-p11 DIR  add a column for a protocol-11 CCTools installed under DIR
                     (DIR/bin/work_queue_worker, DIR/lib/python3.*/site-packages/ndcctools)
  --worker-arg ARG   pass ARG to our worker (repeatable), e.g. --worker-arg=--fast-spawn
  --journal          our manager keeps a journal (docs/journal.md), to measure its cost
  --sim-no-fast-path the sim-workers scenarios' simulated workers speak plain protocol 9 only
                     (by default they speak the fast path, then plain protocol 9 for the notes)
  --profile DIR      write V8 CPU profiles of our manager and worker under DIR
                     (DIR/SCENARIO/rN/{manager,worker}/*.cpuprofile; see bench/profile_top.ts)
  -h, --help         this text`;

/** One measurement's JSON, or an error. */
type Outcome = { ok: true; data: Record<string, unknown> } | { ok: false; error: string };

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("{"));
  if (lines.length === 0) return undefined;
  return JSON.parse(lines[lines.length - 1]);
}

/** The measurement under way, killed if the benchmark itself is stopped. */
let current: BenchProc | undefined;

async function measure(
  argv: string[],
  run: Run,
  env: Record<string, string>,
): Promise<Outcome> {
  await using proc = spawnProc(argv, { env, cwd: ROOT });
  current = proc;
  const status = await waitOrKill(proc, run.timeout * 1000);
  if (status === null) return { ok: false, error: `timed out after ${run.timeout} s` };
  const data = lastJsonLine(proc.stdout());
  if (!status.success || data === undefined) {
    const tail = proc.stderr().trim().split("\n").slice(-5).join(" | ");
    return { ok: false, error: `exit ${status.code}: ${tail || "no output"}` };
  }
  return { ok: true, data };
}

/** The headline value of a measurement's JSON for a system. */
function valueOf(s: Scenario, system: System, data: Record<string, unknown>): number {
  const field = system === "ceiling"
    ? s.ceilingField!
    : s.name.startsWith("sim-workers")
    ? "tasksPerSecond"
    : "value";
  const v = data[field];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new TypeError(`Cannot read ${s.name}/${system}: field '${field}' is ${v}`);
  }
  return v;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      repeats: { type: "string" },
      only: { type: "string" },
      smoke: { type: "boolean", default: false },
      out: { type: "string", default: `${ROOT}/bench/results/latest.jsonl` },
      "no-cctools": { type: "boolean", default: false },
      "cctools-p11": { type: "string" },
      journal: { type: "boolean", default: false },
      profile: { type: "string" },
      "sim-no-fast-path": { type: "boolean", default: false },
      "worker-arg": { type: "string", multiple: true, default: [] },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const repeats = Number(values.repeats ?? (values.smoke ? 1 : 3));
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new RangeError(`Cannot run: --repeats must be a whole number >= 1, got ${repeats}`);
  }
  const sizes = values.smoke ? SMOKE : FULL;
  const p11 = values["cctools-p11"];
  let list = scenarios(sizes, { cctools11: p11 !== undefined && !values["no-cctools"] });
  if (values.only) {
    const want = values.only.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = want.filter((w) => !list.some((s) => s.name === w));
    if (unknown.length) {
      throw new RangeError(
        `Cannot run: unknown scenario '${unknown.join(", ")}'; known: ${
          list.map((s) => s.name).join(", ")
        }`,
      );
    }
    list = list.filter((s) => want.includes(s.name));
  }

  const info = machine();
  const out = values.out;
  await Deno.mkdir(out.replace(/\/[^/]*$/, "") || ".", { recursive: true });
  const file = await Deno.open(out, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  const emit = (o: Record<string, unknown>) => file.writeSync(enc.encode(JSON.stringify(o) + "\n"));
  const log = (m: string) => console.error(`bench: ${m}`);
  const workerArgs = values["worker-arg"];
  emit({
    type: "machine",
    ...info,
    repeats,
    smoke: values.smoke,
    sizes,
    workerArgs,
    journal: values.journal,
    simNoFastPath: values["sim-no-fast-path"],
  });

  const tmp = await Deno.makeTempDir({ prefix: "wq-bench-" });
  // Stopped with ^C or SIGTERM: kill the measurement's processes, remove the inputs.
  const stop = () => {
    current?.killTree();
    try {
      Deno.removeSync(tmp, { recursive: true });
    } finally {
      Deno.exit(130);
    }
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const skip: Partial<Record<System, string>> = {};
  /** Whether a run can go: ours with a CCTools worker needs that install. */
  const runnable = (system: System, run: Run) =>
    system !== "ours" || run.cctoolsWorker === undefined || !skip[run.cctoolsWorker];
  const simScript = `${ROOT}/bench/sim_workers_run.ts`;
  try {
    const ceiling = await compileCeiling(tmp);
    if (typeof ceiling !== "string") skip.ceiling = ceiling.skip;
    const installs: Partial<Record<System, CctoolsInstall>> = {};
    const cc = values["no-cctools"] ? { skip: "--no-cctools" } : await debianCctools();
    if ("skip" in cc) skip.cctools = cc.skip;
    else installs.cctools = cc;
    const cc11 = values["no-cctools"]
      ? { skip: "--no-cctools" }
      : p11 === undefined
      ? { skip: "no --cctools-p11" }
      : await prefixCctools(resolve(p11));
    if ("skip" in cc11) skip.cctools11 = cc11.skip;
    else installs.cctools11 = cc11;
    if (p11 !== undefined && skip.cctools11) {
      throw new RangeError(`Cannot use --cctools-p11 '${p11}': ${skip.cctools11}`);
    }
    // Without --cctools-p11 the column is simply absent.
    const silent = (sys: string) => sys === "cctools11" && p11 === undefined;
    for (const [sys, why] of Object.entries(skip)) {
      if (!silent(sys)) log(`no ${sys} column: ${why}`);
    }
    const simAvailable = await exists(simScript);
    const data = `${tmp}/data`;
    await Deno.mkdir(data);
    const needsData = list.some((s) => s.name === "distinct-inputs" || s.name === "cached-input");
    if (needsData) {
      log(`writing inputs to ${data}`);
      await makeData(data, sizes, list.some((s) => s.name === "distinct-inputs"));
    }
    const env = {
      CATALOG_HOST: "127.0.0.1",
      CATALOG_PORT: String(unusedPort()),
      NO_COLOR: "1",
      WQ_BENCH_TMP: tmp,
      WQ_BENCH_WORKER_ARGS: JSON.stringify(workerArgs),
      ...(values.journal ? { WQ_BENCH_JOURNAL: "1" } : {}),
    };

    const values_ = new Map<string, Partial<Record<System, number[]>>>();
    const extras = new Map<string, Record<string, number[]>>();
    const errors = new Map<string, Partial<Record<System, string>>>();
    for (let r = 0; r < repeats; r++) {
      for (const s of list) {
        for (const system of SYSTEMS) {
          const run = s.runs[system];
          if (!run || skip[system] || !runnable(system, run) || (run.once && r > 0)) continue;
          if (s.name.startsWith("sim-workers") && !simAvailable) continue;
          const args = run.args.map((a) =>
            a === "--sim-plain-too" && values["sim-no-fast-path"]
              ? "--sim-no-fast-path"
              : a.replace(/^DATA/, data)
          );
          const profileDir = values.profile && system === "ours"
            ? `${resolve(values.profile)}/${s.name}/r${r + 1}`
            : undefined;
          const argv = system === "ceiling"
            ? [ceiling as string, ...args]
            : system === "cctools" || system === "cctools11"
            ? ["/usr/bin/python3", `${ROOT}/bench/run_cctools.py`, ...args, data]
            : s.name.startsWith("sim-workers")
            ? [Deno.execPath(), "run", "-A", simScript, ...args]
            : run.script
            ? [Deno.execPath(), "run", "-A", `${ROOT}/bench/${run.script}`, ...args]
            : [
              Deno.execPath(),
              "run",
              "-A",
              "--v8-flags=--expose-gc",
              ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}/manager`] : []),
              `${ROOT}/bench/run_ours.ts`,
              ...args,
              data,
            ];
          log(`repeat ${r + 1}/${repeats} ${s.name} ${system} ...`);
          const load = loadavg();
          const t0 = performance.now();
          const o = await measure(argv, run, {
            ...env,
            ...(profileDir ? { WQ_BENCH_PROFILE_DIR: profileDir } : {}),
            ...(system === "cctools" || system === "cctools11" ? installs[system]!.env : {}),
            ...(run.cctoolsWorker
              ? { WQ_BENCH_WORKER_BIN: installs[run.cctoolsWorker]!.worker }
              : {}),
          });
          const wall = (performance.now() - t0) / 1000;
          if (!o.ok) {
            log(`  FAILED: ${o.error}`);
            errors.set(s.name, { ...errors.get(s.name), [system]: o.error });
            emit({
              type: "measurement",
              scenario: s.name,
              system,
              repeat: r,
              ok: false,
              error: o.error,
              loadavg_before: load,
              date: info.date,
            });
            continue;
          }
          const v = valueOf(s, system, o.data);
          const { managerCpuSeconds: cpu, seconds } = o.data;
          if (typeof cpu === "number" && typeof seconds === "number" && seconds > 0) {
            o.data.managerCpuPercent = 100 * cpu / seconds;
          }
          log(`  ${num(v)} ${s.unit} (${wall.toFixed(1)} s)`);
          const vs = values_.get(s.name) ?? {};
          (vs[system] ??= []).push(v);
          values_.set(s.name, vs);
          const ex = extras.get(s.name) ?? {};
          for (const f of EXTRA_FIELDS) {
            const x = o.data[f];
            if (typeof x === "number" && f !== "seconds") (ex[`${system}.${f}`] ??= []).push(x);
          }
          extras.set(s.name, ex);
          emit({
            type: "measurement",
            scenario: s.name,
            system,
            repeat: r,
            ok: true,
            value: v,
            unit: s.unit,
            wall_seconds: wall,
            loadavg_before: load,
            data: o.data,
            date: info.date,
          });
        }
      }
    }

    const medians = new Map<string, Medians>();
    for (const s of list) {
      const m: Medians = {};
      for (const [sys, xs] of Object.entries(values_.get(s.name) ?? {})) {
        if (xs.length) m[sys as System] = median(xs);
      }
      medians.set(s.name, m);
    }
    const rows: Row[] = list.map((s) => {
      const m = medians.get(s.name)!;
      const notes: string[] = [];
      for (const system of SYSTEMS) {
        if (!s.runs[system]) continue;
        const run = s.runs[system]!;
        if (skip[system]) {
          if (!silent(system)) notes.push(`${system}: ${skip[system]}`);
        } else if (!runnable(system, run)) {
          notes.push(`${system}: needs ${run.cctoolsWorker}'s worker: ${skip[run.cctoolsWorker!]}`);
        } else if (s.name.startsWith("sim-workers") && !simAvailable) {
          notes.push(`ours: not available (${simScript} is missing)`);
        } else if (m[system] === undefined) {
          notes.push(`${system} failed: ${errors.get(s.name)?.[system] ?? "no measurement"}`);
        }
      }
      const ex: Record<string, number> = {};
      for (const [k, xs] of Object.entries(extras.get(s.name) ?? {})) ex[k] = median(xs);
      return {
        scenario: s.name,
        size: s.size,
        unit: s.unit,
        ours: m.ours,
        cctools: m.cctools,
        cctools11: m.cctools11,
        ceiling: m.ceiling,
        oursVsCctools: m.ours !== undefined && m.cctools ? m.ours / m.cctools : undefined,
        oursVsCctools11: m.ours !== undefined && m.cctools11 ? m.ours / m.cctools11 : undefined,
        oursVsCeiling: m.ours !== undefined && m.ceiling ? m.ours / m.ceiling : undefined,
        target: s.target,
        verdict: s.judge?.(medians),
        extras: ex,
        notes,
      };
    });
    for (const row of rows) emit({ type: "summary", ...row, machine: info, repeats, workerArgs });

    const text = table(rows, { cctools11: installs.cctools11 !== undefined });
    console.log(
      `\n${info.date}  commit ${info.commit}  ${info.cpu}, ${info.cores} cores, ` +
        `${info.memGiB} GiB, Linux ${info.kernel}, Deno ${info.deno}` +
        `  (${repeats} repeat${repeats > 1 ? "s" : ""}, medians${
          values.smoke ? ", SMOKE sizes" : ""
        }${workerArgs.length ? `, our worker with ${workerArgs.join(" ")}` : ""})\n`,
    );
    console.log(text);
    const details = rows.flatMap((r) => [
      ...Object.entries(r.extras).map(([k, v]) => `  ${r.scenario} ${k}: ${num(v)}`),
      ...r.notes.map((n) => `  ${r.scenario}: ${n}`),
    ]);
    if (details.length) console.log(`\n${details.join("\n")}`);
    console.log(`\nJSON lines: ${out}`);
    // A scenario whose ours needs a CCTools worker that is not installed is not a failure.
    const needed = (s: Scenario) => runnable("ours", s.runs.ours!);
    return rows.every((r, i) => r.ours !== undefined || !needed(list[i])) ? 0 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    file.close();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : e}`);
    Deno.exit(2);
  }
}
