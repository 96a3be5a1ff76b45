import assert from "node:assert/strict";
import type { Exhaustion } from "../../measured.ts";
import { Measurer, type TrackOptions } from "./measurer.ts";
import { kernelFiles } from "./proc_fs.ts";

const files = kernelFiles!;
const MB = 1024 * 1024;

/** A temporary directory with files; `tree` maps paths to contents. */
async function fixture(tree: Record<string, string | Uint8Array>) {
  const root = await Deno.makeTempDir();
  for (const [path, data] of Object.entries(tree)) {
    const full = `${root}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    if (typeof data === "string") await Deno.writeTextFile(full, data);
    else await Deno.writeFile(full, data);
  }
  return { root, [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }) };
}

function stat(pid: number, ppid: number, sid: number, rss: number): string {
  return `${pid} (sh) S ${ppid} ${pid} ${sid} 0 -1 4194304 120 0 0 0 30 12 0 0 20 0 1 0 9000 ` +
    `12345678 ${rss} 18446744073709551615 1 1 0 0 0\n`;
}

/** Tracks a task and resolves with its first exhaustion (or `undefined` after `ms`). */
function exceeded(m: Measurer, o: Omit<TrackOptions, "onExceeded">, ms = 2000) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let meter;
  const first = new Promise<Exhaustion | undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    meter = m.track({ ...o, onExceeded: resolve });
  }).finally(() => clearTimeout(timer));
  return { meter: meter!, first };
}

Deno.test("a task's processes are those of its session in /proc; over its memory limit it is reported once", async () => {
  const pages = 6 * MB / files.pageSize;
  await using proc = await fixture({
    "500/stat": stat(500, 1, 500, pages),
    "501/stat": stat(501, 500, 500, pages), // its child
    "502/stat": stat(502, 1, 500, pages), // an orphan, still in its session
    "600/stat": stat(600, 1, 600, 10 * pages), // someone else
  });
  await using sandbox = await fixture({ "out.dat": new Uint8Array(2 * MB).fill(7) });
  using m = new Measurer({ intervalSeconds: 0.05, procRoot: proc.root });
  const { meter, first } = exceeded(m, {
    pid: 500,
    sessionLeader: true,
    sandbox: sandbox.root,
    limits: { memoryMB: 10 },
  });
  assert.deepEqual(await first, { resource: "memory", limitMB: 10, peakMB: 18 });
  const measured = await meter.finish({ usec: 2_000_000 });
  assert.equal(measured.method, "proc");
  assert.equal(measured.memoryMB, 18);
  assert.equal(measured.cpuSeconds, 3 * 42 / files.clockTicks);
  assert.equal(measured.wallSeconds, 2);
  assert.equal(measured.cores, measured.cpuSeconds! / 2);
  assert.ok(measured.diskMB! >= 2 && measured.diskMB! < 3, String(measured.diskMB));
});

Deno.test("without a session of its own, a task's processes are its descendants", async () => {
  const pages = MB / files.pageSize;
  await using proc = await fixture({
    "500/stat": stat(500, 1, 1, pages),
    "501/stat": stat(501, 500, 1, pages),
    "502/stat": stat(502, 501, 1, pages),
    "503/stat": stat(503, 1, 1, pages), // the worker's session, not the task's tree
  });
  await using sandbox = await fixture({});
  using m = new Measurer({ intervalSeconds: 0.05, procRoot: proc.root });
  const meter = m.track({ pid: 500, sessionLeader: false, sandbox: sandbox.root, limits: {} });
  while (meter.samples === 0) await new Promise((r) => setTimeout(r, 20));
  const measured = await meter.finish({ usec: 1_000_000 });
  assert.equal(measured.memoryMB, 3);
  assert.equal(measured.diskMB, 0);
});

Deno.test("a sandbox over its disk limit is reported; no limit, no report", async () => {
  await using proc = await fixture({});
  await using sandbox = await fixture({ "a/b/big": new Uint8Array(3 * MB).fill(1) });
  using m = new Measurer({ intervalSeconds: 0.05, procRoot: proc.root });
  const over = exceeded(m, {
    pid: 9,
    sessionLeader: true,
    sandbox: sandbox.root,
    limits: { diskMB: 2 },
  });
  const x = await over.first;
  assert.equal(x?.resource, "disk");
  assert.equal(x?.limitMB, 2);
  assert.ok(x!.peakMB >= 3, String(x!.peakMB));
  over.meter.stop();
  const free = exceeded(m, { pid: 9, sessionLeader: true, sandbox: sandbox.root, limits: {} }, 300);
  assert.equal(await free.first, undefined);
  free.meter.stop();
});

Deno.test("a task in a cgroup is measured from it: memory.stat against the limit, cpu.stat at the end", async () => {
  await using cg = await fixture({
    "cgroup.procs": "500\n",
    "memory.current": `${900 * MB}\n`,
    "memory.stat": `anon ${200 * MB}\nfile ${700 * MB}\nshmem ${20 * MB}\n`,
    "cpu.stat": "usage_usec 2500000\nuser_usec 2000000\n",
  });
  await using proc = await fixture({});
  await using sandbox = await fixture({});
  using m = new Measurer({ intervalSeconds: 0.05, procRoot: proc.root });
  const { meter, first } = exceeded(m, {
    pid: 500,
    sessionLeader: true,
    sandbox: sandbox.root,
    cgroup: cg.root,
    limits: { memoryMB: 100 },
  });
  assert.deepEqual(await first, { resource: "memory", limitMB: 100, peakMB: 220 });
  const measured = await meter.finish({ usec: 5_000_000, usage: { cpuSeconds: 1, maxRssMB: 3 } });
  assert.equal(measured.method, "cgroup");
  assert.equal(measured.memoryMB, 220);
  assert.equal(measured.cpuSeconds, 2.5);
  assert.equal(measured.cores, 0.5);
});

Deno.test("a task whose shell did not enter its cgroup is measured through /proc", async () => {
  await using cg = await fixture({ "cgroup.procs": "", "cpu.stat": "usage_usec 0\n" });
  await using proc = await fixture({ "500/stat": stat(500, 1, 500, 4 * MB / files.pageSize) });
  await using sandbox = await fixture({});
  using m = new Measurer({ intervalSeconds: 0.05, procRoot: proc.root });
  const track = { pid: 500, sessionLeader: true, sandbox: sandbox.root, cgroup: cg.root };
  const sampled = m.track({ ...track, limits: {} });
  while (sampled.samples === 0) await new Promise((r) => setTimeout(r, 20));
  const a = await sampled.finish({ usec: 1_000_000 });
  assert.equal(a.method, "proc");
  assert.equal(a.memoryMB, 4);
  // Ended before its first sample: the empty cgroup says nothing either.
  const short = m.track({ ...track, limits: {} });
  const b = await short.finish({ usec: 1000, usage: { cpuSeconds: 0.002, maxRssMB: 0.5 } });
  assert.deepEqual(b, { method: "proc", cpuSeconds: 0.002, wallSeconds: 0.001, cores: 2 });
});

Deno.test("a task shorter than an interval costs no sample: rusage gives its CPU, and its peak only above the worker's", async () => {
  await using sandbox = await fixture({ "f": new Uint8Array(MB) });
  using m = new Measurer({ intervalSeconds: 10 });
  const t = { pid: 1, sessionLeader: true, sandbox: sandbox.root, limits: { diskMB: 0.5 } };
  const small = await m.track(t).finish({ usec: 500, usage: { cpuSeconds: 0, maxRssMB: 1 } });
  assert.deepEqual(small, { method: "proc", cpuSeconds: 0, wallSeconds: 0.0005, cores: 0 });
  // Above the worker's own peak: the task's.
  const big = await m.track(t).finish({ usec: 500, usage: { cpuSeconds: 0, maxRssMB: 1e6 } });
  assert.equal(big.memoryMB, 1e6);
  assert.throws(() => new Measurer({ intervalSeconds: 0 }), /interval is '0' seconds/);
});
