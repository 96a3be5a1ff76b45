// Foremen (docs/foremen.md): our manager, two of our foremen, four of our
// workers, all real processes over loopback.
//
// - The chaos workload (a cached input shared by every task, one uncached
//   input and one output each) completes right while a foreman is SIGKILLed
//   mid-run: its tasks go back to the manager, and its workers, started with
//   -M, find the other foreman of the project in the catalog and join it.
// - A cached input crosses the manager's link once per foreman, however many
//   workers behind it use it.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { listeningPort, type Proc, startWorker, tempDir, until } from "./_harness.ts";
import { startOurCatalog, untilCatalog } from "./_catalog.ts";

const CORES = 2;
const PROJECT = "wq-test-site";

/** What a task's command makes of its inputs. */
function upper(shared: string, input: string): string {
  return (shared + input).replace(/[a-z]/g, (c) => c.toUpperCase());
}

/** Starts a foreman of the manager on `port`; resolves with it and its own port. */
async function startForeman(
  port: number,
  args: string[],
): Promise<{ proc: Proc; port: number }> {
  const proc = startWorker(port, { args: ["--foreman", "-i", "0.2", "-b", "1", ...args] });
  return { proc, port: await listeningPort(proc, "the foreman") };
}

/** A worker with CORES cores; `target` is the foreman's port, or `-M` arguments. */
function startSiteWorker(target: number | string[], workdir: string): Proc {
  const args = ["-s", workdir, "--cores", String(CORES), "--memory", "2000", "--disk", "4000"];
  args.push("-i", "0.2", "-b", "1", "-t", "120");
  return typeof target === "number"
    ? startWorker(target, { args })
    : startWorker(null, { args: [...args, ...target] });
}

Deno.test("foremen: the chaos workload completes right while a foreman is SIGKILLed, and its workers move to the other", async () => {
  const TASKS = 120;
  await using dir = await tempDir("wq-foreman-");
  await using catalog = await startOurCatalog();
  const cat = `127.0.0.1:${catalog.port}`;
  const inDir = `${dir.path}/in`;
  const outDir = `${dir.path}/out`;
  await Deno.mkdir(inDir);
  await Deno.mkdir(outDir);
  const shared = "shared header\n";
  await Deno.writeTextFile(`${inDir}/shared.txt`, shared);
  for (let i = 0; i < TASKS; i++) {
    await Deno.writeTextFile(`${inDir}/${i}.txt`, `task ${i}: ${"abcdef".repeat(50 + i * 7)}\n`);
  }

  await using wq = new WorkQueue({ port: 0 });

  const procs: Proc[] = [];
  try {
    // Foreman A first, and two workers that find it by project name.
    const a = await startForeman(wq.port, ["-f", PROJECT, "-C", cat, "-s", `${dir.path}/fa`]);
    procs.push(a.proc);
    await untilCatalog(
      catalog.address,
      // It says whose foreman it is, as CCTools' foremen do (status tools draw the tree from it).
      (rs) =>
        rs.some((r) =>
          r.project === PROJECT && r.port === a.port && r.my_manager === `127.0.0.1:${wq.port}`
        ),
      "foreman A in the catalog, with my_manager",
    );
    for (let i = 0; i < 2; i++) {
      procs.push(startSiteWorker(["-M", PROJECT, "-C", cat], `${dir.path}/wa${i}`));
    }
    // They have joined A before B exists, so that none of them picks B.
    await until(
      () => wq.stats.totalCores === 2 * CORES,
      `foreman A offering ${2 * CORES} cores (now ${wq.stats.totalCores})`,
      60_000,
    );
    // Foreman B, of the same project, and two workers dialling it directly.
    const b = await startForeman(wq.port, ["-f", PROJECT, "-C", cat, "-s", `${dir.path}/fb`]);
    procs.push(b.proc);
    for (let i = 0; i < 2; i++) procs.push(startSiteWorker(b.port, `${dir.path}/wb${i}`));
    // Both foremen offer their workers before the tasks come, so that both get some.
    await until(
      () => wq.stats.workersConnected === 2 && wq.stats.totalCores === 4 * CORES,
      `two foremen offering ${4 * CORES} cores (now ${wq.stats.totalCores})`,
      60_000,
    );
    const byId = new Map<number, number>();
    for (let i = 0; i < TASKS; i++) {
      const t = new Task(
        `sleep 0.${String(i % 10)}; cat shared.txt in.txt | tr a-z A-Z > out.txt`,
      ).specifyCores(1);
      t.specifyInputFile(`${inDir}/shared.txt`, "shared.txt");
      t.specifyInputFile(`${inDir}/${i}.txt`, "in.txt", { cache: false });
      t.specifyOutputFile(`${outDir}/${i}.txt`, "out.txt");
      byId.set(wq.submit(t), i);
    }

    const seen = new Set<number>();
    const hosts = new Set<string>();
    let killed = false;
    while (seen.size < TASKS) {
      const t = await wq.wait(5);
      if (!t) {
        const s = wq.stats;
        assert.ok(
          s.tasksDone < TASKS,
          `stalled: ${seen.size} of ${TASKS} back, ${s.workersConnected} foremen`,
        );
        continue;
      }
      assert.ok(!seen.has(t.id), `task ${t.id} came back twice`);
      seen.add(t.id);
      hosts.add(t.host ?? "none");
      const i = byId.get(t.id)!;
      assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, `task ${t.id}: ${t.failure} ${t.output}`);
      assert.equal(t.returnStatus, 0, `task ${t.id}: ${t.output}`);
      const input = await Deno.readTextFile(`${inDir}/${i}.txt`);
      assert.equal(await Deno.readTextFile(`${outDir}/${i}.txt`), upper(shared, input));
      // Once both foremen have returned tasks, a third of the way in.
      if (!killed && seen.size >= TASKS / 3 && hosts.size === 2) {
        a.proc.kill("SIGKILL"); // the foreman alone: its workers live on
        killed = true;
      }
    }
    assert.ok(killed);
    assert.equal(hosts.size, 2, `tasks came back from ${[...hosts].join(", ")}`);
    const s = wq.stats;
    assert.equal(s.tasksDone, TASKS);
    assert.ok(s.tasksRequeued > 0 || s.workersLost > 0 || s.workersRemoved > 0);
    // Foreman A's workers found foreman B: it now offers all four workers' cores.
    await until(
      () => wq.stats.workersConnected === 1 && wq.stats.totalCores === 4 * CORES,
      `foreman B offering ${4 * CORES} cores (now ${wq.stats.totalCores})`,
    );
    assert.equal(await wq.wait(0), null);
  } finally {
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.status));
  }
});

