import assert from "node:assert/strict";
import {
  WORK_QUEUE_SCHEDULE_FCFS,
  WORK_QUEUE_SCHEDULE_FILES,
  WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS,
  WORK_QUEUE_SCHEDULE_RAND,
  WORK_QUEUE_SCHEDULE_TIME,
  WORK_QUEUE_SCHEDULE_UNSET,
  WORK_QUEUE_SCHEDULE_WORST,
} from "../constants.ts";
import { Task } from "../task.ts";
import {
  type Candidate,
  type ChooserContext,
  chooseWorker,
  isKnownAlgorithm,
} from "./choose_worker.ts";
import { noResources } from "../resources.ts";
import { WorkerInfo } from "./worker_info.ts";

/** A ready candidate with 4 cores, 1000 MB memory and disk, nothing in use. */
function cand(id: number, ip = `10.0.0.${id}`): Candidate {
  const w = new WorkerInfo(id, `${ip}:${9000 + id}`);
  w.pending.clear();
  w.hostname = `node${id}`;
  w.total = { cores: 4, memory: 1000, disk: 1000, gpus: 0 };
  return { w, inUse: noResources(), busy: false, full: false };
}

function ctx(over: Partial<ChooserContext> = {}): ChooserContext {
  return {
    random: () => {
      throw new Error("random() should not be called");
    },
    localityKeys: () => [],
    ...over,
  };
}

/** Which candidate (by worker id) `algorithm` picks. */
function pick(algorithm: number, cands: Candidate[], task = new Task("x"), c = ctx()): number {
  return chooseWorker(algorithm, task, cands, c).w.id;
}

Deno.test("chooseWorker() with FCFS, UNSET or an unknown value takes the first candidate", () => {
  const cs = [cand(1), cand(2), cand(3)];
  // History, caches and free room are not looked at.
  cs[1].w.turnaroundSum = cs[1].w.turnaroundCount = 1;
  cs[1].w.total.cores = 64;
  cs[2].w.cachedKeys.set("f:/a", 100);
  for (const alg of [WORK_QUEUE_SCHEDULE_FCFS, WORK_QUEUE_SCHEDULE_UNSET, 99]) {
    assert.equal(pick(alg, cs), 1);
  }
  assert.equal(pick(WORK_QUEUE_SCHEDULE_FCFS, [cand(7)]), 7);
});

Deno.test("chooseWorker() with FILES takes the most cached bytes of the task's inputs", () => {
  const cs = [cand(1), cand(2), cand(3)];
  cs[0].w.cachedKeys.set("f:/small", 10);
  cs[1].w.cachedKeys.set("f:/big", 1000);
  cs[2].w.cachedKeys.set("f:/small", 10).set("f:/other", 995);
  const files = (keys: string[]) =>
    pick(WORK_QUEUE_SCHEDULE_FILES, cs, new Task("x"), ctx({ localityKeys: () => keys }));
  assert.equal(files(["f:/big"]), 2);
  assert.equal(files(["f:/small"]), 1, "a tie goes to the first");
  // Bytes of several inputs add up: 10 + 995 beats 1000.
  assert.equal(files(["f:/small", "f:/big", "f:/other"]), 3);
  // Keys no worker caches, or no cacheable inputs: the first.
  assert.equal(files(["b:0123"]), 1);
  assert.equal(files([]), 1);
});

Deno.test("chooseWorker() with FILES passes the task to localityKeys", () => {
  const cs = [cand(1), cand(2)];
  cs[1].w.cachedKeys.set("f:/mine", 5);
  const mine = new Task("mine");
  const seen: Task[] = [];
  const c = ctx({
    localityKeys: (t) => {
      seen.push(t);
      return t === mine ? ["f:/mine"] : [];
    },
  });
  assert.equal(pick(WORK_QUEUE_SCHEDULE_FILES, cs, mine, c), 2);
  assert.equal(pick(WORK_QUEUE_SCHEDULE_FILES, cs, new Task("other"), c), 1);
  assert.equal(seen[0], mine);
});

