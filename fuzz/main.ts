/**
 * `deno task fuzz`: fuzzes the manager's and the worker's protocol parsers
 * with random bytes and mutated real traces.
 *
 * ```sh
 * deno task fuzz                                  # 100 socket cases per target, random seed
 * deno task fuzz --duration 5m --seed 7           # as many as fit in five minutes
 * deno task fuzz --target manager --seed 7 --case 42   # replay one case
 * ```
 *
 * Options: `--cases N` (real-socket cases per target; default 100),
 * `--parser-cases N` (in-process cases; default 30 × cases), `--seed S`,
 * `--target parsers|manager|worker|both|all` (default all), `--duration
 * TIME` (`90s`, `5m`), `--case N` (replay one case of one target), `--json`
 * (print the report as JSON). Exits 1 if anything was found.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseDuration } from "../lib/worker/options.ts";
import { type FuzzTarget, runFuzz, summary } from "./run.ts";

const TARGETS = ["parsers", "manager", "worker", "both", "all"];

function fail(msg: string): never {
  console.error(`fuzz: ${msg}`);
  Deno.exit(2);
}

function count(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) fail(`Cannot parse option '${option}': expected a count, got '${text}'`);
  return Number(text);
}

if (import.meta.main) {
  const { values: v } = parseArgs({
    args: Deno.args,
    options: {
      cases: { type: "string" },
      "parser-cases": { type: "string" },
      seed: { type: "string" },
      target: { type: "string" },
      duration: { type: "string" },
      case: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) {
    console.log(
      "usage: deno task fuzz [--cases N] [--parser-cases N] [--seed S] [--duration TIME]\n" +
        "                      [--target parsers|manager|worker|both|all] [--case N] [--json]",
    );
    Deno.exit(0);
  }
  const target = (v.target ?? "all") as FuzzTarget;
  if (!TARGETS.includes(target)) {
    fail(`Cannot parse option '--target': expected one of ${TARGETS.join(", ")}, got '${target}'`);
  }
  const only = count(v.case, "--case");
  if (only !== undefined && !["parsers", "manager", "worker"].includes(target)) {
    fail("Cannot replay a case: '--case' needs '--target parsers', 'manager' or 'worker'");
  }
  const seed = count(v.seed, "--seed") ?? Math.floor(Math.random() * 2 ** 31);
  let durationMs: number | undefined;
  try {
    if (v.duration !== undefined) durationMs = parseDuration(v.duration, "--duration") * 1000;
  } catch (e) {
    fail((e as Error).message);
  }
  const cases = count(v.cases, "--cases") ?? (durationMs === undefined ? 100 : Infinity);
  const parserCases = count(v["parser-cases"], "--parser-cases") ??
    (durationMs === undefined ? cases * 30 : Infinity);
  console.error(`fuzz: seed ${seed}, target ${target}` + (durationMs ? `, ${v.duration}` : ""));
  // With a duration, share the time: parsers get a tenth, the rest the socket targets.
  const report = await runFuzz({
    seed,
    target,
    cases,
    parserCases,
    durationMs,
    only,
    log: (l) => console.error(`fuzz: ${l}`),
  });
  if (v.json) console.log(JSON.stringify(report, null, 2));
  for (const f of report.findings) {
    console.error(
      `FINDING [${f.target} case ${f.index}] ${f.what}` + (f.detail ? `\n  ${f.detail}` : ""),
    );
    if (f.index >= 0) {
      const t = f.target.startsWith("parsers") ? "parsers" : f.target;
      console.error(`  replay: deno task fuzz --seed ${seed} --target ${t} --case ${f.index}`);
    }
  }
  console.log(
    `fuzz: the manager refused ${report.refused.manager} connections, the worker ended ` +
      `${report.refused.worker}; ${report.healthChecks} health checks; the worker restarted ` +
      `${report.workerRestarts} times; ${report.discarded} mutations redrawn as unsafe to run`,
  );
  console.log(`${summary(report)} (seed ${seed}, ${report.seconds} s)`);
  Deno.exit(report.findings.length ? 1 : 0);
}
