// Each scheduling algorithm chooses among two real workers that differ in
// what it looks at (cached files, speed, cores, host name), with FCFS in the
// same setup as the control; blocked hosts get no tasks. Every scenario runs
// with our worker and with CCTools' `work_queue_worker`.
//
// The queue keeps workers in connection order, so worker 1 is started and
// seen connected before worker 2 starts: FCFS then always picks worker 1.
// Each worker runs with WHO=w1 or WHO=w2 in its environment, which its tasks
// inherit, so a task's output names the worker that ran it.

import assert from "node:assert/strict";
import {
  Task,
  WORK_QUEUE_RESULT_SUCCESS,
  WORK_QUEUE_SCHEDULE_FCFS,
  WORK_QUEUE_SCHEDULE_FILES,
  WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS,
  WORK_QUEUE_SCHEDULE_RAND,
  WORK_QUEUE_SCHEDULE_TIME,
  WORK_QUEUE_SCHEDULE_WORST,
  WorkQueue,
} from "../mod.ts";
import { ManualClock } from "../lib/clock.ts";
import { exists, type Proc, startWorker, tempDir, until } from "./_harness.ts";

const KINDS = [{ name: "ours", cctools: false }, { name: "cctools", cctools: true }];

/** How one of the two workers differs. */
interface WorkerSpec {
  cores?: number;
  hostname?: string;
  env?: Record<string, string>;
}

/** Two workers connected in order (worker 1 first), with their sandboxes. */
interface Pair extends AsyncDisposable {
  w1: Proc;
  w2: Proc;
  /** A scratch directory for inputs and markers. */
  dir: string;
  /** Tells both (idle) workers to exit and waits for them. */
  finish(): Promise<void>;
}

async function startPair(
  wq: WorkQueue,
  cctools: boolean,
  one: WorkerSpec = {},
  two: WorkerSpec = {},
): Promise<Pair> {
  const scratch = await tempDir("wq-sched-");
  const dir = scratch.path;
  const start = async (who: string, spec: WorkerSpec) => {
    await Deno.mkdir(`${dir}/${who}`);
    return startWorker(wq.port, {
      cctools,
      hostname: spec.hostname,
      env: { WHO: who, ...spec.env },
      args: [
        "--single-shot",
        "-t",
        "60",
        "-s",
        `${dir}/${who}`,
        "--cores",
        String(spec.cores ?? 1),
        "--memory",
        "1000",
        "--disk",
        "1000",
      ],
    });
  };
  const w1 = await start("w1", one);
  await until(() => wq.stats.workersConnected === 1, `worker 1 to connect:\n${w1.log()}`);
  const w2 = await start("w2", two);
  await until(() => wq.stats.workersConnected === 2, `worker 2 to connect:\n${w2.log()}`);
  return {
    w1,
    w2,
    dir,
    async finish() {
      assert.equal(wq.shutdownWorkers(0), 2);
      assert.equal((await w1.status).code, 0, w1.log());
      assert.equal((await w2.status).code, 0, w2.log());
    },
    async [Symbol.asyncDispose]() {
      await w1[Symbol.asyncDispose]();
      await w2[Symbol.asyncDispose]();
      await scratch[Symbol.asyncDispose]();
    },
  };
}

/** A task that prints the name of the worker that runs it. */
function whoTask(algorithm?: number): Task {
  const t = new Task('echo "$WHO"');
  if (algorithm !== undefined) t.algorithm = algorithm;
  return t;
}

/**
 * Tracks which worker ran each task: by the WHO its output names, checked
 * against `task.host` (each worker keeps one `ip:port`).
 */
class Ledger {
  readonly #hostOf = new Map<string, string>();

  /** Waits for `task` to come back successfully and returns its worker ("w1"/"w2"). */
  async run(wq: WorkQueue, task: Task): Promise<string> {
    wq.submit(task);
    return this.check(await wq.wait(20), task);
  }

