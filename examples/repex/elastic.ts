/**
 * The paper's elasticity experiment (Figure 5 and Table I): the replica
 * exchange runs while a driver adds and removes workers at scripted steps,
 * removing some while they run tasks. Every step's time is recorded and
 * drawn against the elapsed time with the events marked. See README.md
 * beside this file.
 *
 * ```sh
 * deno task elastic                        # 40 replicas, 20 steps, 2 -> 4 -> 8 -> 5 -> 8 workers
 * deno task elastic --schedule 0:+1,5:+3,10:-2 --steps 15
 * ```
 *
 * @module
 */

import { WorkQueue } from "../../mod.ts";
import { type LocalWorker, pause, reapLocalWorkers, startLocalWorker } from "../local_workers.ts";
import { readCommandLine, REPEX_DEFAULTS, REPEX_HELP } from "./cli.ts";
import { runReplicaExchange, type StepRecord, writeResults } from "./replica_exchange.ts";
import { stepChartSvg } from "./step_chart.ts";

const USAGE = `Usage: deno task elastic [options]

Runs the replica exchange while local workers (1 core each) join and leave at
the steps of --schedule, and writes steps.csv, events.csv, table.md,
step_times.svg (and step_times.png where rsvg-convert or ImageMagick can make
it), temperatures.csv and energies.csv to --out.

${REPEX_HELP}
  --schedule S   events as STEP:+N (start N workers before that step) or STEP:-N
                 (stop N workers during that step, while they run tasks),
                 comma-separated; the first must start workers at step 0
  --signal SIG   how removed workers are stopped: SIGKILL (default, as when a
                 node vanishes; their running tasks are killed too) or SIGTERM`;

/** One scripted change in the number of workers. */
interface Planned {
  step: number;
  change: number;
}

/** What happened at an event. */
interface Happened extends Planned {
  /** Seconds since the start. */
  time: number;
  before: number;
  after: number;
  /** For a removal: whether the removed workers were seen running tasks. */
  busy?: boolean;
}

/** Parses `0:+2,4:+2,12:-3` and checks it against the run. */
function parseSchedule(text: string, steps: number): Planned[] {
  const events: Planned[] = [];
  let workers = 0;
  for (const part of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const m = part.match(/^(\d+):([+-])(\d+)$/);
    const bad = (why: string) =>
      new RangeError(`Cannot use --schedule: '${part}' ${why} (in '${text}')`);
    if (!m) throw bad("is not STEP:+N or STEP:-N");
    const step = Number(m[1]), n = Number(m[3]);
    if (n < 1) throw bad("changes no worker");
    if (step >= steps) throw bad(`is past the last step (${steps - 1})`);
    if (events.length > 0 && step < events[events.length - 1].step) {
      throw bad("comes before the event ahead of it");
    }
    const change = m[2] === "+" ? n : -n;
    if (events.length === 0 && (step !== 0 || change < 0)) {
      throw bad("must start workers at step 0 as the first event");
    }
    if (workers + change < 1) throw bad(`would leave no worker (there are ${workers})`);
    workers += change;
    events.push({ step, change });
  }
  if (events.length === 0) throw new RangeError(`Cannot use --schedule: it is empty`);
  return events;
}

/**
 * The processes whose parent is one of `pids` and that still run (not
 * zombies), by parent: the tasks a worker runs. Asks `ps`; `null` where it
 * cannot be run.
 */
