/**
 * Blocked hosts: workers whose host name or IP address is blocked get no
 * tasks, until the block is lifted or runs out.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import type { WorkerInfo } from "./worker_info.ts";

/**
 * A set of blocked hosts, each until a time or forever.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const b = new HostBlocks();
 * b.block("node07");
 * assert.equal(b.isBlockedName("node07"), true);
 * assert.equal(b.isBlockedName("node08"), false);
 * b.unblock("node07");
 * assert.equal(b.isBlockedName("node07"), false);
 * ```
 */
export class HostBlocks {
  #until = new Map<string, number>();
  readonly #clock: Clock;

  /** @param clock Tells the time that blocks run out by (default: the real clock). */
  constructor(clock: Clock = realClock) {
    this.#clock = clock;
  }

  /** Blocks a host for `seconds` (forever if not given). */
  block(host: string, seconds?: number): void {
    this.#until.set(host, seconds === undefined ? Infinity : this.#clock.now() + seconds * 1000);
  }

  /** Lifts the block on a host; returns whether it was blocked. */
  unblock(host: string): boolean {
    return this.#until.delete(host);
  }

  /** Whether a host name or address is blocked now. */
  isBlockedName(host: string, now = this.#clock.now()): boolean {
    const until = this.#until.get(host);
    return until !== undefined && until > now;
  }

  /**
   * Forgets the blocks that have run out.
   *
   * @param now The time (ms).
   * @returns Whether any had: their hosts may get tasks again.
   */
  expire(now = this.#clock.now()): boolean {
    let any = false;
    for (const [host, until] of this.#until) {
      if (until <= now) {
        this.#until.delete(host);
        any = true;
      }
    }
    return any;
  }

  /** Whether a worker's host name or IP is blocked now. */
  isBlocked(w: WorkerInfo, now = this.#clock.now()): boolean {
    return this.#until.size > 0 &&
      (this.isBlockedName(w.hostname, now) || this.isBlockedName(w.ip, now));
  }

  /** The hosts blocked now. */
  list(now = this.#clock.now()): string[] {
    return [...this.#until.keys()].filter((h) => this.isBlockedName(h, now));
  }
}
