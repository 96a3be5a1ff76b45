/**
 * A Folding@work-style project: conditions × replicates, each a chain of
 * chunks of a toy protein-folding simulation, run as workunits on workers.
 *
 * The project file declares the conditions (temperatures), the replicates
 * per condition and the chunks per chain. Each workunit is one chunk: it
 * sends `fold.sh` (cached on the worker) and the chain's last checkpoint,
 * runs it, and brings the next checkpoint back; the chain's next workunit
 * starts from that. The queue's journal keeps the workunits in flight and a
 * state file keeps the project's progress, so that the master can be
 * stopped or killed and started again where it was. At the end it prints a
 * table like the paper's Table II and writes CSV files. See README.md here.
 *
 * ```sh
 * deno task workunits                                  # project.json, 2 local workers
 * deno task workunits --project my.json --dir run1 --workers 4
 * deno task workunits --workers 0 --port 9123 --name fold   # external workers
 * ```
 *
 * @module
 */

import { dirname } from "node:path";
import { Task, WORK_QUEUE_DEFAULT_PORT, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../../mod.ts";
import { type LocalWorker, reapLocalWorkers, startLocalWorker } from "../local_workers.ts";
import {
  type Chain,
  chainsOf,
  checkpointFields,
  checkpointPath,
  initialCheckpoint,
  loadProject,
  type Project,
  seedOf,
} from "./project.ts";
import { EXIT_CRASH, type Options, parseOptions, USAGE } from "./options.ts";
import { Progress } from "./report.ts";
import { report } from "./results.ts";
import { newState, type State, StateFile, type WorkunitRecord } from "./state.ts";

const HERE = new URL(".", import.meta.url).pathname;
/** The chunk program every workunit runs. */
const PROGRAM = `${HERE}fold.sh`;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A workunit on its way: which chunk of which chain, its attempt, and how often it failed in this run. */
interface Workunit {
  chain: Chain;
  chunk: number;
  /** Its attempt over all runs (0 for the first), part of its task's key. */
  attempt: number;
  failures: number;
}

/** Why a returned workunit is no good ("" if it is good), and its new checkpoint's fields. */
async function examine(
  t: Task,
  w: Workunit,
  dir: string,
): Promise<{ why: string; fields: Record<string, string> }> {
  if (t.result !== WORK_QUEUE_RESULT_SUCCESS) {
    return { why: `result ${t.result}${t.failure ? ` (${t.failure})` : ""}`, fields: {} };
  }
  if (t.returnStatus !== 0) return { why: `exit status ${t.returnStatus}`, fields: {} };
  const ckpt = checkpointPath(dir, w.chain, w.chunk);
  const fields = checkpointFields(await Deno.readTextFile(ckpt).catch(() => ""));
  const good = fields.chain === w.chain.id && Number(fields.chunk) === w.chunk;
  return { why: good ? "" : `checkpoint ${ckpt} is not chunk ${w.chunk} of ${w.chain.id}`, fields };
}

/** The record of a good workunit. */
function recordOf(
  t: Task,
  w: Workunit,
  run: number,
  fields: Record<string, string>,
): WorkunitRecord {
  return {
    chain: w.chain.id,
    chunk: w.chunk,
    run,
    taskId: t.id,
    worker: t.host ?? "?",
    hostname: t.hostname ?? "?",
    execSeconds: (t.executionTime ?? 0) / 1e6,
    turnaroundSeconds: ((t.finishTime ?? 0) - (t.submitTime ?? 0)) / 1000,
    attempts: t.attempts,
    energy: Number(fields.energy),
    finished: new Date().toISOString(),
  };
}

/**
 * The workunit a completed task is, from its key (`CHAIN/CHUNK/ATTEMPT`), or
 * `undefined` if it was dealt with already: a chunk done, or an earlier
 * attempt. (A task handed over just before a crash comes back after the
 * restart, since its delivery was not recorded yet: docs/journal.md.)
 */
function workunitOf(
  t: Task,
  chains: Map<string, Chain>,
  st: State,
  failures: Map<string, number>,
): Workunit | undefined {
  const [id, chunkText, attemptText] = (t.key ?? "").split("/");
  const chain = chains.get(id);
  const chunk = Number(chunkText);
  const attempt = Number(attemptText);
  if (!chain || chunk !== st.done[id] + 1 || attempt < (st.tries[id] ?? 0)) return undefined;
  return { chain, chunk, attempt, failures: failures.get(`${id}/${chunk}`) ?? 0 };
}

async function removeIfThere(path: string): Promise<void> {
  await Deno.remove(path).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

/** Runs the project until every chain is done; returns the exit status. */
async function run(opts: Options, project: Project): Promise<number> {
  const dir = opts.dir ?? `${project.name}.run`;
  const stateFile = new StateFile(opts.state ?? `${dir}/state.json`);
  const chains = chainsOf(project);
  const total = chains.length * project.chunks;

  let state: State | null = await stateFile.load(project);
  const resumed = state !== null;
  if (!state) {
    state = newState(project, chains.map((c) => c.id));
    await Deno.mkdir(dirname(stateFile.path), { recursive: true });
    for (const c of chains) {
      await Deno.mkdir(`${dir}/chains/${c.id}`, { recursive: true });
      await Deno.writeTextFile(checkpointPath(dir, c, 0), initialCheckpoint(c, project.beads));
    }
  }
  state.runs++;
  await stateFile.save(state);
  const st = state;
  const doneCount = () => Object.values(st.done).reduce((a, b) => a + b, 0);
  const already = doneCount();
  const pending = chains.filter((c) => st.done[c.id] < project.chunks);

  console.log(
    `project ${project.name}: ${project.conditions.length} conditions x ${project.replicates} replicates x ${project.chunks} chunks = ${total} workunits`,
  );
  console.log(`state in ${stateFile.path}; checkpoints in ${dir}/chains`);
  if (resumed) {
    console.log(
      `resuming (run ${st.runs}): ${already} of ${total} workunits already done; ${pending.length} chains to continue`,
    );
  }

  const failedChains: string[] = [];
  const workers: LocalWorker[] = [];
  if (pending.length > 0) {
    const local = opts.workers > 0;
    // The queue's journal keeps the workunits in flight across a crash: one
    // that completed is not run again. A fresh start begins a fresh journal.
    const journal = `${dirname(stateFile.path)}/journal.wqj`;
    if (!resumed) await removeIfThere(journal);
    await using wq = new WorkQueue({
      port: opts.port ?? (local ? 0 : WORK_QUEUE_DEFAULT_PORT),
      hostname: opts.hostname ?? (local ? "127.0.0.1" : "0.0.0.0"),
      name: opts.name,
      catalog: opts.catalog,
      journal,
    });
    console.log(`manager listening on port ${wq.port}`);
    if (local) {
      for (let i = 1; i <= opts.workers; i++) {
        const workdir = `${dir}/workers/run${st.runs}-w${i}`;
        await Deno.mkdir(workdir, { recursive: true });
        workers.push(startLocalWorker(wq.port, { workdir, cores: 1 }));
      }
      console.log(`started ${opts.workers} local workers`);
    } else {
      console.log(`waiting for workers: worker/main.ts HOST ${wq.port} (or work_queue_worker)`);
    }

    const byId = new Map(chains.map((c) => [c.id, c]));
    const failures = new Map<string, number>();
    const submit = (w: Workunit) => {
      const c = w.chain;
      const t = new Task(
        `sh fold.sh in.ckpt out.ckpt ${
          seedOf(c, w.chunk)
        } ${c.condition.temperature} ${project.steps}`,
      )
        .specifyInputFile(PROGRAM, "fold.sh", { cache: true })
        .specifyInputFile(checkpointPath(dir, c, w.chunk - 1), "in.ckpt", { cache: false })
        .specifyOutputFile(checkpointPath(dir, c, w.chunk), "out.ckpt")
        .specifyCores(1)
        .specifyTag(`${c.id}/${w.chunk}`);
      // A key the journal knows (the workunit was in flight when the last
      // run died) queues nothing: the journal's task comes back instead.
      t.key = `${c.id}/${w.chunk}/${w.attempt}`;
      wq.submit(t);
    };
    // The chunk each unfinished chain was at (in flight, if the last run died) goes first.
    for (const c of pending) {
      submit({ chain: c, chunk: st.done[c.id] + 1, attempt: st.tries[c.id] ?? 0, failures: 0 });
    }

    const dispatchedBefore = st.dispatched;
    const progress = new Progress(total, opts.progressEvery * 1000);
    let received = 0;
    progress.update(doneCount(), 0, 0, true);
    while (!wq.empty()) {
      const t = await wq.wait(1);
      const s = wq.stats;
      progress.update(doneCount(), s.tasksRunning, s.workersConnected);
      if (workers.length > 0 && workers.every((w) => w.exited)) {
        throw new Error(
          `Cannot run the workunits: every local worker exited; the first said:\n${
            workers[0].output()
          }`,
        );
      }
      if (!t) continue;
      const w = workunitOf(t, byId, st, failures);
      if (!w) {
        // Handed over just before the last run died, and dealt with then.
        console.error(`workunit ${t.key} came back after a restart; it was dealt with already`);
        continue;
      }
      const { why, fields } = await examine(t, w, dir);
      st.dispatched = dispatchedBefore + wq.stats.tasksDispatched;
      if (why) {
        st.failures++;
        w.failures++;
        failures.set(`${w.chain.id}/${w.chunk}`, w.failures);
        st.tries[w.chain.id] = ++w.attempt;
        console.error(
          `workunit ${w.chain.id} chunk ${w.chunk} failed (${w.failures} of ${opts.maxFailures}): ${why}; output: ${t.output.trim()}`,
        );
        if (w.failures < opts.maxFailures) submit(w);
        else failedChains.push(w.chain.id);
        await stateFile.save(st);
        continue;
      }
      st.done[w.chain.id] = w.chunk;
      st.tries[w.chain.id] = 0;
      st.records.push(recordOf(t, w, st.runs, fields));
      await stateFile.save(st);
      received++;
      if (opts.killAfter !== undefined && received >= opts.killAfter) {
        console.error(`--kill-after ${opts.killAfter}: exiting abruptly with status ${EXIT_CRASH}`);
        Deno.exit(EXIT_CRASH);
      }
      if (w.chunk < project.chunks) {
        submit({ chain: w.chain, chunk: w.chunk + 1, attempt: 0, failures: 0 });
      }
    }
    const s = wq.stats;
    progress.update(doneCount(), s.tasksRunning, s.workersConnected, true);
    progress.finish();
    wq.shutdownWorkers(0);
  }
  // The manager is closed here (await using), so single-shot workers leave.
  if (!(await reapLocalWorkers(workers, "workunits"))) return 1;
  await Deno.remove(`${dir}/workers`, { recursive: true }).catch(() => {});
  return await report(dir, st, chains, failedChains);
}

async function main(): Promise<number> {
  let opts: Options | null;
  let project: Project;
  try {
    opts = parseOptions(Deno.args);
    if (!opts) {
      console.log(USAGE);
      return 0;
    }
    project = await loadProject(opts.project);
  } catch (e) {
    console.error(`workunits: ${errorText(e)}\n${USAGE}`);
    return 2;
  }
  try {
    return await run(opts, project);
  } catch (e) {
    console.error(`workunits: ${errorText(e)}`);
    return 1;
  }
}

Deno.exit(await main());