Deno.test("chooseWorker() with TIME takes the fastest average turnaround among workers with history", () => {
  const cs = [cand(1), cand(2), cand(3)];
  const history = (c: Candidate, ...ms: number[]) => {
    c.w.turnaroundSum = ms.reduce((a, b) => a + b, 0);
    c.w.turnaroundCount = ms.length;
  };
  // Without any history: the first.
  assert.equal(pick(WORK_QUEUE_SCHEDULE_TIME, cs), 1);
  // Only worker 3 has history: it wins over the first, which has none.
  history(cs[2], 500);
  assert.equal(pick(WORK_QUEUE_SCHEDULE_TIME, cs), 3);
  // The average counts, not the sum: 2 tasks of 100 ms beat 1 of 500.
  history(cs[1], 100, 100);
  assert.equal(pick(WORK_QUEUE_SCHEDULE_TIME, cs), 2);
  // Equal averages: the earlier one.
  history(cs[0], 50, 150);
  assert.equal(pick(WORK_QUEUE_SCHEDULE_TIME, cs), 1);
});

Deno.test("chooseWorker() with RAND maps random() in [0, 1) onto the candidates", () => {
  const cs = [cand(1), cand(2), cand(3), cand(4)];
  const rand = (r: number) =>
    pick(WORK_QUEUE_SCHEDULE_RAND, cs, new Task("x"), ctx({ random: () => r }));
  assert.equal(rand(0), 1);
  assert.equal(rand(0.25), 2);
  assert.equal(rand(0.74), 3);
  assert.equal(rand(0.999999), 4);
  // A random source that returns 1 still picks a candidate.
  assert.equal(rand(1), 4);
  // Every candidate is reachable with Math.random.
  const seen = new Set<number>();
  for (let i = 0; i < 400; i++) {
    seen.add(pick(WORK_QUEUE_SCHEDULE_RAND, cs, new Task("x"), ctx({ random: Math.random })));
  }
  assert.deepEqual([...seen].sort(), [1, 2, 3, 4]);
});

Deno.test("chooseWorker() with WORST takes the most free cores, then memory, then disk", () => {
  const a = cand(1), b = cand(2), c = cand(3);
  // All equal: the first.
  assert.equal(pick(WORK_QUEUE_SCHEDULE_WORST, [a, b, c]), 1);
  // More total cores.
  c.w.total.cores = 8;
  assert.equal(pick(WORK_QUEUE_SCHEDULE_WORST, [a, b, c]), 3);
  // Tentative use in this pass counts: 8 - 6 = 2 free on c.
  c.inUse.cores = 6;
  assert.equal(pick(WORK_QUEUE_SCHEDULE_WORST, [a, b, c]), 1);
  // Same free cores: more free memory wins, even with less free disk.
  b.inUse.disk = 900;
  b.w.total.memory = 2000;
  assert.equal(pick(WORK_QUEUE_SCHEDULE_WORST, [a, b, c]), 2);
  // Same free cores and memory: more free disk wins (b has 100 free, a 50).
  b.w.total.memory = 1000;
  assert.equal(pick(WORK_QUEUE_SCHEDULE_WORST, [a, b, c]), 1);
  a.inUse.disk = 950;
  assert.equal(pick(WORK_QUEUE_SCHEDULE_WORST, [a, b, c]), 2);
});

Deno.test("chooseWorker() with PREFERRED_HOSTS takes a worker by host name or IP, else the first", () => {
  const cs = [cand(1, "10.0.0.1"), cand(2, "10.0.0.2"), cand(3, "10.0.0.3")];
  const prefer = (hosts: string[]) =>
    pick(WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS, cs, new Task("x").specifyPreferredHosts(hosts));
  assert.equal(prefer(["node2"]), 2);
  assert.equal(prefer(["10.0.0.3"]), 3);
  // Several matches: the earliest candidate, whatever the list's order.
  assert.equal(prefer(["node3", "node2"]), 2);
  // Unknown hosts or no preference: the first.
  assert.equal(prefer(["nodez"]), 1);
  assert.equal(prefer([]), 1);
  // The port is not part of the IP.
  assert.equal(prefer(["9002"]), 1);
});

Deno.test("isKnownAlgorithm() accepts FCFS through PREFERRED_HOSTS and nothing else", () => {
  for (
    const a of [
      WORK_QUEUE_SCHEDULE_FCFS,
      WORK_QUEUE_SCHEDULE_FILES,
      WORK_QUEUE_SCHEDULE_TIME,
      WORK_QUEUE_SCHEDULE_RAND,
      WORK_QUEUE_SCHEDULE_WORST,
      WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS,
    ]
  ) {
    assert.ok(isKnownAlgorithm(a), String(a));
  }
  for (const a of [WORK_QUEUE_SCHEDULE_UNSET, -1, 7, 99, 1.5, NaN, Infinity]) {
    assert.ok(!isKnownAlgorithm(a), String(a));
  }
});