  /** Checks a returned task and returns its worker. */
  check(got: Task | null, task?: Task): string {
    assert.ok(got, "timed out waiting for a task");
    if (task) assert.equal(got, task);
    assert.equal(got.result, WORK_QUEUE_RESULT_SUCCESS, got.failure ?? undefined);
    assert.equal(got.returnStatus, 0, got.output);
    const who = got.output.trim().split("\n").at(-1)!;
    assert.match(who, /^w[12]$/, `task ${got.id} printed '${got.output}'`);
    assert.ok(got.host, "task.host is set");
    const host = this.#hostOf.get(who);
    if (host === undefined) {
      assert.ok(![...this.#hostOf.values()].includes(got.host), `${got.host} is one worker`);
      this.#hostOf.set(who, got.host);
    } else {
      assert.equal(got.host, host, `${who} keeps its address`);
    }
    return who;
  }
}

/** Waits for `n` tasks and returns them. */
async function waitN(wq: WorkQueue, n: number): Promise<Task[]> {
  const out: Task[] = [];
  while (out.length < n) {
    const t = await wq.wait(20);
    assert.ok(t, `timed out with ${out.length} of ${n} tasks back`);
    out.push(t);
  }
  return out;
}

Deno.test("specifyAlgorithm() refuses a value that names no algorithm", async () => {
  await using wq = new WorkQueue({ port: 0 });
  assert.throws(() => wq.specifyAlgorithm(99), RangeError);
  assert.throws(() => wq.specifyAlgorithm(0), RangeError);
  assert.throws(() => wq.specifyAlgorithm(2.5), RangeError);
  wq.specifyAlgorithm(WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS);
  wq.specifyAlgorithm(WORK_QUEUE_SCHEDULE_FCFS);
});

for (const kind of KINDS) {
  Deno.test(`FILES sends a task to the worker that caches its input; FCFS does not (${kind.name})`, async () => {
    await using wq = new WorkQueue({ port: 0 });
    await using pair = await startPair(wq, kind.cctools);
    const d = pair.dir;
    const ledger = new Ledger();
    await Deno.writeFile(`${d}/data.bin`, new Uint8Array(1 << 20).map((_, i) => i % 251));

    // Worker 1 is held by a task; the one with data.bin goes to worker 2,
    // which caches it.
    const hold = new Task(
      `touch ${d}/held; while [ ! -e ${d}/release ]; do sleep 0.05; done; echo "$WHO"`,
    );
    wq.submit(hold);
    await until(() => exists(`${d}/held`), "the holding task to start");
    const withData = (algorithm?: number) =>
      whoTask(algorithm).specifyInputFile(`${d}/data.bin`, "data.bin");
    const seed = withData();
    assert.equal(await ledger.run(wq, seed), "w2");
    await Deno.writeTextFile(`${d}/release`, "");
    assert.equal(ledger.check(await wq.wait(20), hold), "w1");
    assert.equal(wq.stats.workersIdle, 2);

    // Both idle: FILES goes where data.bin is, without sending it again.
    const sent = wq.stats.bytesSent;
    assert.equal(await ledger.run(wq, withData(WORK_QUEUE_SCHEDULE_FILES)), "w2");
    assert.ok(wq.stats.bytesSent - sent < 1 << 19, "data.bin was not sent again");
    // FILES without cached inputs falls back to the first worker.
    assert.equal(await ledger.run(wq, whoTask(WORK_QUEUE_SCHEDULE_FILES)), "w1");
    // Control: FCFS takes the first worker even for a task with data.bin.
    assert.equal(await ledger.run(wq, withData(WORK_QUEUE_SCHEDULE_FCFS)), "w1");
    await pair.finish();
  });

  // The manager times tasks on a manual clock: worker 1's first task holds
  // until the test has moved that clock by 1 s, so worker 1 is the slow one.
  Deno.test(`TIME sends a task to the faster worker; FCFS to the first (${kind.name})`, async () => {
    const clock = new ManualClock();
    await using wq = new WorkQueue({ port: 0, clock });
    await using pair = await startPair(wq, kind.cctools, { env: { SLOW: "1" } });
    const ledger = new Ledger();
    const gate = `${pair.dir}/gate`;
    const timed = (algorithm: number) => {
      const t = new Task(
        `if [ -n "$SLOW" ]; then while [ ! -e ${gate} ]; do sleep 0.05; done; fi; echo "$WHO"`,
      );
      t.algorithm = algorithm;
      return t;
    };
    // History: two whole-worker tasks at once, one on each; worker 2's comes back at once.
    wq.submit(timed(WORK_QUEUE_SCHEDULE_FCFS));
    wq.submit(timed(WORK_QUEUE_SCHEDULE_FCFS));
    assert.equal(ledger.check(await wq.wait(20)), "w2");
    clock.advance(1000);
    await Deno.writeTextFile(gate, "");
    assert.equal(ledger.check(await wq.wait(20)), "w1");

    assert.equal(await ledger.run(wq, timed(WORK_QUEUE_SCHEDULE_TIME)), "w2");
    assert.equal(await ledger.run(wq, timed(WORK_QUEUE_SCHEDULE_FCFS)), "w1");
    await pair.finish();
  });

  Deno.test(`RAND set on the queue spreads sequential tasks over both workers; FCFS uses the first (${kind.name})`, async () => {
    await using wq = new WorkQueue({ port: 0 });
    await using pair = await startPair(wq, kind.cctools);
    const ledger = new Ledger();
    wq.specifyAlgorithm(WORK_QUEUE_SCHEDULE_RAND);
    const count = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const who = await ledger.run(wq, whoTask());
      count.set(who, (count.get(who) ?? 0) + 1);
    }
    // Both are used (all 40 on one worker has probability 2^-39).
    assert.ok((count.get("w1") ?? 0) > 0 && (count.get("w2") ?? 0) > 0, JSON.stringify([...count]));

    wq.specifyAlgorithm(WORK_QUEUE_SCHEDULE_FCFS);
    for (let i = 0; i < 10; i++) assert.equal(await ledger.run(wq, whoTask()), "w1");
    await pair.finish();
  });

  Deno.test(`WORST set on the queue picks the worker with more free cores; a task's FCFS overrides it (${kind.name})`, async () => {
    await using wq = new WorkQueue({ port: 0 });
    await using pair = await startPair(wq, kind.cctools, { cores: 1 }, { cores: 4 });
    const ledger = new Ledger();
    wq.specifyAlgorithm(WORK_QUEUE_SCHEDULE_WORST);
    assert.equal(await ledger.run(wq, whoTask().specifyCores(1)), "w2");
    // The task's own algorithm beats the queue's.
    assert.equal(
      await ledger.run(wq, whoTask(WORK_QUEUE_SCHEDULE_FCFS).specifyCores(1)),
      "w1",
    );
    await pair.finish();
  });

  Deno.test(`PREFERRED_HOSTS on a task picks its host, else the first worker (${kind.name})`, async () => {
    await using wq = new WorkQueue({ port: 0 });
    await using pair = await startPair(
      wq,
      kind.cctools,
      { hostname: "nodea" },
      { hostname: "nodeb" },
    );
    const ledger = new Ledger();
    const prefer = (hosts: string[], algorithm = WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS) =>
      whoTask(algorithm).specifyPreferredHosts(hosts);

    let t = prefer(["nodeb"]);
    assert.equal(await ledger.run(wq, t), "w2");
    assert.equal(t.hostname, "nodeb");
    t = prefer(["nodez", "nodea"]);
    assert.equal(await ledger.run(wq, t), "w1");
    assert.equal(t.hostname, "nodea");
    // A host that is not connected: the first worker.
    t = prefer(["nodez"]);
    assert.equal(await ledger.run(wq, t), "w1");
    assert.equal(t.hostname, "nodea");
    // Control: FCFS ignores the preference.
    t = prefer(["nodeb"], WORK_QUEUE_SCHEDULE_FCFS);
    assert.equal(await ledger.run(wq, t), "w1");
    assert.equal(t.hostname, "nodea");
    await pair.finish();
  });

  Deno.test(`blockHost keeps tasks off a host until unblockHost (${kind.name})`, async () => {
    await using wq = new WorkQueue({ port: 0 });
    await using pair = await startPair(
      wq,
      kind.cctools,
      { hostname: "nodea" },
      { hostname: "nodeb" },
    );
    const ledger = new Ledger();
    wq.blockHost("nodea");
    assert.deepEqual(wq.stats.hostsBlocked, ["nodea"]);
    // Three whole-worker tasks at once: they wait their turn on nodeb.
    for (let i = 0; i < 3; i++) wq.submit(whoTask());
    for (const t of await waitN(wq, 3)) {
      assert.equal(ledger.check(t), "w2");
      assert.equal(t.hostname, "nodeb");
    }

    assert.equal(wq.unblockHost("nodea"), true);
    assert.equal(wq.unblockHost("nodea"), false);
    assert.deepEqual(wq.stats.hostsBlocked, []);
    // Two whole-worker tasks at once: one on each host.
    wq.submit(whoTask());
    wq.submit(whoTask());
    const hosts = (await waitN(wq, 2)).map((t) => (ledger.check(t), t.hostname)).sort();
    assert.deepEqual(hosts, ["nodea", "nodeb"]);
    await pair.finish();
  });
}
