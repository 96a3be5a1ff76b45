/**
 * The checks and effects of `WorkQueue`'s settings that act on the
 * reactor: the scheduling algorithm, fast abort, host blocks, and
 * `explain()`. Each checks its arguments and throws one clear error.
 *
 * @module
 */

import { isKnownAlgorithm } from "./choose_worker.ts";
import { explainTask } from "./explain.ts";
import type { Reactor } from "./reactor.ts";

/**
 * Checks a project name: not empty, no white space.
 *
 * @param name The name.
 * @throws {TypeError} If it is not such a name.
 */
export function checkProjectName(name: string): void {
  if (typeof name !== "string" || name.length === 0 || /\s/.test(name)) {
    throw new TypeError(
      `Cannot set project name: expected a non-empty name without spaces, got '${String(name)}'`,
    );
  }
}

/**
 * Checks a foreman's uplink address, `IP:PORT` (as CCTools' `my_manager`):
 * a host part without white space, and a port from 1 to 65535 after the
 * last colon (so `::1:9123` is IPv6's loopback, as CCTools writes it).
 *
 * @param address The address, or `null` (no uplink).
 * @returns The address, or `undefined` for `null`.
 * @throws {TypeError} If it is not such an address.
 */
export function checkUplink(address: string | null): string | undefined {
  if (address === null) return undefined;
  const m = typeof address === "string" ? /^(\S+):(\d{1,5})$/.exec(address) : null;
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new TypeError(
      `Cannot set uplink: expected IP:PORT (or null), got '${String(address)}'`,
    );
  }
  return address;
}

/**
 * Sets the scheduling algorithm for tasks that set none.
 *
 * @param r The reactor.
 * @param algorithm A `WORK_QUEUE_SCHEDULE_*` value.
 * @throws {RangeError} If it is not one.
 */
export function setAlgorithm(r: Reactor, algorithm: number): void {
  if (!isKnownAlgorithm(algorithm)) {
    throw new RangeError(
      `Cannot set scheduling algorithm: ${algorithm} is not a WORK_QUEUE_SCHEDULE_* value`,
    );
  }
  r.algorithm = algorithm;
  r.comm.askForScheduling();
}

/**
 * Sets fast abort's multiplier (`<= 0` turns it off).
 *
 * @param r The reactor.
 * @param multiplier The multiplier.
 * @throws {TypeError} If it is not a number.
 * @throws {RangeError} If it is between 0 and 1.
 */
export function setFastAbort(r: Reactor, multiplier: number): void {
  if (typeof multiplier !== "number" || Number.isNaN(multiplier)) {
    throw new TypeError(`Cannot set fast abort: multiplier must be a number, got ${multiplier}`);
  }
  if (multiplier > 0 && multiplier < 1) {
    throw new RangeError(
      `Cannot set fast abort: a multiplier below 1 would abort average tasks, got ${multiplier}`,
    );
  }
  r.fastAbort.multiplier = multiplier;
}

/**
 * Blocks a host.
 *
 * @param r The reactor.
 * @param host The host name or address.
 * @param seconds How long; forever if not given.
 * @throws {TypeError} If the host is not a non-empty string.
 * @throws {RangeError} If `seconds` is not positive.
 */
export function blockHostIn(r: Reactor, host: string, seconds?: number): void {
  if (typeof host !== "string" || host.length === 0) {
    throw new TypeError(`Cannot block host: expected a host name, got '${String(host)}'`);
  }
  if (seconds !== undefined && !(seconds > 0)) {
    throw new RangeError(`Cannot block host '${host}': seconds must be positive, got ${seconds}`);
  }
  r.blocks.block(host, seconds);
}

/**
 * Says in words where a task is and, if it waits, why.
 *
 * @param r The reactor.
 * @param taskId The task's id.
 * @returns The sentence.
 */
export function explainIn(r: Reactor, taskId: number): string {
  return explainTask(taskId, {
    core: r.core,
    unfit: r.fit.unfit,
    isBlocked: r.isBlocked,
    now: r.clock.now(),
    categories: r.categories,
  });
}
