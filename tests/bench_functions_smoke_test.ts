/**
 * bench/functions.ts keeps working: at a tiny size it runs calls and shell
 * tasks on a real worker and prints one well-formed JSON line. No timing is
 * asserted: benchmarks are not tests.
 */

import assert from "node:assert/strict";
import { ROOT, spawn } from "./_harness.ts";

Deno.test("bench/functions.ts runs at a tiny size and prints its JSON line", async () => {
  await using p = spawn([Deno.execPath(), "run", "-A", "bench/functions.ts", "20", "1", "5"], {
    cwd: ROOT,
  });
  const status = await p.status;
  assert.equal(status.code, 0, p.log());
  const line = p.log().split("\n").find((l) => l.startsWith('{"scenario":"functions"'));
  assert.ok(line, p.log());
  const r = JSON.parse(line);
  assert.equal(r.n, 20);
  assert.equal(r.failed, 0);
  for (const k of ["shellPerSec", "callsPerSec", "ratio"]) assert.ok(r[k] > 0, `${k}: ${line}`);
  assert.ok(r.roundTripMs.median > 0 && r.roundTripMs.p90 >= r.roundTripMs.median, line);
});
