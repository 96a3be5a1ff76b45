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
import { type BenchProc, spawnProc, waitOrKill } from "./_proc.ts";
import {
  FULL,
  type Medians,
  type Run,
  type Scenario,
  scenarios,
  type Sizes,
  SMOKE,
  type System,
  SYSTEMS,
  type Verdict,
} from "./_scenarios.ts";

const USAGE = `usage: deno task bench [options]

  --repeats N        repeats of every measurement, interleaved (default 3; --smoke: 1)
  --only a,b         only these scenarios (default: all)
  --smoke            tiny sizes, to check that every scenario still runs
  --out FILE         JSON lines (default bench/results/latest.jsonl)
  --no-cctools       leave out CCTools Work Queue even if it is installed
  --worker-arg ARG   pass ARG to our worker (repeatable), e.g. --worker-arg=--fast-spawn
  --journal          our manager keeps a journal (docs/journal.md), to measure its cost
  --profile DIR      write V8 CPU profiles of our manager and worker under DIR
                     (DIR/SCENARIO/rN/{manager,worker}/*.cpuprofile; see bench/profile_top.ts)
  -h, --help         this text`;

/** The machine a run happened on. */
export interface Machine {
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  deno: string;
  v8: string;
  date: string;
  commit: string;
}

/** One summary row. */
export interface Row {
  scenario: string;
  size: string;
  unit: string;
  ours?: number;
  cctools?: number;
  ceiling?: number;
  oursVsCctools?: number;
  oursVsCeiling?: number;
  target: string;
  verdict?: Verdict;
  /** Medians of extra fields (p90, heap bytes, CPU). */
  extras: Record<string, number>;
  /** Why a column is empty. */
  notes: string[];
}

function git(args: string[]): string {
  try {
    const out = new Deno.Command("git", { args, cwd: ROOT, stdout: "piped", stderr: "null" })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "";
  } catch {
    return "";
  }
}

/** The 1-minute load average: other work on the machine skews a measurement. */
function loadavg(): number {
  return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
}

