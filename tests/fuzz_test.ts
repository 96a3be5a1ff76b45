// A bounded fuzz run with fixed seeds: thousands of in-process parser cases
// and about 150 real-socket cases each against our manager (fake workers)
// and our worker process (a fake manager). Any finding fails the test; the
// findings print with the command that replays them. `deno task fuzz` runs
// longer campaigns (docs/reliability.md).

import assert from "node:assert/strict";
import { runFuzz, summary } from "../fuzz/run.ts";

Deno.test("fuzz: mutated traces and random bytes neither crash, hang nor escape", async () => {
  const seed = 20261124;
  const report = await runFuzz({
    seed,
    target: "all",
    cases: 150,
    parserCases: 5000,
    healthEvery: 75,
  });
  console.log(summary(report));
  const out = Deno.env.get("WQ_RELIABILITY_OUT");
  if (out) {
    const line = {
      test: "fuzz",
      seed,
      cases: report.cases.total,
      manager: report.cases.manager,
      worker: report.cases.worker,
      parsers: report.cases.parsers,
      findings: report.findings.length,
      health_checks: report.healthChecks,
      refused_by_manager: report.refused.manager,
      refused_by_worker: report.refused.worker,
      seconds: report.seconds,
    };
    await Deno.writeTextFile(out, JSON.stringify(line) + "\n", { append: true });
  }
  const shown = report.findings.slice(0, 10).map((f) =>
    `[${f.target} case ${f.index}] ${f.what}${f.detail ? `\n  ${f.detail}` : ""}`
  );
  assert.deepEqual(shown, [], `replay with: deno task fuzz --seed ${seed} --target T --case N`);
  // The run did reach the code under test.
  assert.equal(report.cases.manager, 150);
  assert.equal(report.cases.worker, 150);
  assert.equal(report.cases.parsers, 5000);
  assert.ok(report.healthChecks >= 3, `${report.healthChecks} health checks`);
  assert.ok(report.refused.manager > 20, `the manager refused only ${report.refused.manager}`);
  assert.ok(report.refused.worker > 20, `the worker refused only ${report.refused.worker}`);
});
