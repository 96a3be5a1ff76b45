import assert from "node:assert/strict";
import { kernelFiles, parseProcStat, scanProcesses } from "./proc_fs.ts";

// The tests run with every permission, so on Linux with glibc the reader is there.
const files = kernelFiles!;

/** A /proc/<pid>/stat line (fields 1 to 24 and a few more). */
function statLine(pid: number, comm: string, o: { ppid: number; sid: number; rss: number }) {
  return `${pid} (${comm}) S ${o.ppid} ${pid} ${o.sid} 0 -1 4194304 120 0 0 0 ` +
    `30 12 0 0 20 0 1 0 9000 12345678 ${o.rss} 18446744073709551615 1 1 0 0 0\n`;
}

Deno.test("parseProcStat reads the fields after the last parenthesis of the command name", () => {
  const line = statLine(77, "we (ird) name", { ppid: 5, sid: 70, rss: 300 });
  assert.deepEqual(parseProcStat(line), {
    pid: 77,
    ppid: 5,
    session: 70,
    cpuTicks: 42,
    rssPages: 300,
  });
  assert.equal(parseProcStat("77 (short) S 1 2 3"), undefined);
  assert.equal(parseProcStat(""), undefined);
});

Deno.test("scanProcesses reads every numbered directory of a proc tree and skips the rest", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const [pid, sid] of [[10, 10], [11, 10], [12, 3]]) {
      await Deno.mkdir(`${root}/${pid}`);
      await Deno.writeTextFile(
        `${root}/${pid}/stat`,
        statLine(pid, "sh", { ppid: 1, sid, rss: 5 }),
      );
    }
    await Deno.mkdir(`${root}/13`); // exited during the scan: no stat
    await Deno.mkdir(`${root}/self`);
    await Deno.writeTextFile(`${root}/uptime`, "1 2\n");
    const procs = scanProcesses(files, root);
    assert.deepEqual([...procs.keys()].sort(), [10, 11, 12]);
    assert.equal(procs.get(11)!.session, 10);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("scanProcesses on the real /proc finds this process in its session", () => {
  const me = scanProcesses(files).get(Deno.pid);
  assert.ok(me, "this process is not in /proc");
  assert.ok(me.rssPages > 0 && me.cpuTicks >= 0, JSON.stringify(me));
  assert.ok(files.pageSize >= 4096 && files.clockTicks > 0);
});

Deno.test("kernelFiles reads, writes, lists, makes and removes outside Deno's permissions", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(files.mkdir(`${dir}/d`), true);
    assert.equal(files.mkdir(`${dir}/d`), false); // exists
    await Deno.writeTextFile(`${dir}/d/f`, "old");
    assert.equal(files.write(`${dir}/d/f`, "new!"), true);
    assert.equal(files.read(`${dir}/d/f`), "new!");
    assert.equal(files.write(`${dir}/d/missing`, "x"), false); // never creates
    assert.equal(files.read(`${dir}/d/missing`), undefined);
    const big = "y".repeat(100_000);
    await Deno.writeTextFile(`${dir}/big`, big);
    assert.equal(files.read(`${dir}/big`), big);
    assert.equal(files.read(`${dir}/big`, 40_000)!.length, 40_000);
    assert.deepEqual(files.list(dir)!.sort(), ["big", "d"]);
    assert.equal(files.list(`${dir}/nothere`), undefined);
    assert.equal(files.rmdir(`${dir}/d`), false); // not empty
    await Deno.remove(`${dir}/d/f`);
    assert.equal(files.rmdir(`${dir}/d`), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
