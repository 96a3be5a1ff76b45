/**
 * A queue's journal (`new WorkQueue({ journal })`): it follows the
 * reactor's events (submit, dispatch, completion, cancel) and the
 * deliveries to the application, appends a record for each to the file
 * (`writer.ts`), and at start-up puts back every task submitted and not yet
 * delivered. The reactor's handlers only emit; every byte is written here,
 * outside them. See docs/journal.md.
 *
 * @module
 */

import type { CompletedTask } from "../../completed_task.ts";
import { emptyRecord, kInternal, type Task } from "../../task.ts";
import type { Logger } from "../options.ts";
import type { QueueEvent } from "../queue_event.ts";
import type { Reactor } from "../reactor.ts";
import type { WaitResult } from "../wait.ts";
import { type JournalRecord, type JournalTask, replay } from "./records.ts";
import { jsonProblem, taskFromSpec, taskSpec } from "./task_codec.ts";
import { JournalWriter } from "./writer.ts";

/** Keys per `keys` record of a compacted journal. */
const KEYS_PER_RECORD = 1000;

/** What a journal put back at start-up. */
export interface RestoreSummary {
  /** Tasks queued again (they were waiting or running). */
  queued: number;
  /** Tasks that had completed, delivered without running again. */
  completed: number;
}

/** The journal of one queue. */
export class Journal {
  readonly #w: JournalWriter;
  readonly #log: Logger;
  readonly #live: Map<number, JournalTask>;
  /** Every key given, with its task's id. */
  readonly #keys: Map<string, number>;
  readonly #nextId: number;
  /** Tasks handed to the application and not yet acknowledged, with their ids then. */
  readonly #handed = new Map<Task, number>();
  /** The sequence number of each completed task's record (none: on disk at start-up). */
  readonly #completedAt = new WeakMap<Task, number>();
  #r: Reactor | undefined;

  /**
   * Opens (or creates) a journal and reads it; {@linkcode Journal.restore} then
   * puts its tasks into a reactor.
   *
   * @param path The journal file.
   * @param log Where warnings go.
   * @throws {Error} If another manager has it open.
   * @throws {SyntaxError} If it is another program's, another version's, or corrupt.
   */
  constructor(path: string, log: Logger) {
    this.#log = log;
    const opened = JournalWriter.open(path, {
      snapshot: () => this.#snapshot(),
      size: () => this.#size(),
      warn: (m) => log("warn", m),
    });
    this.#w = opened.writer;
    const state = replay(opened.records);
    this.#live = state.live;
    this.#keys = state.keys;
    this.#nextId = state.nextId;
  }

  /** The journal's path. */
  get path(): string {
    return this.#w.path;
  }

  /** The writer (for its byte counts). */
  get writer(): JournalWriter {
    return this.#w;
  }

