/**
 * The fake peer's view of the real one: every line it sends (bodies
 * skipped by a per-target hook), counted, so that a scripted sender can
 * wait for "something new" or the end of the connection.
 *
 * @module
 */

import { LineReader } from "../lib/wire/line_reader.ts";

/** Skips the body of a line, if it has one, and notes what matters. */
export type OnLine = (line: string, reader: LineReader) => Promise<void> | void;

/** Reads a connection to its end in the background. */
export class PeerLines {
  /** Lines received so far. */
  messages = 0;
  /** Whether the connection has ended. */
  closed = false;
  #wake: (() => void) | undefined;

  /**
   * @param conn The connection to read.
   * @param onLine Called for each line before it is counted.
   */
  constructor(conn: Deno.Conn, onLine: OnLine) {
    this.#pump(conn, onLine);
  }

  async #pump(conn: Deno.Conn, onLine: OnLine): Promise<void> {
    const r = new LineReader(conn);
    try {
      for (;;) {
        const line = await r.readLine();
        if (line === null) break;
        await onLine(line, r);
        this.messages++;
        this.#wake?.();
      }
    } catch {
      // Reset by the peer or closed by us: either ends the case.
    }
    this.closed = true;
    this.#wake?.();
  }

  /**
   * Waits for a line after the `since`-th, or the end, at most `ms`.
   *
   * @param since The count already seen.
   * @param ms The longest wait.
   */
  async next(since: number, ms: number): Promise<void> {
    if (this.messages !== since || this.closed) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.#wake = undefined;
  }

  /**
   * Waits until `pred` holds or the connection ends, at most `ms`.
   *
   * @param pred The condition.
   * @param ms The longest wait.
   */
  async until(pred: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!pred() && !this.closed && Date.now() < end) {
      await this.next(this.messages, Math.max(1, end - Date.now()));
    }
  }
}
