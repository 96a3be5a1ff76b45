// Crash and restart with a journal (docs/journal.md), with real processes:
// an application (tests/fixtures/journal_app.ts) runs 2,000 tasks with an
// input and an output file each on a fixed port, and is SIGKILLed at random
// moments five times, each time started again from the top. Our workers and
// CCTools' work_queue_worker, started once, rejoin each new manager by
// themselves. Then: every task was delivered at least once, and twice only
// in the documented window (handed over, its delivery not yet recorded);
// every output is right; and no task whose completion the journal held at a
// crash ran again. JOURNAL_CRASH_TASKS=N runs N tasks instead (for a
// quicker look; the kills come after TASKS/20 to TASKS/8 deliveries each),
// and JOURNAL_CRASH_ECHO=1 prints what each manager says.

import assert from "node:assert/strict";
import { parseJournal } from "../lib/manager/journal/format.ts";
import { replay } from "../lib/manager/journal/records.ts";
import { type Proc, ROOT, spawn, startWorker, tempDir, until } from "./_harness.ts";

const TASKS = Number(Deno.env.get("JOURNAL_CRASH_TASKS") ?? 2000);
const KILLS = 5;
const CORES = 2;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function lines(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l !== "");
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** What the journal held when the manager died: tasks completed or delivered, by key. */
function durable(journal: string): { completed: Set<string>; delivered: Set<string> } {
  const s = replay(parseJournal(Deno.readFileSync(journal), journal).records);
  const completed = new Set<string>();
  const delivered = new Set<string>();
  const liveIds = new Map([...s.live.values()].map((t) => [t.id, t]));
  for (const [key, id] of s.keys) {
    const t = liveIds.get(id);
    if (!t) {
      delivered.add(key);
      completed.add(key);
    } else if (t.completed) completed.add(key);
  }
  return { completed, delivered };
}

