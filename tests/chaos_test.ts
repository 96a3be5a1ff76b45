// Chaos: tasks with input and output files run on 4 of our workers while a
// driver SIGKILLs a random worker (with its tasks) every half second and
// starts a replacement. Every task must come back from wait() exactly once,
// succeeded, with the right output, and no temporary file may be left.
//
// The suite runs 500 tasks; CHAOS_TASKS=N sets another number, and
// `deno task chaos` runs the full 2,000. It prints one summary line and,
// when WQ_RELIABILITY_OUT names a file, appends the same figures to it as a
// JSON line. CHAOS_SEED=N repeats the same inputs and kill choices (the
// timing of kills still varies).

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { type Proc, startWorker, tempDir } from "./_harness.ts";

/** How many tasks: 500 in the suite, CHAOS_TASKS (2,000 with `deno task chaos`) when set. */
const TASKS = chaosTasks(Deno.env.get("CHAOS_TASKS"));
const WORKERS = 4;
const KILL_EVERY_MS = 500;
/** Cores per worker: each task takes one, so a worker runs several at once. */
const CORES = 4;
/** A test that sees no task come back for this long fails (and says where things stand). */
const STALL_MS = 90_000;

function chaosTasks(value: string | undefined): number {
  const n = Number(value ?? 500);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `Cannot run chaos: CHAOS_TASKS must be a positive integer, got '${value}'`,
    );
  }
  return n;
}

/** A small seeded PRNG (mulberry32), so that a failing run can be repeated. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What the task's command makes of its inputs (`tr a-z A-Z` on ASCII text). */
function expectedOutput(shared: string, input: string): string {
  return (shared + input).replace(/[a-z]/g, (c) => c.toUpperCase());
}