function machine(): Machine {
  const cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
  const meminfo = Deno.readTextFileSync("/proc/meminfo");
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0);
  // A copy without .git (e.g. from `git archive`) names its commit in WQ_BENCH_COMMIT.
  const given = Deno.env.get("WQ_BENCH_COMMIT");
  const commit = given ?? (git(["rev-parse", "--short", "HEAD"]) || "unknown");
  const dirty = given === undefined &&
    git(["status", "--porcelain", "--untracked-files=no"]) !== "";
  return {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memGiB: Math.round(memKb / 1024 / 1024 * 10) / 10,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    date: new Date().toISOString(),
    commit: commit + (dirty ? "+dirty" : ""),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** A free TCP port on loopback, for CATALOG_PORT (nothing listens there). */
function unusedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Compiles bench/ceiling.c, or says why not. */
async function compileCeiling(dir: string): Promise<string | { skip: string }> {
  const bin = `${dir}/ceiling`;
  try {
    const out = await new Deno.Command("cc", {
      args: ["-O2", "-o", bin, `${ROOT}/bench/ceiling.c`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      return { skip: `cc failed: ${new TextDecoder().decode(out.stderr).trim()}` };
    }
    return bin;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return { skip: "no C compiler (cc) on PATH; install gcc for the ceiling column" };
    }
    throw e;
  }
}

/** Whether CCTools' worker and Python module are installed, or why not. */
async function cctoolsAvailable(): Promise<true | { skip: string }> {
  if (!await exists("/usr/bin/work_queue_worker")) {
    return { skip: "CCTools not installed (/usr/bin/work_queue_worker missing)" };
  }
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import work_queue"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (out.success) return true;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return { skip: "CCTools' Python module work_queue is not importable by /usr/bin/python3" };
}

/** Writes the inputs: distinct files (distinct contents) and the cached one. */
async function makeData(dir: string, sizes: Sizes, needDistinct: boolean): Promise<void> {
  const base = new Uint8Array(sizes.inputBytes);
  for (let i = 0; i < base.length; i += 65536) {
    crypto.getRandomValues(base.subarray(i, Math.min(base.length, i + 65536)));
  }
  await Deno.mkdir(`${dir}/cached`);
  await Deno.writeFile(`${dir}/cached/input`, base);
  if (!needDistinct) return;
  await Deno.mkdir(`${dir}/distinct`);
  const view = new DataView(base.buffer);
  for (let i = 0; i < sizes.distinctTasks; i++) {
    view.setUint32(0, i); // every file differs from the others
    await Deno.writeFile(`${dir}/distinct/input-${i}`, base);
  }
}

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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Significant-figure formatting for the table. */
function num(v: number | undefined): string {
  if (v === undefined) return "—";
  if (v >= 100) return Math.round(v).toLocaleString("en-US");
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function ratioText(r: number | undefined): string {
  if (r === undefined) return "—";
  return r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}

/**
 * Renders the summary as a Markdown table.
 *
 * @param rows The summary rows.
 * @returns The table, one row per line.
 */
export function table(rows: Row[]): string {
  const head = [
    "scenario",
    "size",
    "unit",
    "ours",
    "CCTools",
    "ceiling",
    "ours/CCTools",
    "ours/ceiling",
    "target",
    "met?",
  ];
  const body = rows.map((r) => [
    r.scenario,
    r.size,
    r.unit,
    num(r.ours),
    num(r.cctools),
    num(r.ceiling),
    ratioText(r.oursVsCctools),
    ratioText(r.oursVsCeiling),
    r.target || "—",
    r.verdict === undefined
      ? "—"
      : `${r.verdict.met === null ? "n/a" : r.verdict.met ? "yes" : "NO"} (${r.verdict.detail})`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)]
    .join("\n");
}

/** The headline value of a measurement's JSON for a system. */
function valueOf(s: Scenario, system: System, data: Record<string, unknown>): number {
  const field = system === "ceiling"
    ? s.ceilingField!
    : s.name === "sim-workers"
    ? "tasksPerSecond"
    : "value";
  const v = data[field];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new TypeError(`Cannot read ${s.name}/${system}: field '${field}' is ${v}`);
  }
  return v;
}

/** Extra numeric fields worth a median (all but the headline and sizes). */
const EXTRA_FIELDS = [
  "p90_ms",
  "file_mb_per_s",
  "heap_bytes_per_task",
  "submit_per_s",
  "managerCpuSeconds",
  "managerCpuPercent",
  "managerRssBytes",
  "managerHeapUsedBytes",
  "seconds",
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      repeats: { type: "string" },
      only: { type: "string" },
      smoke: { type: "boolean", default: false },
      out: { type: "string", default: `${ROOT}/bench/results/latest.jsonl` },
      "no-cctools": { type: "boolean", default: false },
      journal: { type: "boolean", default: false },
      profile: { type: "string" },
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
  let list = scenarios(sizes);
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
  const simScript = `${ROOT}/bench/sim_workers_run.ts`;
  try {
    const ceiling = await compileCeiling(tmp);
    if (typeof ceiling !== "string") skip.ceiling = ceiling.skip;
    const cc = values["no-cctools"] ? { skip: "--no-cctools" } : await cctoolsAvailable();
    if (cc !== true) skip.cctools = cc.skip;
    for (const [sys, why] of Object.entries(skip)) log(`no ${sys} column: ${why}`);
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
          if (!run || skip[system] || (run.once && r > 0)) continue;
          if (s.name === "sim-workers" && !simAvailable) continue;
          const args = run.args.map((a) => a.replace(/^DATA/, data));
          const profileDir = values.profile && system === "ours" && s.name !== "sim-workers"
            ? `${resolve(values.profile)}/${s.name}/r${r + 1}`
            : undefined;
          const argv = system === "ceiling"
            ? [ceiling as string, ...args]
            : system === "cctools"
            ? ["/usr/bin/python3", `${ROOT}/bench/run_cctools.py`, ...args, data]
            : s.name === "sim-workers"
            ? [Deno.execPath(), "run", "-A", simScript, ...args]
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
          const o = await measure(
            argv,
            run,
            profileDir ? { ...env, WQ_BENCH_PROFILE_DIR: profileDir } : env,
          );
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
        if (skip[system]) notes.push(`${system}: ${skip[system]}`);
        else if (s.name === "sim-workers" && !simAvailable) {
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
        ceiling: m.ceiling,
        oursVsCctools: m.ours !== undefined && m.cctools ? m.ours / m.cctools : undefined,
        oursVsCeiling: m.ours !== undefined && m.ceiling ? m.ours / m.ceiling : undefined,
        target: s.target,
        verdict: s.judge?.(medians),
        extras: ex,
        notes,
      };
    });
    for (const row of rows) emit({ type: "summary", ...row, machine: info, repeats, workerArgs });

    const text = table(rows);
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
    return rows.every((r) => r.ours !== undefined) ? 0 : 1;
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
