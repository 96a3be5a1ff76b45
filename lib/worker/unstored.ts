/**
 * Uploads that did not fit on the worker's disk. Such an upload is dropped
 * (the stream stays in step) and remembered by its cache name, so that the
 * tasks needing it are refused with DISK_ALLOC_FULL instead of the
 * connection breaking.
 *
 * @module
 */

import { DiskFullError } from "./disk_full.ts";
import type { TaskBlock } from "../wire/task_block.ts";

/**
 * The uploads a session could not store, with why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiskFullError } from "./disk_full.ts";
 * const u = new Unstored();
 * await u.store("file-0-a", () => Promise.reject(new DiskFullError("no space")), () => {});
 * const spec = { inputs: [{ kind: "file" as const, cachedName: "file-0-a", remoteName: "a", flags: 1 }] };
 * assert.match(u.refusal(spec)!, /input 'a' did not fit on the disk of this worker: no space/);
 * u.forget("file-0-a");
 * assert.equal(u.refusal(spec), undefined);
 * ```
 */
export class Unstored {
  #why = new Map<string, string>();

  /**
   * Receives an upload; one that does not fit is remembered, not thrown.
   *
   * @param name Its cache name.
   * @param receive Reads it off the connection into the cache.
   * @param notice Told when it did not fit.
   * @throws What `receive` throws, unless the disk was full.
   */
  async store(
    name: string,
    receive: () => Promise<void>,
    notice: (message: string) => void,
  ): Promise<void> {
    try {
      await receive();
      if (this.#why.size > 0) this.#why.delete(name);
    } catch (e) {
      if (!(e instanceof DiskFullError)) throw e;
      notice(`disk full: ${e.message}`);
      this.#why.set(name, e.message);
    }
  }

  /** Forgets a name (it was sent again another way, or unlinked). */
  forget(name: string): void {
    this.#why.delete(name);
  }

  /**
   * Why a task cannot run: one of its inputs did not fit on the disk.
   *
   * @param spec The task.
   * @returns The reason, or `undefined` if it may run.
   */
  refusal(spec: Pick<TaskBlock, "inputs">): string | undefined {
    if (this.#why.size === 0) return undefined;
    for (const i of spec.inputs) {
      const why = i.kind === "dir" ? undefined : this.#why.get(i.cachedName);
      if (why) return `input '${i.remoteName}' did not fit on the disk of this worker: ${why}`;
    }
    return undefined;
  }
}