Deno.test(`chaos: ${TASKS} tasks with files on ${WORKERS} workers, one SIGKILLed every ${KILL_EVERY_MS} ms, each comes back once and right`, async () => {
  const seed = Number(Deno.env.get("CHAOS_SEED") ?? Math.floor(Math.random() * 2 ** 31));
  const rand = prng(seed);
  await using dir = await tempDir("wq-chaos-");
  const inDir = `${dir.path}/in`;
  const outDir = `${dir.path}/out`;
  const ws = `${dir.path}/workers`;
  await Deno.mkdir(inDir);
  await Deno.mkdir(outDir);

  // One input shared by every task (cached on each worker) and one per task,
  // from 64 bytes to 64 KiB of lower-case hex.
  const shared = `shared header, seed ${seed}\n`;
  await Deno.writeTextFile(`${inDir}/shared.txt`, shared);
  const hex = "0123456789abcdef";
  for (let i = 0; i < TASKS; i++) {
    const size = 64 + Math.floor(rand() * 64 * 1024);
    let body = "";
    while (body.length < size) body += hex[Math.floor(rand() * 16)].repeat(64);
    await Deno.writeTextFile(`${inDir}/${i}.txt`, `task ${i}: ${body}\n`);
  }

  const recent: string[] = [];
  const removals = new Map<string, number>();
  await using wq = new WorkQueue({
    port: 0,
    logger: (level, msg) => {
      // "removed worker host (ip:port): why; n task(s) go back", with byte counts left out.
      const why = /^removed worker .+?\): ([^;]*)/.exec(msg)?.[1]?.replace(/\d+/g, "N");
      if (why) removals.set(why, (removals.get(why) ?? 0) + 1);
      recent.push(`${level}: ${msg}`);
      if (recent.length > 40) recent.shift();
    },
  });
  const byId = new Map<number, number>(); // task id -> input index
  for (let i = 0; i < TASKS; i++) {
    // A short sleep so that kills land while tasks run, not only between them.
    const ms = Math.floor(rand() * 150);
    const t = new Task(
      `sleep 0.${String(ms).padStart(3, "0")}; cat shared.txt in.txt | tr a-z A-Z > out.txt`,
    ).specifyCores(1);
    t.specifyInputFile(`${inDir}/shared.txt`, "shared.txt");
    t.specifyInputFile(`${inDir}/${i}.txt`, "in.txt", { cache: false });
    t.specifyOutputFile(`${outDir}/${i}.txt`, "out.txt", { cache: false });
    byId.set(wq.submit(t), i);
  }

  const args = [
    "--single-shot",
    "-t",
    "120",
    "-s",
    ws,
    "--cores",
    String(CORES),
    "--memory",
    "4000",
    "--disk",
    "8000",
  ];
  const workers: Proc[] = [];
  const gone: Proc[] = [];
  for (let i = 0; i < WORKERS; i++) workers.push(startWorker(wq.port, { args }));
  let kills = 0;
  let stop = false;
  const driver = (async () => {
    while (!stop) {
      await sleep(KILL_EVERY_MS);
      if (stop) break;
      const k = Math.floor(rand() * WORKERS);
      workers[k].killTree(); // as when its machine dies: the worker and its tasks
      gone.push(workers[k]);
      workers[k] = startWorker(wq.port, { args });
      kills++;
    }
  })();

  const started = performance.now();
  const seen = new Set<number>();
  let rerun = 0;
  let seconds = 0;
  let removalsSeen: Record<string, number> = {};
  try {
    let lastProgress = Date.now();
    while (seen.size < TASKS) {
      const t = await wq.wait(5);
      if (!t) {
        if (Date.now() - lastProgress > STALL_MS) {
          const s = wq.stats;
          assert.fail(
            `no task came back for ${STALL_MS} ms: ${seen.size} of ${TASKS} back, ` +
              `${s.tasksWaiting} waiting, ${s.tasksOnWorkers} on workers, ` +
              `${s.workersConnected} workers connected, ${kills} killed\n${recent.join("\n")}`,
          );
        }
        continue;
      }
      lastProgress = Date.now();
      assert.ok(!seen.has(t.id), `task ${t.id} came back twice`);
      seen.add(t.id);
      const i = byId.get(t.id);
      assert.ok(i !== undefined, `wait() returned task ${t.id}, which was never submitted`);
      assert.equal(
        t.result,
        WORK_QUEUE_RESULT_SUCCESS,
        `task ${t.id}: result ${t.result}, ${t.failure}`,
      );
      assert.equal(t.returnStatus, 0, `task ${t.id}: exit ${t.returnStatus}, ${t.output}`);
      const input = await Deno.readTextFile(`${inDir}/${i}.txt`);
      const out = await Deno.readTextFile(`${outDir}/${i}.txt`);
      assert.ok(out === expectedOutput(shared, input), `task ${t.id}: wrong output in ${i}.txt`);
      if (t.attempts > 0) rerun++;
    }
    seconds = (performance.now() - started) / 1000;
    removalsSeen = Object.fromEntries(removals); // before the last workers are stopped
  } finally {
    stop = true;
    await driver;
    for (const w of workers) w.killTree();
    await Promise.all([...workers, ...gone].map((w) => w.status));
  }

  // Nothing more comes back, and nothing was left half-written.
  assert.equal(await wq.wait(0), null);
  assert.ok(wq.empty());
  const stats = wq.stats;
  assert.equal(stats.tasksSubmitted, TASKS);
  assert.equal(stats.tasksDone, TASKS);
  const names: string[] = [];
  for await (const e of Deno.readDir(outDir)) names.push(e.name);
  const expectedNames = [...Array(TASKS).keys()].map((i) => `${i}.txt`);
  assert.deepEqual(names.sort(), expectedNames.sort(), "stray files in the output directory");

  const figures = {
    test: "chaos",
    tasks: TASKS,
    workers: WORKERS,
    killEveryMs: KILL_EVERY_MS,
    workersKilled: kills,
    tasksRerun: rerun,
    requeues: stats.tasksRequeued,
    dispatches: stats.tasksDispatched,
    workersJoined: stats.workersJoined,
    lost: TASKS - seen.size,
    seconds: Math.round(seconds * 10) / 10,
    seed,
    /** Why the manager dropped workers (a kill mid-transfer shows as a cut body). */
    removals: removalsSeen,
  };
  console.log(
    `chaos: ${TASKS} tasks, ${kills} workers killed, ${rerun} tasks re-run ` +
      `(${stats.tasksRequeued} re-queues), ${figures.lost} lost, ${figures.seconds} s (seed ${seed})`,
  );
  const out = Deno.env.get("WQ_RELIABILITY_OUT");
  if (out) await Deno.writeTextFile(out, JSON.stringify(figures) + "\n", { append: true });
  assert.ok(kills > 0, "the driver killed no worker");
});
