/**
 * The journal's records, and the state they add up to: which tasks are in
 * play (submitted, not yet delivered), which of them completed, and the
 * keys the application gave. {@linkcode replay} folds records into a
 * {@linkcode JournalState}; a compacted journal is that state written again.
 *
 * @module
 */

import type { TaskRecord } from "../../task.ts";
import type { TaskSpec } from "./task_codec.ts";

/** One line of the journal. */
export type JournalRecord =
  /** Where task ids go on from (the first record of a compacted journal). */
  | { op: "base"; nextId: number }
  /** A task was submitted, with every field the application gave it. */
  | { op: "submit"; id: number; task: TaskSpec; attempts?: number }
  /** It was sent to a worker (on restart it is queued again). */
  | { op: "dispatch"; id: number; attempt: number }
  /** It completed, its outputs in place: its result fields. */
  | { op: "complete"; id: number; record: TaskRecord }
  /** It was cancelled by the application (and so handed to it). */
  | { op: "cancel"; id: number }
  /** The application has it: it comes back no more. */
  | { op: "deliver"; id: number }
  /** Keys of tasks delivered already, with their ids. */
  | { op: "keys"; keys: [string, number][] };

/** A task in play, as the journal knows it. */
export interface JournalTask {
  id: number;
  spec: TaskSpec;
  /** Infrastructure failures before its last dispatch. */
  attempts: number;
  /** Its result, once it completed with its outputs in place. */
  completed?: TaskRecord;
}

/** What a journal adds up to. */
export interface JournalState {
  /** Tasks submitted and not yet delivered, by id, in submit order. */
  live: Map<number, JournalTask>;
  /** Every key the application gave, with its task's id (live or delivered). */
  keys: Map<string, number>;
  /** The id the next task gets. */
  nextId: number;
}

/**
 * Adds up records.
 *
 * @param records The journal's records, in order.
 * @returns The state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = replay([
 *   { op: "submit", id: 4, task: { command: "true", key: "a" } },
 *   { op: "submit", id: 5, task: { command: "true" } },
 *   { op: "deliver", id: 4 },
 * ]);
 * assert.deepEqual([...s.live.keys()], [5]);
 * assert.equal(s.keys.get("a"), 4);
 * assert.equal(s.nextId, 6);
 * ```
 */
export function replay(records: readonly JournalRecord[]): JournalState {
  const s: JournalState = { live: new Map(), keys: new Map(), nextId: 1 };
  for (const r of records) {
    switch (r.op) {
      case "base":
        s.nextId = Math.max(s.nextId, r.nextId);
        break;
      case "submit":
        s.live.set(r.id, { id: r.id, spec: r.task, attempts: r.attempts ?? 0 });
        if (r.task.key !== undefined) s.keys.set(r.task.key, r.id);
        s.nextId = Math.max(s.nextId, r.id + 1);
        break;
      case "dispatch": {
        const t = s.live.get(r.id);
        if (t) t.attempts = r.attempt;
        break;
      }
      case "complete": {
        const t = s.live.get(r.id);
        if (t) t.completed = r.record;
        break;
      }
      case "cancel":
      case "deliver":
        s.live.delete(r.id);
        break;
      case "keys":
        for (const [k, id] of r.keys) s.keys.set(k, id);
        break;
    }
  }
  return s;
}