async function runningChildren(pids: Set<number>): Promise<Map<number, number[]> | null> {
  let text: string;
  try {
    const r = await new Deno.Command("ps", {
      args: ["-A", "-o", "pid=", "-o", "ppid=", "-o", "stat="],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!r.success) return null;
    text = new TextDecoder().decode(r.stdout);
  } catch {
    return null;
  }
  const found = new Map<number, number[]>();
  for (const line of text.split("\n")) {
    const [pid, ppid, state] = line.trim().split(/\s+/);
    if (state !== undefined && !state.startsWith("Z") && pids.has(Number(ppid))) {
      found.set(Number(ppid), [...(found.get(Number(ppid)) ?? []), Number(pid)]);
    }
  }
  return found;
}

/** Writes the figure as PNG with the first converter that works, or says why none did. */
async function writePng(svg: string, png: string): Promise<string> {
  const tries: [string, string[]][] = [
    ["rsvg-convert", ["-o", png, svg]],
    ["magick", [svg, png]],
    ["convert", [svg, png]],
  ];
  const why: string[] = [];
  for (const [cmd, args] of tries) {
    try {
      const r = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
      const head = r.success ? (await Deno.readFile(png)).subarray(0, 4) : new Uint8Array();
      if (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) {
        return `wrote ${png} (with ${cmd})`;
      }
      why.push(`${cmd} failed: ${new TextDecoder().decode(r.stderr).trim().split("\n")[0]}`);
    } catch (e) {
      why.push(e instanceof Deno.errors.NotFound ? `no ${cmd}` : `${cmd}: ${e}`);
    }
  }
  await Deno.remove(png).catch(() => {});
  return `PNG skipped (${why.join("; ")})`;
}

function mean(xs: number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The Table I rows: each event with the step times around it. */
function eventRows(events: Happened[], steps: StepRecord[]): string[][] {
  const f = (x: number) => (Number.isNaN(x) ? "" : x.toFixed(2));
  return events.map((e, i) => {
    const from = i > 0 ? events[i - 1].step : 0;
    const to = i + 1 < events.length ? events[i + 1].step : steps.length;
    const durations = (a: number, b: number) =>
      steps.filter((s) => s.step >= a && s.step < b && s.step !== e.step).map((s) => s.duration);
    return [
      String(i + 1),
      String(e.step),
      e.time.toFixed(1),
      e.change > 0 ? `add ${e.change}` : `remove ${-e.change}${e.busy ? " while running" : ""}`,
      String(e.before),
      String(e.after),
      String(steps[e.step]?.requeued ?? ""),
      f(i > 0 ? mean(durations(from, e.step)) : NaN),
      f(steps[e.step]?.duration ?? NaN),
      f(mean(durations(e.step, to))),
    ];
  });
}

const TABLE_HEADER = [
  "event",
  "step",
  "time_s",
  "change",
  "workers_before",
  "workers_after",
  "requeued",
  "mean_step_before_s",
  "step_at_event_s",
  "mean_step_after_s",
];

function markdownTable(rows: string[][]): string {
  const head = [
    "#",
    "step",
    "time (s)",
    "event",
    "workers before",
    "after",
    "tasks requeued",
    "mean step before (s)",
    "that step (s)",
    "mean step after (s)",
  ];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n") + "\n";
}

async function main(): Promise<number> {
  const cl = readCommandLine(
    "elastic",
    USAGE,
    {
      ...REPEX_DEFAULTS,
      replicas: "40",
      sweeps: "100",
      pad: "0.25",
      out: "elastic-out",
    },
    { schedule: "0:+2,4:+2,8:+4,12:-3,16:+3", signal: "SIGKILL" },
    (v, run) => {
      const signal = v.signal as Deno.Signal;
      if (signal !== "SIGKILL" && signal !== "SIGTERM") {
        throw new RangeError(`Cannot use --signal: it must be SIGKILL or SIGTERM, not '${signal}'`);
      }
      return { plan: parseSchedule(v.schedule!, run.options.steps), schedule: v.schedule!, signal };
    },
  );
  if (typeof cl === "number") return cl;
  const { run: { options, out }, extra: { plan, schedule, signal } } = cl;

  const live: LocalWorker[] = [];
  const all: LocalWorker[] = [];
  const removed = new Set<LocalWorker>();
  const happened: Happened[] = [];
  const scratch = await Deno.makeTempDir({ prefix: "wq-elastic-" });
  let ok = false;
  try {
    await Deno.mkdir(out, { recursive: true });
    await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", name: "wq-elastic" });
    const t0 = Date.now();
    const now = () => (Date.now() - t0) / 1000;
    console.log(`manager listening on port ${wq.port}; workers in ${scratch}`);
    console.log(
      `${options.replicas} replicas, ${options.steps} steps of ${options.sweeps} sweeps + ${options.pad} s per task; schedule ${schedule}`,
    );

    const add = async (p: Planned) => {
      const before = live.length;
      for (let i = 0; i < p.change; i++) {
        const workdir = `${scratch}/worker-${all.length + 1}`;
        await Deno.mkdir(workdir);
        const w = startLocalWorker(wq.port, { workdir, cores: 1, idleTimeout: 900 });
        live.push(w);
        all.push(w);
      }
      happened.push({ ...p, time: now(), before, after: live.length });
      console.log(
        `event at step ${p.step}, ${now().toFixed(1)} s: +${p.change} -> ${live.length} workers`,
      );
    };
    const remove = async (p: Planned) => {
      const n = -p.change;
      // Wait until every task of the step has started and n workers run one
      // (seen as their child processes): the tasks they lose are the step's
      // last, so the step can end only when they have run again elsewhere.
      const deadline = Date.now() + 30_000;
      let busy: LocalWorker[] = [];
      let children: Map<number, number[]> | null = null;
      while (Date.now() < deadline) {
        children = await runningChildren(new Set(live.map((w) => w.child.pid)));
        busy = children === null
          ? (wq.stats.workersBusy >= Math.max(n, wq.stats.workersConnected) ? [...live] : [])
          : live.filter((w) => children!.has(w.child.pid));
        // Stop waiting too when fewer than n tasks are left to run.
        const stats = wq.stats;
        if (stats.tasksWaiting === 0 && busy.length >= Math.min(n, stats.tasksRunning)) break;
        await pause(20);
      }
      const idle = live.filter((w) => !busy.includes(w));
      // The busy ones first, the last started first.
      const victims = [...idle, ...busy].slice(-n);
      const confirmed = busy.length >= n;
      const before = live.length;
      for (const w of victims) {
        w.child.kill(signal);
        // As when a node vanishes: its tasks go too (each runs in its own process group).
        if (signal === "SIGKILL") {
          for (const pid of children?.get(w.child.pid) ?? []) {
            try {
              Deno.kill(-pid, "SIGKILL");
            } catch { /* already gone */ }
          }
        }
        removed.add(w);
        live.splice(live.indexOf(w), 1);
      }
      happened.push({ ...p, time: now(), before, after: live.length, busy: confirmed });
      console.log(
        `event at step ${p.step}, ${now().toFixed(1)} s: -${n} -> ${live.length} workers (${
          confirmed ? "killed while running tasks" : "not seen running tasks"
        }, ${signal})`,
      );
    };

    const result = await runReplicaExchange(wq, { ...options, t0 }, {
      async beforeStep(step) {
        for (const p of plan) if (p.step === step && p.change > 0) await add(p);
      },
      async duringStep(step) {
        for (const p of plan) if (p.step === step && p.change < 0) await remove(p);
      },
      check() {
        if (live.every((w) => w.exited)) {
          throw new Error(
            `Cannot go on: no worker is left${live.length > 0 ? `:\n${live[0].output()}` : ""}`,
          );
        }
      },
      afterStep(s) {
        console.log(
          `step ${s.step + 1}/${options.steps}: ${s.results} results in ${
            s.duration.toFixed(2)
          } s, ${live.length} workers${s.requeued > 0 ? `, ${s.requeued} tasks requeued` : ""}`,
        );
      },
    });

    const paths = await writeResults(out, result);
    const rows = eventRows(happened, result.steps);
    const csv = [TABLE_HEADER, ...rows].map((r) => r.join(",")).join("\n") + "\n";
    await Deno.writeTextFile(`${out}/events.csv`, csv);
    const table = markdownTable(rows);
    await Deno.writeTextFile(`${out}/table.md`, table);
    const svg = stepChartSvg(
      result.steps,
      happened.map((e) => ({
        time: e.time,
        label: `${e.change > 0 ? "+" : ""}${e.change} → ${e.after}`,
        workers: e.after,
      })),
      `Replica exchange, ${options.replicas} replicas: time per step as workers come and go`,
    );
    await Deno.writeTextFile(`${out}/step_times.svg`, svg);
    const png = await writePng(`${out}/step_times.svg`, `${out}/step_times.png`);

    console.log(`\n${table}`);
    const complete = result.steps.every((s) => s.results === options.replicas);
    console.log(
      complete
        ? `all ${options.steps} steps completed with ${options.replicas} results each`
        : `FAILED: some steps are incomplete`,
    );
    console.log(
      `wrote ${
        [...paths, `${out}/events.csv`, `${out}/table.md`, `${out}/step_times.svg`].join(", ")
      }`,
    );
    console.log(png);
    ok = complete;
  } catch (e) {
    console.error(`elastic: ${e instanceof Error ? e.message : e}`);
  } finally {
    ok = (await reapLocalWorkers(all, "elastic", { stopped: removed })) && ok;
    await Deno.remove(scratch, { recursive: true });
  }
  return ok ? 0 : 1;
}

Deno.exit(await main());
