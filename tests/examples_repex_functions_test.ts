// examples/repex/functions.ts runs end to end with real local workers: the
// replica exchange with its sweeps as shell tasks (ising.awk) and then as
// function calls (ising.ts) finds the same energies, step for step.

import assert from "node:assert/strict";
import { ROOT, spawn } from "./_harness.ts";

Deno.test("examples/repex/functions.ts: calls and shell tasks find the same energies", async () => {
  await using p = spawn([
    Deno.execPath(),
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-net",
    "--allow-run",
    "examples/repex/functions.ts",
    "--replicas",
    "6",
    "--steps",
    "4",
    "--sweeps",
    "50",
    "--size",
    "8",
  ], { cwd: ROOT });
  const status = await p.status;
  assert.equal(status.code, 0, p.log());
  assert.match(p.log(), /energies: the same, step for step/);
  assert.match(p.log(), /function calls \(ising\.ts\): \d+\.\d+ s/);
});
