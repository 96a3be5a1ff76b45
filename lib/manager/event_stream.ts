/**
 * `wq.events()`: the queue's events as an async iterable, one stream per
 * call, each with its own buffer.
 *
 * @module
 */

import type { QueueEvent } from "./queue_event.ts";

/** Options of `wq.events()`. */
export interface EventsOptions {
  /** Ends the stream when aborted (the events not yet read are dropped). */
  signal?: AbortSignal;
  /**
   * How many events may wait for the reader (default 1,000,000). A reader
   * that falls further behind gets a `RangeError` from its next read, and
   * the stream ends: events are never dropped silently.
   */
  maxBuffered?: number;
  /**
   * Only events of these types (`queue-closed` always comes, and ends the
   * stream); default every type. The others are never buffered.
   */
  types?: readonly QueueEvent["type"][];
}

/** Every type of {@linkcode QueueEvent}. */
const EVENT_TYPES: ReadonlySet<string> = new Set<QueueEvent["type"]>([
  "task-submitted",
  "task-dispatched",
  "task-done",
  "task-retried",
  "task-cancelled",
  "worker-joined",
  "worker-left",
  "queue-closed",
]);

/**
 * The events of one queue, from the moment of the call, until
 * `queue-closed` (the last one yielded), an abort, or `return()` (a `break`
 * out of `for await`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { QueueEvent } from "./queue_event.ts";
 *
 * let emit: (e: QueueEvent) => void = () => {};
 * const stream = new EventStream((fn) => {
 *   emit = fn;
 *   return () => emit = () => {};
 * });
 * emit({ type: "queue-closed" });
 * const seen = [];
 * for await (const e of stream) seen.push(e.type);
 * assert.deepEqual(seen, ["queue-closed"]);
 * ```
 */
export class EventStream implements AsyncIterableIterator<QueueEvent> {
  #buffer: QueueEvent[] = [];
  #head = 0;
  #wake: (() => void) | undefined;
  #ended = false;
  #error: Error | undefined;
  readonly #max: number;
  readonly #types: ReadonlySet<string> | undefined;
  readonly #unsubscribe: () => void;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.#end();

  /**
   * @param subscribe Starts calling its argument with every event; returns the unsubscribe.
   * @param options Abort signal and buffer bound.
   * @throws {RangeError} If `maxBuffered` is not a positive integer.
   */
  constructor(
    subscribe: (listener: (e: QueueEvent) => void) => () => void,
    options: EventsOptions = {},
  ) {
    this.#max = options.maxBuffered ?? 1_000_000;
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new RangeError(
        `Cannot stream events: maxBuffered must be a positive integer, got ${options.maxBuffered}`,
      );
    }
    if (options.types !== undefined) {
      const bad = Array.isArray(options.types)
        ? options.types.find((t) => !EVENT_TYPES.has(t))
        : options.types;
      if (bad !== undefined) {
        throw new TypeError(
          `Cannot stream events: unknown event type '${String(bad)}' in types (one of ${
            [...EVENT_TYPES].join(", ")
          })`,
        );
      }
      this.#types = new Set([...options.types, "queue-closed"]);
    }
    this.#signal = options.signal;
    this.#unsubscribe = subscribe((e) => this.#push(e));
    if (this.#signal?.aborted) this.#end();
    else this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  #push(e: QueueEvent): void {
    if (this.#ended || (this.#types !== undefined && !this.#types.has(e.type))) return;
    if (this.#buffer.length - this.#head >= this.#max) {
      this.#error = new RangeError(
        `Cannot stream events: the reader fell ${this.#max} events behind (maxBuffered)`,
      );
      this.#end();
      return;
    }
    this.#buffer.push(e);
    if (e.type === "queue-closed") this.#stopListening();
    this.#wake?.();
  }

  #stopListening(): void {
    this.#unsubscribe();
    this.#signal?.removeEventListener("abort", this.#onAbort);
  }

  /** Ends the stream now: what is buffered is dropped. */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#buffer = [];
    this.#head = 0;
    this.#stopListening();
    this.#wake?.();
  }

  /**
   * The next event, once there is one.
   *
   * @returns The event, or `done` when the stream has ended.
   * @throws {RangeError} If the reader fell more than `maxBuffered` events behind.
   */
  async next(): Promise<IteratorResult<QueueEvent, undefined>> {
    for (;;) {
      if (this.#head < this.#buffer.length) {
        const value = this.#buffer[this.#head++];
        if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
          this.#buffer = this.#buffer.slice(this.#head);
          this.#head = 0;
        }
        if (value.type === "queue-closed") this.#ended = true;
        return { value, done: false };
      }
      if (this.#error) {
        const e = this.#error;
        this.#error = undefined;
        throw e;
      }
      if (this.#ended) return { value: undefined, done: true };
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
    }
  }

  /**
   * Ends the stream (what `break` in `for await` calls).
   *
   * @returns `done`.
   */
  return(): Promise<IteratorResult<QueueEvent, undefined>> {
    this.#end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** This stream. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}
