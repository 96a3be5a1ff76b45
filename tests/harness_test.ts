// The harness's hold on the processes a test starts: disposal kills the
// process, what it started in its group and what left the group (as a
// worker's tasks do), and removes the process's TMPDIR; a process that runs
// past its limit is killed and its log says so.

import assert from "node:assert/strict";
import { isRunning } from "../tools/testenv/daemons.ts";
import { exists, spawn, until } from "./_harness.ts";

Deno.test("spawn(): disposal kills the process, its group and what left the group, and removes its TMPDIR", async () => {
  let pids: number[] = [];
  let tmp = "";
  {
    // sh starts a sleep in its group and another in a session of its own.
    await using p = spawn([
      "/bin/sh",
      "-c",
      'sleep 60 & setsid sleep 60 & echo "$! $TMPDIR"; touch "$TMPDIR/x"; wait',
    ]);
    await until(() => /^\d+ \S+/m.test(p.log()), "the shell to start its children");
    const [escaped, dir] = p.log().trim().split(" ");
    tmp = dir;
    const group = new TextDecoder().decode(
      (await new Deno.Command("pgrep", { args: ["-g", String(p.child.pid)] }).output()).stdout,
    ).trim().split("\n").map(Number);
    pids = [...group, Number(escaped)];
    assert.ok(pids.length >= 3, `pids: ${pids}`);
    assert.ok(await exists(`${tmp}/x`));
  }
  for (const pid of pids) assert.ok(!isRunning(pid, "sleep"), `sleep ${pid} still runs`);
  assert.equal(await exists(tmp), false);
});

Deno.test("spawn(): a process that runs past its limit is killed, and its log says so", async () => {
  await using p = spawn(["sleep", "60"], { limitMs: 200 });
  const status = await p.status;
  assert.equal(status.signal, "SIGKILL");
  assert.match(p.log(), /\[harness: still running after 0\.2 s: killed\]/);
});
