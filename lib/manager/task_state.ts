/**
 * The legal moves between task states. `Core.transition()` is the one place
 * that changes a task's state; it checks every move against this table.
 *
 * @module
 */

import type { TaskState } from "../task.ts";

/** From each state (or `undefined`, not yet submitted), the states it may move to. */
const EDGES: Record<TaskState | "new", readonly TaskState[]> = {
  new: ["ready"],
  ready: ["sending", "complete", "cancelled"],
  sending: ["running", "ready", "complete", "cancelled"],
  running: ["receiving", "ready", "complete", "cancelled"],
  receiving: ["complete", "ready", "cancelled"],
  complete: ["returned", "cancelled"],
  returned: ["ready"],
  cancelled: ["ready"],
};

/**
 * Whether a task may move from `from` to `to`.
 *
 * @param from The current state (`undefined` before submit).
 * @param to The next state.
 * @returns `true` if the move is legal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isLegalTransition("ready", "sending"), true);
 * assert.equal(isLegalTransition("ready", "returned"), false);
 * ```
 */
export function isLegalTransition(from: TaskState | undefined, to: TaskState): boolean {
  return EDGES[from ?? "new"].includes(to);
}

/** States in which a task occupies a worker. */
export const ON_WORKER: ReadonlySet<TaskState> = new Set(["sending", "running", "receiving"]);

/**
 * A count of 0 for every state.
 *
 * @returns A fresh record.
 */
export function zeroPerState(): Record<TaskState, number> {
  return { ready: 0, sending: 0, running: 0, receiving: 0, complete: 0, returned: 0, cancelled: 0 };
}
