/**
 * The worker's idle timeout: one timer per idle period, not one per
 * message. Activity only notes the time; when the timer fires early it is
 * set again for what is left.
 *
 * @module
 */

/**
 * Fires once no activity was noted for the timeout and nothing is busy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * let fired = 0;
 * const t = new IdleTimer(0.01, { busy: () => false, fire: () => fired++ });
 * t.touch();
 * await new Promise((r) => setTimeout(r, 50));
 * assert.equal(fired, 1);
 * t.clear();
 * ```
 */
export class IdleTimer {
  #ms: number;
  #busy: () => boolean;
  #fire: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #last = 0;
  #cleared = false;

  /**
   * @param seconds The idle timeout.
   * @param hooks `busy`: whether something is under way (then it waits a
   * whole timeout more); `fire`: the timeout passed.
   */
  constructor(seconds: number, hooks: { busy: () => boolean; fire: () => void }) {
    this.#ms = seconds * 1000;
    this.#busy = hooks.busy;
    this.#fire = hooks.fire;
  }

  /** Notes activity (and starts the timer if none runs). */
  touch(): void {
    this.#last = performance.now();
    if (!this.#cleared) this.#timer ??= setTimeout(() => this.#check(), this.#ms);
  }

  /** Stops it for good. */
  clear(): void {
    this.#cleared = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    this.#timer = undefined;
    if (this.#cleared) return;
    const quiet = performance.now() - this.#last;
    if (quiet < this.#ms) {
      this.#timer = setTimeout(() => this.#check(), this.#ms - quiet);
      return;
    }
    if (this.#busy()) return this.touch();
    this.#fire();
  }
}