function random(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

Deno.test({
  name:
    `a ${TASKS}-task run whose manager is SIGKILLed ${KILLS} times delivers every task, runs none twice that had completed, and both kinds of worker rejoin`,
  async fn() {
    await using dir = await tempDir();
    const d = dir.path;
    await Deno.mkdir(`${d}/in`);
    await Deno.mkdir(`${d}/out`);
    for (let i = 0; i < TASKS; i++) {
      const text = `task ${i}: ${"abcdefghij".repeat(50 + (i % 50))}\n`;
      await Deno.writeTextFile(`${d}/in/${i}.txt`, text);
    }
    const port = freePort();
    const runsLog = `${d}/runs.log`;
    const deliveredLog = `${d}/delivered.log`;
    const start = (gen: number): Proc =>
      spawn([
        Deno.execPath(),
        "run",
        "-A",
        `${ROOT}/tests/fixtures/journal_app.ts`,
        d,
        String(port),
        String(TASKS),
        String(gen),
      ], {
        limitMs: 600_000,
        echo: Deno.env.get("JOURNAL_CRASH_ECHO") === "1",
      });
    const kinds = { ours: `${d}/w-ours`, cctools: `${d}/w-cctools` };
    for (const w of Object.values(kinds)) await Deno.mkdir(w);
    /** Runs so far by the workers of each kind (their sandboxes are under their workdirs). */
    const runsBy = () => {
      const all = lines(runsLog);
      return {
        ours: all.filter((l) => l.includes(kinds.ours)).length,
        cctools: all.filter((l) => l.includes(kinds.cctools)).length,
      };
    };

    let app = start(1);
    await until(() => app.log().includes("listening on port"), "the first manager to listen");
    const common = ["--cores", String(CORES), "-t", "600"];
    await using _ours = startWorker(port, {
      args: [...common, "-s", kinds.ours, "--min-backoff", "0.2", "--max-backoff", "1"],
      limitMs: 600_000,
    });
    await using _cctools = startWorker(port, {
      cctools: true,
      args: [...common, "-s", kinds.cctools, "-i", "1", "-b", "1"],
      limitMs: 600_000,
      env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: String(freePort()) },
    });

    const kills: {
      gen: number;
      completed: Set<string>;
      delivered: Set<string>;
      runs: Map<string, number>;
    }[] = [];
    try {
      for (let gen = 1; gen <= KILLS; gen++) {
        // A random moment: after a random number of further deliveries, then a random pause.
        const target = lines(deliveredLog).length + random(TASKS / 20, TASKS / 8);
        const before = runsBy();
        // Both kinds of worker run tasks for this manager (more than the tasks
        // a worker could have had running when the last one died).
        const rejoined = () => {
          const now = runsBy();
          return now.ours > before.ours + CORES && now.cctools > before.cctools + CORES;
        };
        await until(
          () => lines(deliveredLog).length >= target && rejoined(),
          `generation ${gen} to deliver up to ${target}, on both kinds of worker`,
          300_000,
        ).catch((e) => {
          const now = runsBy();
          throw new Error(
            `${e.message}: ${lines(deliveredLog).length} delivered; runs ${
              JSON.stringify(before)
            } -> ${JSON.stringify(now)}; the manager said:\n${app.log()}`,
          );
        });
        await new Promise((r) => setTimeout(r, random(0, 40)));
        app.kill("SIGKILL");
        const status = await app.status;
        assert.equal(
          status.signal,
          "SIGKILL",
          `generation ${gen} was killed, not ended:\n${app.log()}`,
        );
        const held = durable(`${d}/run.wqj`);
        const runs = new Map<string, number>();
        for (const l of lines(runsLog)) {
          const key = l.split(" ")[0];
          runs.set(key, (runs.get(key) ?? 0) + 1);
        }
        kills.push({ gen, ...held, runs });
        await app[Symbol.asyncDispose](); // its temporary directory too
        app = start(gen + 1);
      }
      const last = await app.status;
      assert.equal(last.code, 0, `the last generation failed:\n${app.log()}`);
      assert.match(app.log(), /all done/);
    } finally {
      await app[Symbol.asyncDispose]();
    }

    // Every task delivered at least once, its output right.
    const deliveries = new Map<string, number[]>();
    for (const l of lines(deliveredLog)) {
      const [gen, key, verdict] = l.split(" ");
      assert.equal(verdict, "ok", `delivery '${l}'`);
      deliveries.set(key, [...(deliveries.get(key) ?? []), Number(gen)]);
    }
    for (let i = 0; i < TASKS; i++) {
      assert.ok(deliveries.has(`t${i}`), `t${i} was delivered`);
      const want = (await Deno.readTextFile(`${d}/in/${i}.txt`)).toUpperCase();
      assert.equal(await Deno.readTextFile(`${d}/out/${i}.txt`), want, `output of t${i}`);
    }
    // Twice only in the window: handed over in a generation that was killed
    // before the journal recorded the delivery.
    let twice = 0;
    for (const [key, gens] of deliveries) {
      for (let k = 0; k + 1 < gens.length; k++) {
        twice++;
        const kill = kills.find((x) => x.gen === gens[k]);
        assert.ok(kill, `${key} delivered again after generation ${gens[k]}, which was not killed`);
        assert.ok(
          !kill.delivered.has(key),
          `${key} delivered again though the journal held its delivery`,
        );
      }
    }
    // No task whose completion the journal held at a crash ran again.
    const finalRuns = new Map<string, number>();
    for (const l of lines(runsLog)) {
      const key = l.split(" ")[0];
      finalRuns.set(key, (finalRuns.get(key) ?? 0) + 1);
    }
    let held = 0;
    for (const k of kills) {
      for (const key of k.completed) {
        held++;
        assert.equal(finalRuns.get(key), k.runs.get(key), `${key} ran again after kill ${k.gen}`);
      }
    }
    console.log(
      `${kills.length} kills; ${twice} deliveries in the window; ${held} completions held at kills; ${
        lines(runsLog).length
      } runs for ${TASKS} tasks`,
    );
  },
});
