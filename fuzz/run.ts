/**
 * The fuzz driver: runs the in-process parser cases and the real-socket
 * manager and worker cases from one seed, checks the file system around
 * them, and reports counts and findings.
 *
 * @module
 */

import { resolve } from "node:path";
import {
  describeError,
  diff,
  escapeCandidates,
  existing,
  type Finding,
  snapshot,
} from "./checks.ts";
import { DEFAULT_TRACES, loadCorpus } from "./corpus.ts";
import { ManagerTarget } from "./manager_target.ts";
import { ParserTarget } from "./parsers_target.ts";
import { mixSeed, Rng } from "./rng.ts";
import { WorkerTarget } from "./worker_target.ts";

/** Which targets to fuzz. */
export type FuzzTarget = "parsers" | "manager" | "worker" | "both" | "all";

/** Options of {@linkcode runFuzz}. */
export interface FuzzOptions {
  /** The seed; the same seed replays the same cases. */
  seed: number;
  /** `both` is manager and worker; `all` adds the parsers. Default `all`. */
  target?: FuzzTarget;
  /** Real-socket cases per socket target (a cap when `durationMs` is set). Default 100. */
  cases?: number;
  /** In-process parser cases. Default 30 × `cases`. */
  parserCases?: number;
  /** Run until this much time has passed (then `cases` only caps). */
  durationMs?: number;
  /** Replay only this case number of the (single) target. */
  only?: number;
  /** A real worker must get a task done every this many manager cases. Default 50. */
  healthEvery?: number;
  /** Fake workers at once against the manager. Default 4. */
  concurrency?: number;
  /** The traces directory. */
  traces?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What a run did. */
export interface FuzzReport {
  seed: number;
  cases: { parsers: number; manager: number; worker: number; total: number };
  findings: Finding[];
  /** Worker-target mutations redrawn because they would run unrecorded commands. */
  discarded: number;
  /** Times the real worker exited cleanly (e.g. told `exit`) and was restarted. */
  workerRestarts: number;
  /** Cases where the peer under test closed the connection itself. */
  refused: { manager: number; worker: number };
  /** Health checks passed (a real worker got a task done). */
  healthChecks: number;
  /** How often each parser refusal happened. */
  parserEvents: Record<string, number>;
  seconds: number;
}

/**
 * Runs a fuzz campaign.
 *
 * @param options Seed, targets, counts and duration.
 * @returns Counts and findings.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const target = options.target ?? "all";
  const want = (t: "parsers" | "manager" | "worker") =>
    target === t || target === "all" || (target === "both" && t !== "parsers");
  const cases = options.cases ?? 100;
  const parserCases = options.parserCases ?? cases * 30;
  // With a duration, the parsers get a tenth of it and the socket targets share the rest.
  const weights = {
    parsers: want("parsers") ? 1 : 0,
    manager: want("manager") ? 4.5 : 0,
    worker: want("worker") ? 4.5 : 0,
  };
  const weightSum = weights.parsers + weights.manager + weights.worker;
  let deadline = Infinity;
  const phase = (t: keyof typeof weights) => {
    if (options.durationMs !== undefined) {
      deadline = Date.now() + options.durationMs * weights[t] / weightSum;
    }
  };
  const capped = (n: number, cap: number) =>
    options.only !== undefined ? n < 1 : n < cap && Date.now() < deadline;
  const index = (n: number) => options.only ?? n;
  const sessions = loadCorpus(options.traces ?? Deno.env.get("WQ_SPEC_TRACES") ?? DEFAULT_TRACES);
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "wq-fuzz-" }));
  const findings: Finding[] = [];
  const report: FuzzReport = {
    seed: options.seed,
    cases: { parsers: 0, manager: 0, worker: 0, total: 0 },
    findings,
    discarded: 0,
    workerRestarts: 0,
    refused: { manager: 0, worker: 0 },
    healthChecks: 0,
    parserEvents: {},
    seconds: 0,
  };

  // An error nobody caught is a crash of the in-process manager or parsers.
  const onRejection = (e: PromiseRejectionEvent) => {
    e.preventDefault();
    findings.push({
      target: "process",
      index: -1,
      what: `unhandled rejection: ${describeError(e.reason)}`,
    });
  };
  const onError = (e: ErrorEvent) => {
    e.preventDefault();
    findings.push({
      target: "process",
      index: -1,
      what: `uncaught error: ${describeError(e.error)}`,
    });
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  globalThis.addEventListener("error", onError);

  // The tree around the targets: only their own directories may change.
  await Deno.mkdir(`${root}/canary/sub`, { recursive: true });
  await Deno.writeTextFile(`${root}/canary/a.txt`, "canary\n");
  await Deno.writeTextFile(`${root}/canary/sub/b.txt`, "canary\n");
  const allowed = (rel: string) =>
    /^(parsers\/(out|ws)|manager\/(out|health)|worker\/work)(\/|$)/.test(rel);
  const baseline = await snapshot(root, allowed);
  const escapes = escapeCandidates([root, Deno.cwd(), resolve(Deno.cwd(), "out/x")]);
  const checkTree = async (where: string) => {
    const changed = diff(baseline, await snapshot(root, allowed));
    // The targets' own directories appear as they are created.
    const unexpected = changed.filter((l) =>
      !/^\+ (parsers|manager|worker)(\/(out|ws|health|work|cwd|tmp))? \(dir\)$/.test(l)
    );
    if (unexpected.length) {
      findings.push({
        target: where,
        index: -1,
        what: `files changed outside the targets: ${unexpected.join("; ")}`,
      });
    }
    const found = await existing(escapes);
    if (found.length) {
      findings.push({ target: where, index: -1, what: `escaped writes: ${found.join(", ")}` });
      for (const p of found) await Deno.remove(p, { recursive: true }).catch(() => {});
    }
    for (const d of ["worker/cwd", "worker/tmp"]) {
      const entries = await Array.fromAsync(Deno.readDir(`${root}/${d}`)).catch(() => []);
      if (entries.length) {
        findings.push({
          target: where,
          index: -1,
          what: `${d} is not empty: ${entries.map((e) => e.name).join(", ")}`,
        });
      }
    }
  };

  try {
    // In-process parsers first: fast, and they find the most.
    if (want("parsers")) {
      phase("parsers");
      const p = new ParserTarget(sessions, `${root}/parsers`);
      await Deno.mkdir(`${root}/parsers`, { recursive: true });
      for (let n = 0; capped(n, parserCases); n++) {
        const i = index(n);
        const o = await p.run(new Rng(mixSeed(options.seed, "parsers", i)));
        report.cases.parsers++;
        if (o.finding) {
          findings.push({
            target: `parsers:${o.kind}`,
            index: i,
            what: o.finding,
            detail: o.ops.join(", "),
          });
        }
        if (n % 5000 === 4999) log(`parsers: ${n + 1} cases, ${findings.length} findings`);
      }
      await checkTree("parsers");
      report.parserEvents = Object.fromEntries(p.events);
      log(`parsers: ${report.cases.parsers} cases`);
    }

    if (want("manager")) {
      phase("manager");
      const m = new ManagerTarget({ root: `${root}/manager`, sessions });
      await m.start();
      const every = options.healthEvery ?? 50;
      const conc = options.only !== undefined ? 1 : options.concurrency ?? 4;
      try {
        findings.push(...await m.health(0));
        report.healthChecks++;
        let n = 0;
        let sinceHealth = 0;
        while (capped(n, cases)) {
          const batch: Promise<Finding[]>[] = [];
          for (let k = 0; k < conc && capped(n, cases); k++, n++) {
            const i = index(n);
            batch.push(
              m.run(new Rng(mixSeed(options.seed, "manager", i)), i).catch((e) => [
                { target: "manager", index: i, what: `fake worker failed: ${describeError(e)}` },
              ]),
            );
          }
          for (const f of await Promise.all(batch)) findings.push(...f);
          report.cases.manager += batch.length;
          sinceHealth += batch.length;
          findings.push(...await m.settle(n));
          if (sinceHealth >= every) {
            sinceHealth = 0;
            findings.push(...await m.health(n));
            report.healthChecks++;
            await checkTree("manager");
            log(`manager: ${n} cases, ${findings.length} findings`);
          }
        }
        findings.push(...await m.health(n));
        report.healthChecks++;
        findings.push(...await m.settle(n));
        findings.push(...await outputTreeProblems(`${root}/manager/out`));
        report.refused.manager = m.refusedByManager;
      } finally {
        await m.close();
      }
      await checkTree("manager");
      log(`manager: ${report.cases.manager} cases`);
    }

    if (want("worker")) {
      phase("worker");
      const w = new WorkerTarget({ root: `${root}/worker`, sessions });
      await w.start();
      try {
        for (let n = 0; capped(n, cases); n++) {
          const i = index(n);
          findings.push(...await w.run(new Rng(mixSeed(options.seed, "worker", i)), i));
          report.cases.worker++;
          if (n % 50 === 49) {
            await checkTree("worker");
            log(`worker: ${n + 1} cases, ${findings.length} findings`);
          }
        }
      } finally {
        await w.close();
      }
      report.discarded = w.discarded;
      report.workerRestarts = w.restarts;
      report.refused.worker = w.closedByWorker;
      const left = await Array.fromAsync(Deno.readDir(w.workDir));
      if (left.length) {
        findings.push({
          target: "worker",
          index: -1,
          what: `workspace left after the worker stopped: ${left.map((e) => e.name).join(", ")}`,
        });
      }
      await checkTree("worker");
      log(`worker: ${report.cases.worker} cases`);
    }
  } finally {
    globalThis.removeEventListener("unhandledrejection", onRejection);
    globalThis.removeEventListener("error", onError);
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
  const c = report.cases;
  c.total = c.parsers + c.manager + c.worker;
  report.seconds = Math.round((performance.now() - started) / 100) / 10;
  return report;
}

/** Entries under the manager's output directories other than the declared outputs. */
async function outputTreeProblems(outRoot: string): Promise<Finding[]> {
  const out: Finding[] = [];
  for await (const task of Deno.readDir(outRoot)) {
    if (!/^\d+$/.test(task.name)) {
      out.push({
        target: "manager",
        index: -1,
        what: `unexpected '${task.name}' in the output root`,
      });
      continue;
    }
    for await (const e of Deno.readDir(`${outRoot}/${task.name}`)) {
      if (e.name !== "out.txt") {
        out.push({
          target: "manager",
          index: -1,
          what: `unexpected '${task.name}/${e.name}' beside a task's outputs`,
        });
      }
    }
  }
  return out;
}

/**
 * One line of counts, e.g. `fuzz: 5200 cases (manager 150, worker 150, parsers 4900), 0 findings`.
 *
 * @param r The report.
 * @returns The line.
 */
export function summary(r: FuzzReport): string {
  const c = r.cases;
  return `fuzz: ${c.total} cases (manager ${c.manager}, worker ${c.worker}, parsers ${c.parsers}), ${r.findings.length} findings`;
}
