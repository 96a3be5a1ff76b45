/**
 * What `explain()` says about how a task's category sizes it: that it runs
 * with the category's maximum until the category is measured, that it was
 * sized from the measurements (with the numbers), or that it runs again
 * with the maximum after it ran out at its first allocation.
 *
 * @module
 */

import { kInternal, type Task } from "../../task.ts";
import type { ResourceRequest, Resources } from "../../resources.ts";
import type { Categories } from "./categories.ts";
import { MODE_NAMES } from "./category.ts";

/**
 * Amounts in words: `cores 1, memory 250 MB, disk 250 MB`.
 *
 * @param r The amounts (unset ones are left out).
 * @returns The text, or `a whole worker` if none is set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(amounts({ cores: 1, memory: 250 }), "cores 1, memory 250 MB");
 * assert.equal(amounts({}), "a whole worker");
 * ```
 */
export function amounts(r: Readonly<ResourceRequest>): string {
  const parts: string[] = [];
  if (r.cores !== undefined) parts.push(`cores ${r.cores}`);
  if (r.memory !== undefined) parts.push(`memory ${r.memory} MB`);
  if (r.disk !== undefined) parts.push(`disk ${r.disk} MB`);
  if (r.gpus) parts.push(`gpus ${r.gpus}`);
  return parts.length > 0 ? parts.join(", ") : "a whole worker";
}

/**
 * How a task's category sizes it, in a clause, or `undefined` if its
 * category is not in an automatic mode.
 *
 * @param task The task.
 * @param categories The queue's categories.
 * @param alloc Its allocation on its worker, if it is there.
 * @returns The clause.
 */
export function sizingNote(
  task: Task,
  categories: Categories,
  alloc?: Readonly<Resources>,
): string | undefined {
  const c = categories.get(task.category);
  if (!c?.automatic) return undefined;
  const internal = task[kInternal];
  const mode = MODE_NAMES[c.mode].toUpperCase().replace("-", "_");
  const got = alloc ? ` (${amounts(alloc)})` : "";
  if (internal.label === "max") {
    return `it ran out of a resource at the first allocation of category '${c.name}', ` +
      `so it runs with the category's maximum${got}`;
  }
  // On a worker: as it was sized when dispatched; waiting: as it would be now.
  const as = alloc ? internal.sizedAs : c.sizedAs("first");
  if (as !== "first") {
    return `category '${c.name}' (${mode}) is waiting for measurements (${c.measured} so far, ` +
      `${categories.steadyAfter} in a row needed), so it runs with the category's maximum${got}`;
  }
  const sized = alloc ?? c.request(task.resources, "first").req;
  return `category '${c.name}' (${mode}) sized it from ${c.measured} measurement(s): ${
    amounts(sized)
  }`;
}
