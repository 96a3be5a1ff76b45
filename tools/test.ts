/**
 * `deno task test`: sets up what the suite needs, runs it, stops what it
 * started, and checks that nothing was left behind.
 *
 * 1. Installs the Debian packages the suite needs (CCTools, Chromium,
 *    SLURM, Grid Engine...) with apt-get, when it runs as root; otherwise,
 *    if any is missing, it stops at once with one line naming the command
 *    to run. A second run finds them and skips this.
 * 2. Starts SLURM and Grid Engine as background daemons (unless they run).
 * 3. Runs `deno test` on the whole repository (or on the arguments given),
 *    test files in parallel, with a temporary directory of its own and a
 *    mark in the environment of every process it starts.
 * 4. Stops the daemons it started, and fails the run if a process, a
 *    temporary file or a listening socket of the run is still there.
 * 5. Prints a last line `N passed, N failed[, N skipped]`.
 *
 * Usage: deno task test [--setup-only] [--jobs N] [DENO TEST ARGUMENTS...]
 *
 * @module
 */

import { ROOT } from "./entrypoints.ts";
import { findLeftovers, report, RUN_MARK, snapshot } from "./testenv/leftovers.ts";
import { killAll } from "./testenv/procs.ts";
import { batchDown, batchUp, ensurePackages, STATE_DIR, type System } from "./testenv/setup.ts";
import { SGE_ENV } from "./testenv/sge.ts";
import { slurmEnv } from "./testenv/slurm.ts";

/**
 * The Markdown pages whose examples do not run under `deno test --doc`,
 * because they need workers, files or a network; they are type-checked
 * (tests/doc_examples_test.ts). Every other page's examples run.
 */
export const DOC_PAGES_NOT_RUN: readonly string[] = [
  "README.md",
  "docs/api.md",
  "docs/catalog.md",
  "docs/journal.md",
  "docs/security.md",
];

/** The arguments of the test run. */
export interface TestArgs {
  setupOnly: boolean;
  /** Test files run at once. */
  jobs: number;
  /** What goes to `deno test` after the runner's own flags. */
  denoArgs: string[];
  /** The files or directories among them; none means the whole repository. */
  files: string[];
  /** The batch systems the selected tests need. */
  systems: System[];
}

/**
 * The test files that need a batch system running: those that submit to it,
 * and the runner's own test, which checks that a second set-up finds it.
 */
const BATCH_TESTS: Record<System, string[]> = {
  slurm: ["submit_slurm_test", "test_runner_test"],
  sge: ["submit_sge_test", "test_runner_test"],
};

/** The flags of `deno test` whose value may be the next argument. */
const VALUE_FLAGS = new Set(["--filter", "--reporter", "--junit-path", "--seed", "--coverage"]);

/**
 * Parses the runner's arguments.
 *
 * @param args The command-line arguments.
 * @returns The parsed arguments.
 * @throws {RangeError} For a bad `--jobs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTestArgs } from "./test.ts";
 *
 * const all = parseTestArgs([]);
 * assert.deepEqual(all.systems, ["slurm", "sge"]);
 * const one = parseTestArgs(["--jobs", "2", "tests/tls_test.ts"]);
 * assert.equal(one.jobs, 2);
 * assert.deepEqual(one.denoArgs, ["tests/tls_test.ts"]);
 * assert.deepEqual(one.systems, []);
 * assert.deepEqual(parseTestArgs(["tests/submit_sge_test.ts"]).systems, ["sge"]);
 * // A flag's value is no file: the whole repository, filtered.
 * const filtered = parseTestArgs(["--filter", "submit"]);
 * assert.deepEqual(filtered.files, []);
 * assert.deepEqual(filtered.systems, ["slurm", "sge"]);
 * ```
 */
export function parseTestArgs(args: string[]): TestArgs {
  const out: TestArgs = { setupOnly: false, jobs: 4, denoArgs: [], files: [], systems: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--setup-only") out.setupOnly = true;
    else if (a === "--jobs" || a.startsWith("--jobs=")) {
      const v = a === "--jobs" ? args[++i] : a.slice("--jobs=".length);
      out.jobs = Number(v);
      if (!Number.isInteger(out.jobs) || out.jobs < 1) {
        throw new RangeError(`Cannot run the tests: --jobs must be a positive integer, not '${v}'`);
      }
    } else if (VALUE_FLAGS.has(a)) out.denoArgs.push(a, args[++i] ?? "");
    else {
      out.denoArgs.push(a);
      if (!a.startsWith("-")) out.files.push(a);
    }
  }
  const wants = (s: System) =>
    out.files.length === 0 || out.files.some((f) => BATCH_TESTS[s].some((t) => f.includes(t)));
  out.systems = (["slurm", "sge"] as const).filter(wants);
  return out;
}

