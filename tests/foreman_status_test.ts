// The status tools list foremen under their managers: our catalog holds our
// manager's record, Debian's foreman's (`-f NAME`: a manager of its own, with
// `my_manager`, the address of its connection to our manager) and a queue of
// ours that says it serves that foreman (`setUplink()`, as our foreman will).
// Both `wq-status` and Debian's `work_queue_status` print the three as a tree.

import assert from "node:assert/strict";
import { WorkQueue } from "../mod.ts";
import { requireBinary, tempDir, until } from "./_harness.ts";
import { cctoolsEnv, run, runStatusTool, startOurCatalog, untilCatalog } from "./_catalog.ts";
import { foremenOf, startForeman } from "./_foreman.ts";

/** The first cell of each row after the header. */
function projects(table: string): string[] {
  return table.trimEnd().split("\n").slice(1).map((l) => l.trim().split(/\s+/)[0]);
}

Deno.test("wq-status and work_queue_status show Debian's foreman, and a queue with an uplink, under their managers", async () => {
  await using dir = await tempDir();
  await using catalog = await startOurCatalog();
  const at = `127.0.0.1:${catalog.port}`;
  await using top = new WorkQueue({ port: 0, hostname: "127.0.0.1", name: "fm-top", catalog: at });
  await using foreman = await startForeman(top.port, {
    dir: dir.path,
    name: "fm-mid",
    catalogPort: catalog.port,
  });
  await using leaf = new WorkQueue({
    port: 0,
    hostname: "127.0.0.1",
    name: "fm-leaf",
    catalog: at,
  });
  leaf.setUplink(`127.0.0.1:${foreman.port}`);

  const records = await untilCatalog(
    catalog.address,
    (rs) =>
      rs.some((r) => r.project === "fm-top") &&
      rs.some((r) => r.my_manager && r.project === "fm-mid") &&
      rs.some((r) => r.my_manager && r.project === "fm-leaf"),
    "the three records",
  );
  const mid = records.find((r) => r.project === "fm-mid")!;
  // The foreman names the remote address of its connection to our manager.
  assert.equal(mid.my_manager, `127.0.0.1:${top.port}`);
  assert.equal(mid.port, foreman.port);
  // Our catalog names every loopback sender "localhost", with address 127.0.0.1.
  assert.deepEqual([mid.name, mid.address], ["localhost", "127.0.0.1"]);
  await until(async () => (await foremenOf(top.port)).length === 1, "the foreman to join");
  const [f] = await foremenOf(top.port);
  assert.equal(f.workers_total, 0, "our manager counts the foreman's workers: none");

  const ours = await runStatusTool(["-C", at]);
  assert.equal(ours.code, 0, ours.stderr);
  assert.deepEqual(projects(ours.stdout), ["fm-top", ">fm-mid", "->fm-leaf"], ours.stdout);
  const only = await runStatusTool(["-C", at, "-M", "fm-mid"]);
  assert.deepEqual(projects(only.stdout), ["fm-mid", ">fm-leaf"], only.stdout);

  // Debian's work_queue_status matches my_manager against the address the
  // parent's `name` resolves to, plus its port. Our catalog's name for a
  // loopback sender is "localhost", which /etc/hosts resolves to 127.0.0.1:
  // so it nests the foreman too. (A manager whose catalog name resolved to
  // another address than the one its foremen dialed would not be nested by
  // it; wq-status also matches the record's `address`.)
  const theirs = await run([requireBinary("work_queue_status")], cctoolsEnv(catalog.port));
  assert.equal(theirs.code, 0, theirs.stderr);
  assert.deepEqual(projects(theirs.stdout), ["fm-top", ">fm-mid", "->fm-leaf"], theirs.stdout);

  // The uplink is gone: the queue is at the top again.
  leaf.setUplink(null);
  await untilCatalog(
    catalog.address,
    (rs) => rs.some((r) => r.project === "fm-leaf" && r.my_manager === undefined),
    "fm-leaf without my_manager",
  );
  const after = await runStatusTool(["-C", at]);
  assert.deepEqual(projects(after.stdout), ["fm-leaf", "fm-top", ">fm-mid"], after.stdout);
});
