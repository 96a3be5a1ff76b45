import assert from "node:assert/strict";
import { planOf, unsafePlan } from "./worker_sim.ts";

const enc = new TextEncoder();
const OK = new Set(["cat in.txt > out.txt", "sleep 5"]);

Deno.test("planOf() sees the commands a worker would run, across lengths that swallow lines", async () => {
  const plan = await planOf(enc.encode("task 1\ncmd 20\ncat in.txt > out.txtend\n"));
  assert.deepEqual(plan.commands, ["cat in.txt > out.txt"]);
  assert.equal(unsafePlan(plan, OK, new Set()), undefined);
  // A longer length takes the next protocol line into the command.
  const longer = await planOf(enc.encode("task 1\ncmd 27\ncat in.txt > out.txt\nkill 1\nend\n"));
  assert.match(unsafePlan(longer, OK, new Set())!, /not a recorded one/);
});

Deno.test("planOf() follows put bodies and dir streams; unsafePlan() refuses links outside the trap", async () => {
  const stream = "put a 6 0644\ntask 2dir d\nsymlink l 4\n/tmpend\ntask 3\ncmd 7\nsleep 5end\n";
  const plan = await planOf(enc.encode(stream));
  assert.deepEqual(plan.commands, ["sleep 5"]);
  assert.deepEqual(plan.links, ["/tmp"]);
  assert.match(unsafePlan(plan, OK, new Set())!, /symlink target/);
});

Deno.test("planOf() stops where the worker stops", async () => {
  const plan = await planOf(enc.encode("bogus\ntask 1\ncmd 4\nrm -end\n"));
  assert.deepEqual(plan.commands, []);
});