/** deno's summary line, e.g. `ok | 12 passed (3 steps) | 0 failed | 2 ignored (5s)`. */
const SUMMARY = /^(?:ok|FAILED) \| (\d+) passed.*?\| (\d+) failed(?:.*?\| (\d+) ignored)?/m;

function log(line: string): void {
  console.error(`test: ${line}`);
}

/** Runs `deno test`, copying its output, and returns its status and the counts. */
async function runDeno(
  args: TestArgs,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number; passed: number; failed: number; ignored: number }> {
  const selection = args.files.length > 0
    ? []
    : ["--doc", `--ignore=${DOC_PAGES_NOT_RUN.join(",")}`];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--parallel", ...selection, ...args.denoArgs],
    cwd: ROOT,
    env: { ...env, DENO_JOBS: String(args.jobs) },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    detached: true, // its own process group, killed whole on a timeout or ^C
  }).spawn();
  const stop = () => {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch { /* gone */ }
  };
  const timer = setTimeout(() => {
    log(`the suite ran longer than ${timeoutMs / 60_000} min: stopping it`);
    stop();
  }, timeoutMs);
  const onSignal = () => stop();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let tail = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
  }
  const status = await child.status;
  clearTimeout(timer);
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  // deno ends with its summary; the last one counts.
  // deno-lint-ignore no-control-regex
  const plain = tail.replace(/\x1b\[[0-9;]*m/g, "");
  const all = [...plain.matchAll(new RegExp(SUMMARY.source, "gm"))];
  const m = all.at(-1);
  return {
    code: status.code,
    passed: Number(m?.[1] ?? 0),
    failed: m ? Number(m[2]) : 1, // no summary: deno stopped before the tests
    ignored: Number(m?.[3] ?? 0),
  };
}

async function main(): Promise<number> {
  const args = parseTestArgs(Deno.args);
  let started: System[];
  try {
    await ensurePackages(log);
    started = await batchUp(args.systems, log);
  } catch (e) {
    // One line that says what is missing and what to run.
    log(e instanceof Error ? e.message : String(e));
    return 1;
  }
  if (args.setupOnly) {
    log("set up; nothing else to do");
    return 0;
  }
  const runTmp = await Deno.makeTempDir({ prefix: "wq-suite-" });
  // Others may pass through, not list: a test that runs a program as
  // another user gives it a directory of its own in here.
  await Deno.chmod(runTmp, 0o711);
  const before = snapshot();
  const mark = crypto.randomUUID();
  const env: Record<string, string> = {
    [RUN_MARK]: mark,
    TMPDIR: runTmp,
    // CCTools' tools must never reach the public catalog.
    CATALOG_HOST: "127.0.0.1",
    CATALOG_PORT: "9",
    USER: Deno.env.get("USER") || (Deno.uid() === 0 ? "root" : "user"),
    ...slurmEnv(STATE_DIR),
    ...SGE_ENV,
  };
  const t0 = Date.now();
  const timeoutMin = Number(Deno.env.get("WQ_TEST_TIMEOUT_MIN") ?? 20);
  const result = await runDeno(args, env, timeoutMin * 60_000);
  const seconds = Math.round((Date.now() - t0) / 1000);
  // A process that was exiting as the suite ended gets a moment to finish.
  await new Promise((r) => setTimeout(r, 500));
  const left = findLeftovers(before, {
    mark,
    runTmp,
    ignoreTmp: [runTmp.slice(runTmp.lastIndexOf("/") + 1)],
  });
  killAll(left.processes);
  await Deno.remove(runTmp, { recursive: true });
  await batchDown(started, log);
  const lines = report(left);
  for (const l of lines) log(`leftover: ${l}`);
  log(
    `${
      lines.length === 0 ? "leftover check passed" : "leftover check FAILED"
    }; the suite ran ${seconds} s`,
  );
  const failed = result.failed + (lines.length > 0 ? 1 : 0);
  let last = `${result.passed} passed, ${failed} failed`;
  if (result.ignored > 0) last += `, ${result.ignored} skipped`;
  console.log(last);
  return result.code !== 0 || failed > 0 ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`test: ${e instanceof Error ? e.message : e}`);
    console.log("0 passed, 1 failed");
    Deno.exit(1);
  }
}
