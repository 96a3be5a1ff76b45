/**
 * `deno task bench --smoke` keeps working: every scenario runs at tiny sizes
 * for our manager and worker, for the machine ceiling (when `cc` exists) and
 * for CCTools (when installed), and the table and the JSON lines are well
 * formed. No timing is asserted: benchmarks are not tests.
 */

import assert from "node:assert/strict";
import { ROOT, tempDir } from "./_harness.ts";

const SCENARIOS = [
  "tasks-200",
  "tasks-2000",
  "tasks-20000",
  "roundtrip",
  "distinct-inputs",
  "cached-input",
  "memory",
  "manager-alone",
  "sim-workers",
  "sim-workers-10k",
  "foremen-fanout",
];

/** Scenarios that have a ceiling column, those CCTools runs, and those whose ours needs CCTools. */
const SIM = ["sim-workers", "sim-workers-10k", "foremen-fanout"];
const WITH_CEILING = SCENARIOS.filter((s) =>
  s !== "memory" && s !== "manager-alone" && !SIM.includes(s)
);
const WITH_CCTOOLS = SCENARIOS.filter((s) => !SIM.includes(s));
const OURS_NEEDS_CCTOOLS = ["manager-alone"];

function has(cmd: string[]): boolean {
  try {
    return new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

// deno-lint-ignore no-explicit-any
type Line = Record<string, any>;

/** Runs `bench/main.ts --smoke` with more arguments. */
function bench(args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}/bench/main.ts`, "--smoke", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "1" },
  }).output();
}

Deno.test("bench --smoke runs every scenario and writes a table and JSON lines", async () => {
  await using dir = await tempDir("wq-bench-smoke-");
  const out = `${dir.path}/smoke.jsonl`;
  const cc = has(["cc", "--version"]);
  const cctools = has(["/usr/bin/work_queue_worker", "--version"]) &&
    has(["/usr/bin/python3", "-c", "import work_queue"]);
  const result = await bench(["--out", out]);
  const stdout = new TextDecoder().decode(result.stdout);
  const stderr = new TextDecoder().decode(result.stderr);
  const context = `\n--- stdout:\n${stdout}\n--- stderr:\n${stderr}`;
  assert.equal(result.code, 0, `bench --smoke failed${context}`);

  // The table: a header, a rule and one row per scenario with a number for ours.
  const rows = stdout.split("\n").filter((l) => l.startsWith("|"));
  assert.match(rows[0], /^\| scenario .*\| ours .*\| CCTools .*\| ceiling .*\| met\? +\|$/);
  assert.match(rows[1], /^\|-+(\|-+)+\|$/);
  const cells = (row: string) => row.split("|").slice(1, -1).map((c) => c.trim());
  const head = cells(rows[0]);
  const byName = new Map(rows.slice(2).map((r) => [cells(r)[0], cells(r)]));
  assert.deepEqual([...byName.keys()], SCENARIOS, context);
  const column = (scenario: string, name: string) =>
    byName.get(scenario)![head.indexOf(name)].replaceAll(",", "");
  const withOurs = SCENARIOS.filter((s) => cctools || !OURS_NEEDS_CCTOOLS.includes(s));
  for (const s of SCENARIOS) {
    if (withOurs.includes(s)) {
      assert.match(column(s, "ours"), /^\d+(\.\d+)?$/, `no number for ours in ${s}${context}`);
    }
    if (cc && WITH_CEILING.includes(s)) {
      assert.match(column(s, "ceiling"), /^\d+(\.\d+)?$/, `no ceiling in ${s}${context}`);
    }
    if (cctools && WITH_CCTOOLS.includes(s)) {
      assert.match(column(s, "CCTools"), /^\d+(\.\d+)?$/, `no CCTools in ${s}${context}`);
    }
  }

  // The JSON lines: the machine, one line per measurement, one per summary row.
  const lines: Line[] = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
  const machine = lines.find((l) => l.type === "machine");
  assert.ok(machine, "no machine line");
  for (const k of ["cpu", "cores", "memGiB", "kernel", "deno", "date", "commit"]) {
    assert.ok(machine[k] !== undefined && machine[k] !== "", `machine.${k} missing`);
  }
  const measurements = lines.filter((l) => l.type === "measurement");
  const failed = measurements.filter((m) => !m.ok);
  assert.deepEqual(failed, [], `failed measurements${context}`);
  const measured = (system: string) =>
    new Set(measurements.filter((m) => m.system === system).map((m) => m.scenario));
  assert.deepEqual([...measured("ours")].sort(), [...withOurs].sort());
  if (cc) assert.deepEqual([...measured("ceiling")].sort(), [...WITH_CEILING].sort());
  if (cctools) assert.deepEqual([...measured("cctools")].sort(), [...WITH_CCTOOLS].sort());
  for (const m of measurements) {
    assert.ok(Number.isFinite(m.value) && m.value > 0, `bad value in ${JSON.stringify(m)}`);
  }
  const summaries = lines.filter((l) => l.type === "summary");
  assert.deepEqual(summaries.map((s) => s.scenario), SCENARIOS);
  const tenK = summaries.find((s) => s.scenario === "sim-workers-10k");
  for (const k of ["ours.managerRssPerWorker", "ours.managerHeapPerWorker"]) {
    assert.ok(Number.isFinite(tenK?.extras[k]), `sim-workers-10k has no ${k}${context}`);
  }
  // The foremen's CPU comes from /proc in 10 ms ticks: it may round to 0 at these sizes.
  const fanout = summaries.find((s) => s.scenario === "foremen-fanout")?.extras ?? {};
  assert.ok(
    fanout["ours.directManagerCpuUsPerTask"] > 0,
    `foremen-fanout has no directManagerCpuUsPerTask${context}`,
  );
  assert.ok(
    fanout["ours.foremenManagerCpuUsPerTask"] > 0,
    `foremen-fanout has no foremenManagerCpuUsPerTask${context}`,
  );
  assert.ok(
    Number.isFinite(fanout["ours.foremenCpuUsPerTask"]),
    `foremen-fanout has no foremenCpuUsPerTask${context}`,
  );
  for (const s of summaries.filter((s) => withOurs.includes(s.scenario))) {
    assert.ok(Number.isFinite(s.ours), `summary ${s.scenario} has no value for ours`);
    assert.equal(s.machine.commit, machine.commit);
  }
});

Deno.test("bench --cctools-p11 refuses a prefix with no CCTools in it", async () => {
  await using dir = await tempDir("wq-bench-p11-");
  const result = await bench(["--only", "memory", "--cctools-p11", dir.path]);
  assert.equal(result.code, 2);
  const stderr = new TextDecoder().decode(result.stderr);
  assert.match(stderr, /Cannot use --cctools-p11 '.*': .*bin\/work_queue_worker is missing/);
});

// A protocol-11 CCTools (7.x) install prefix, when one is given: the second CCTools column.
/**
 * A prefix laid out like a CCTools install (`bin/work_queue_worker`,
 * `lib/python3.N/site-packages/ndcctools/work_queue.py`) whose programs are
 * Debian's: it exercises the `--cctools-p11` column's plumbing in CI, where
 * no protocol-11 CCTools is installed. `WQ_BENCH_CCTOOLS_P11` names a real
 * one instead (e.g. a CCTools 7.17 built by hand).
 */
async function fakeP11Prefix(root: string): Promise<string> {
  const py = new TextDecoder().decode(
    (await new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import sys; print(f'python3.{sys.version_info[1]}')"],
    }).output()).stdout,
  ).trim();
  const site = `${root}/lib/${py}/site-packages/ndcctools`;
  await Deno.mkdir(site, { recursive: true });
  await Deno.mkdir(`${root}/bin`);
  await Deno.symlink("/usr/bin/work_queue_worker", `${root}/bin/work_queue_worker`);
  await Deno.writeTextFile(`${site}/__init__.py`, "");
  await Deno.writeTextFile(`${site}/work_queue.py`, "from work_queue import *\n");
  return root;
}

Deno.test({
  name: "bench --smoke --cctools-p11 adds a CCTools 11 column and manager-alone-p11",
  async fn() {
    await using dir = await tempDir("wq-bench-p11-");
    const out = `${dir.path}/p11.jsonl`;
    const only = "tasks-200,manager-alone-p11";
    const prefix = Deno.env.get("WQ_BENCH_CCTOOLS_P11") ??
      await fakeP11Prefix(`${dir.path}/cctools`);
    const result = await bench(["--only", only, "--cctools-p11", prefix, "--out", out]);
    const stdout = new TextDecoder().decode(result.stdout);
    const context = `\n${stdout}\n${new TextDecoder().decode(result.stderr)}`;
    assert.equal(result.code, 0, context);
    assert.match(stdout, /\| CCTools 11 +\|/);
    const lines: Line[] = (await Deno.readTextFile(out)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    const summaries = lines.filter((l) => l.type === "summary");
    assert.deepEqual(summaries.map((s) => s.scenario), only.split(","));
    for (const s of summaries) {
      assert.ok(Number.isFinite(s.ours) && Number.isFinite(s.cctools11), JSON.stringify(s));
    }
  },
});