  /**
   * Puts the tasks the journal holds into a fresh reactor: a task that
   * completed with its outputs in place waits for `wait()`, the others are
   * queued again. Ids go on from the largest the journal knew.
   *
   * @param r The reactor (no task submitted yet).
   * @returns How many of each.
   */
  restore(r: Reactor): RestoreSummary {
    this.#r = r;
    r.nextTaskId = Math.max(r.nextTaskId, this.#nextId);
    const summary = { queued: 0, completed: 0 };
    for (const j of this.#live.values()) {
      const task = taskFromSpec(j.spec);
      task.id = j.id;
      const internal = task[kInternal];
      internal.attempts = j.attempts;
      const missing = j.completed ? missingOutput(task) : undefined;
      if (missing) {
        this.#log("warn", `task ${j.id} runs again: its output '${missing}' is gone`);
      }
      internal.record = j.completed && !missing
        ? { ...emptyRecord(), ...j.completed }
        : emptyRecord(j.spec.submitTime ?? r.clock.now());
      r.core.transition(task, "ready", { reason: "restored from the journal" });
      if (j.completed && !missing) {
        r.core.transition(task, "complete", { reason: "restored from the journal" });
        summary.completed++;
      } else {
        r.fit.check(task);
        summary.queued++;
      }
    }
    this.#live.clear();
    if (summary.queued > 0) r.comm.askForScheduling();
    return summary;
  }

  /**
   * Checks a task about to be submitted: its `data` must be JSON, and a new
   * task whose key the journal knows is not queued again.
   *
   * @param task The task.
   * @returns The id of the task its key names, or `undefined` to submit it.
   * @throws {TypeError} If its `data` cannot be kept as JSON.
   */
  admit(task: Task): number | undefined {
    const p = jsonProblem(task.data, "data");
    if (p) {
      throw new TypeError(
        `Cannot submit task: a queue with a journal keeps data as JSON, and ${p}`,
      );
    }
    if (task.key === undefined || task.state !== undefined) return undefined;
    return this.#keys.get(task.key);
  }

  /**
   * `run()` through the journal: a new task whose key is known waits for
   * the known task instead (or gets it at once, if the application was
   * handed it and has not acknowledged it).
   *
   * @param task The task.
   * @param run The queue's `run()`.
   * @returns The completed task, once its completion is on disk.
   */
  run<D>(task: Task<D>, run: (t: Task<D>) => Promise<CompletedTask<D>>): Promise<CompletedTask<D>> {
    this.acknowledge();
    let id: number | undefined;
    try {
      id = this.admit(task);
    } catch (e) {
      return Promise.reject(e);
    }
    let target = task;
    if (id !== undefined) {
      const live = this.#r?.core.tasks.get(id) ?? this.#handedTask(id);
      if (!live) {
        return Promise.reject(
          new Error(
            `Cannot run task: its key '${task.key}' names task ${id}, which was delivered already`,
          ),
        );
      }
      if (live.state === "returned") return Promise.resolve(live as CompletedTask<D>);
      target = live as Task<D>;
    }
    return run(target).then(async (t) => {
      await this.handOver(t);
      return t;
    });
  }

  /**
   * `wait()` through the journal: what the application had is acknowledged,
   * and a task found is handed over once its completion is on disk.
   *
   * @param wait The queue's `wait()`, called now.
   * @returns What it found.
   */
  async wait(wait: () => Promise<WaitResult>): Promise<WaitResult> {
    this.acknowledge();
    const r = await wait();
    if (r.status === "task") await this.handOver(r.task);
    return r;
  }

  #handedTask(id: number): Task | undefined {
    for (const [t, tid] of this.#handed) if (tid === id) return t;
    return undefined;
  }

  /** Follows the reactor's events (a `ConnComm` subscriber): one record for each that counts. */
  readonly follow = (e: QueueEvent): void => {
    switch (e.type) {
      case "task-submitted": {
        const t = e.task;
        const old = this.#handed.get(t);
        if (old !== undefined) this.#deliver(t, old); // submitted again: it was dealt with
        const spec = taskSpec(t);
        spec.submitTime = t.submitTime;
        this.#w.append({ op: "submit", id: t.id, task: spec });
        if (t.key !== undefined) this.#keys.set(t.key, t.id);
        return;
      }
      case "task-dispatched":
        this.#w.append({ op: "dispatch", id: e.task.id, attempt: e.task.attempts });
        return;
      case "task-done": {
        const t = e.task;
        const seq = this.#w.append({ op: "complete", id: t.id, record: t[kInternal].record });
        this.#completedAt.set(t, seq);
        return;
      }
      case "task-cancelled":
        this.#w.append({ op: "cancel", id: e.task.id });
        return;
    }
  };

  /**
   * The application was handed a completed task (by `wait()` or `run()`):
   * it is acknowledged, and recorded as delivered, when the application
   * comes back for more (see {@linkcode Journal.acknowledge}).
   *
   * @param task The task.
   * @returns A promise that resolves when its completion is on disk, or `undefined` if it is.
   */
  handOver(task: Task): Promise<void> | undefined {
    this.#handed.set(task, task.id);
    // Its completion must be on disk (not the acknowledgements after it).
    return this.#w.durable(this.#completedAt.get(task) ?? 0);
  }

  /**
   * Records tasks the application was handed as delivered: they will not
   * come back after a restart.
   *
   * @param task One task; default every task handed and not yet acknowledged.
   * @returns Whether anything was recorded.
   */
  acknowledge(task?: Task): boolean {
    if (task !== undefined) {
      const id = this.#handed.get(task);
      if (id === undefined) return false;
      this.#deliver(task, id);
      return true;
    }
    if (this.#handed.size === 0) return false;
    for (const [t, id] of this.#handed) this.#deliver(t, id);
    return true;
  }

  #deliver(task: Task, id: number): void {
    this.#handed.delete(task);
    this.#w.append({ op: "deliver", id });
  }

  /**
   * Resolves when every record so far is on disk.
   *
   * @returns A promise, or `undefined` if they are already.
   */
  durable(): Promise<void> | undefined {
    return this.#w.durable();
  }

  /** Writes what is pending and closes the journal (and its lock). */
  close(): Promise<void> {
    return this.#w.close();
  }

  /** Closes the journal at once, writing nothing (the queue failed to start). */
  release(): void {
    this.#w.release();
  }

  /** The state in play, as the records of a compacted journal. */
  #snapshot(): JournalRecord[] {
    const r = this.#r;
    const out: JournalRecord[] = [{ op: "base", nextId: r?.nextTaskId ?? this.#nextId }];
    const inPlay = new Set<number>();
    const add = (t: Task, id: number, completed: boolean) => {
      inPlay.add(id);
      const spec = taskSpec(t);
      spec.submitTime = t.submitTime;
      out.push({ op: "submit", id, task: spec });
      if (t.attempts > 0) out.push({ op: "dispatch", id, attempt: t.attempts });
      if (completed) out.push({ op: "complete", id, record: t[kInternal].record });
    };
    for (const [t, id] of this.#handed) add(t, id, true);
    for (const t of r?.core.tasks.values() ?? []) add(t, t.id, t.state === "complete");
    let keys: [string, number][] = [];
    for (const [k, id] of this.#keys) {
      if (inPlay.has(id)) continue;
      keys.push([k, id]);
      if (keys.length === KEYS_PER_RECORD) {
        out.push({ op: "keys", keys });
        keys = [];
      }
    }
    if (keys.length > 0) out.push({ op: "keys", keys });
    return out;
  }

  #size(): number {
    const r = this.#r;
    const done = (r?.core.inState.complete ?? 0) + this.#handed.size;
    return 1 + (r?.core.tasks.size ?? 0) + 2 * done + Math.ceil(this.#keys.size / KEYS_PER_RECORD);
  }
}

/** The local path of the first output of a task that is not there, or `undefined`. */
function missingOutput(task: Task): string | undefined {
  for (const o of task.outputs) {
    try {
      Deno.lstatSync(o.local);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return o.local;
      throw e;
    }
  }
  return undefined;
}
