/**
 * Which protocol the worker speaks to a manager (spec-11 §10.2): 9 (Debian's
 * CCTools) or 11 (CCTools 7.5 to 7.17). No manager message says which; a
 * manager that refuses the number closes the connection without a byte
 * right after the handshake. So, unless `--protocol` forces one, the worker
 * tries the catalog record's `protocol` (with `-M`), else 11, and on such a
 * silent close reconnects at once with the other; it remembers per
 * HOST:PORT which one was served.
 *
 * @module
 */

import { type Dialect, DIALECTS, isDialect } from "../wire/protocol.ts";

/** The `--protocol` option: a dialect, or `auto` to find it out. */
export type ProtocolChoice = Dialect | "auto";

/**
 * Parses the value of `--protocol`.
 *
 * @param text `9`, `11` or `auto`.
 * @returns The choice.
 * @throws {RangeError} For any other value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseProtocolChoice("11"), 11);
 * assert.equal(parseProtocolChoice("auto"), "auto");
 * assert.throws(() => parseProtocolChoice("10"), /expected 9, 11 or auto, got '10'/);
 * ```
 */
export function parseProtocolChoice(text: string): ProtocolChoice {
  if (text === "auto") return "auto";
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (isDialect(n)) return n;
  throw new RangeError(
    `Cannot use option '--protocol': expected 9, 11 or auto, got '${text}'`,
  );
}

/** What to do after a manager closed the connection right after the handshake. */
export type Refusal =
  /** Reconnect at once, speaking this dialect. */
  | { retry: Dialect }
  /** Every dialect allowed was refused: log this and carry on as after any lost connection. */
  | { message: string };

/**
 * Chooses the dialect of each connection and learns from refusals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = new DialectChooser("auto");
 * assert.equal(c.first("h:1"), 11);
 * assert.deepEqual(c.refused("h:1", 11), { retry: 9 });
 * assert.equal(c.first("h:1"), 9);
 * c.served("h:1", 9);
 * assert.equal(c.first("h:1"), 9); // remembered
 * assert.equal(c.first("h:2", 9), 9); // the catalog said 9
 * ```
 */
export class DialectChooser {
  #forced: Dialect | undefined;
  #served = new Map<string, Dialect>();
  #tried = new Map<string, Set<Dialect>>();
  #next = new Map<string, Dialect>();

  /** @param choice The `--protocol` option. */
  constructor(choice: ProtocolChoice) {
    this.#forced = choice === "auto" ? undefined : choice;
  }

  /**
   * The dialect of the next connection to a manager.
   *
   * @param where The manager's `HOST:PORT`.
   * @param hint The dialect its catalog record gives, if it was found there.
   * @returns The dialect to announce.
   */
  first(where: string, hint?: Dialect): Dialect {
    if (this.#forced !== undefined) return this.#forced;
    const next = this.#next.get(where);
    if (next !== undefined) {
      this.#next.delete(where);
      return next;
    }
    return this.#served.get(where) ?? hint ?? DIALECTS[0];
  }

  /**
   * Notes that a manager served a connection in this dialect.
   *
   * @param where The manager's `HOST:PORT`.
   * @param dialect The dialect it accepted.
   */
  served(where: string, dialect: Dialect): void {
    this.#served.set(where, dialect);
    this.#tried.delete(where);
    this.#next.delete(where);
  }

  /**
   * Notes that a manager closed the connection right after the handshake.
   *
   * @param where The manager's `HOST:PORT`.
   * @param dialect The dialect announced.
   * @returns The dialect to retry with at once, or the message to log.
   */
  refused(where: string, dialect: Dialect): Refusal {
    const other: Dialect = dialect === 11 ? 9 : 11;
    const head = `the manager at ${where} closed the connection right after the handshake`;
    if (this.#forced !== undefined) {
      return {
        message: `${head} for protocol ${dialect} (--protocol ${dialect}): it speaks another ` +
          `protocol (try --protocol ${other} or auto), wants TLS (--ssl), or refused this worker`,
      };
    }
    if (this.#served.get(where) === dialect) this.#served.delete(where);
    const tried = this.#tried.get(where) ?? new Set<Dialect>();
    tried.add(dialect);
    if (!tried.has(other)) {
      this.#tried.set(where, tried);
      this.#next.set(where, other);
      return { retry: other };
    }
    this.#tried.delete(where);
    return {
      message: `${head} for protocol ${DIALECTS.join(" and ")}: it speaks another protocol, ` +
        "wants TLS (--ssl), or refused this worker",
    };
  }
}