Deno.test("foremen: a cached input crosses the manager's link once per foreman", async () => {
  const TASKS = 24;
  const SIZE = 4 * 1024 * 1024;
  await using dir = await tempDir("wq-foreman-bytes-");
  const big = `${dir.path}/big.bin`;
  await Deno.writeFile(big, new Uint8Array(SIZE).fill(97));
  await using wq = new WorkQueue({ port: 0 });
  const procs: Proc[] = [];
  try {
    for (const f of ["fa", "fb"]) {
      const fm = await startForeman(wq.port, ["-s", `${dir.path}/${f}`]);
      procs.push(fm.proc);
      for (let i = 0; i < 2; i++) procs.push(startSiteWorker(fm.port, `${dir.path}/${f}w${i}`));
    }
    // Both foremen offer their workers before the tasks come, so that both get some.
    await until(
      () => wq.stats.workersConnected === 2 && wq.stats.totalCores === 4 * CORES,
      `two foremen offering ${4 * CORES} cores (now ${wq.stats.totalCores})`,
      60_000,
    );
    for (let i = 0; i < TASKS; i++) {
      const t = new Task(`sleep 0.2; wc -c < big.bin`);
      // Most declare a core; the others take a whole worker of the foreman (its largest), not all of it.
      if (i % 4 !== 0) t.specifyCores(1);
      t.specifyInputFile(big, "big.bin");
      wq.submit(t);
    }
    const hosts = new Map<string, number>();
    for (let n = 0; n < TASKS;) {
      const t = await wq.wait(5);
      if (!t) continue;
      n++;
      assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, `task ${t.id}: ${t.failure}`);
      assert.equal(t.output.trim(), String(SIZE));
      hosts.set(t.host!, (hosts.get(t.host!) ?? 0) + 1);
    }
    assert.equal(hosts.size, 2, `tasks ran on ${[...hosts.keys()].join(", ")}`);
    // Each foreman got the file once (8 MiB), not once per worker (16 MiB) or per task.
    const sent = wq.stats.bytesSent;
    assert.ok(sent >= 2 * SIZE, `the manager sent ${sent} bytes`);
    assert.ok(sent < 3 * SIZE, `the manager sent ${sent} bytes: more than one copy per foreman`);
  } finally {
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.status));
  }
});
