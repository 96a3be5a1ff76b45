/**
 * How a session's results reach the manager: on its request
 * (`send_results`, after `available_results` said some are ready) or, on
 * the fast path, pushed as tasks finish, but never in the middle of
 * another reply.
 *
 * @module
 */

import { encodeWorkerMessage } from "../wire/worker_messages.ts";
import type { OutputWatcher, WatchedUpdate } from "./output_watcher.ts";
import { type ReplySink, writeResults, writeResultsReply } from "./results_reply.ts";
import type { Runner } from "./runner.ts";

const AVAILABLE_RESULTS = { kind: "available_results" } as const;

/** What {@linkcode ResultsOut} reads from and writes to. */
export interface ResultsOutOptions {
  /** The session's tasks. */
  runner: Runner;
  /** The session's watched outputs (their updates go before the results). */
  watcher: OutputWatcher;
  /** Where replies go (lines logged by the session, and bodies). */
  out: ReplySink;
  /** Whether the session has ended (nothing more is sent). */
  ended: () => boolean;
}

/**
 * The results of one session on their way out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { FrameWriter } from "../wire/frame_writer.ts";
 * import type { OutputWatcher } from "./output_watcher.ts";
 * import type { Runner } from "./runner.ts";
 * const sent: string[] = [];
 * const results = new ResultsOut({
 *   runner: { hasResults: false, takeResults: () => [] } as unknown as Runner,
 *   watcher: {} as OutputWatcher,
 *   out: { send: (t) => sent.push(t), writer: {} as FrameWriter },
 *   ended: () => false,
 * });
 * results.finished();
 * results.finished(); // said once until the manager asks
 * assert.deepEqual(sent, ["available_results\n"]);
 * ```
 */
export class ResultsOut {
  #o: ResultsOutOptions;
  #availableSent = false;
  /** The fast path is on (`lib/wire/fast_path.ts`): results are pushed as tasks finish. */
  #fastPath = false;
  /** A reply (`get`, `send_results`) is being written: a pushed result waits for its end. */
  #replying = false;
  /** Results finished while a reply was being written. */
  #pushDue = false;

  /** @param options The runner, the watcher, where replies go, whether the session ended. */
  constructor(options: ResultsOutOptions) {
    this.#o = options;
  }

  /** The manager turned the fast path on: results are pushed from now on. */
  fastPathOn(): void {
    this.#fastPath = true;
    if (this.#o.runner.hasResults) this.#push();
  }

  /**
   * Writes a reply (to `get`, or `send_results`); results that finish
   * meanwhile are pushed after it.
   *
   * @param write Writes the reply.
   */
  async reply(write: () => Promise<void>): Promise<void> {
    this.#replying = true;
    try {
      await write();
    } finally {
      this.#endReply();
    }
  }

  /** Answers `send_results`: the watched outputs' updates, then the results. */
  sendResults(): Promise<void> {
    return this.reply(async () => {
      // The updates first: read before the results are taken, so that a task
      // that ends meanwhile sends its last bytes before its result.
      const w = this.#o.watcher;
      const updates: WatchedUpdate[] = w.size > 0 ? await w.collect() : [];
      const runner = this.#o.runner;
      writeResultsReply(this.#o.out, updates, runner.takeResults(), runner.running);
      this.#availableSent = false;
    });
  }

  /** A task finished: its result goes now on the fast path, else the manager is told. */
  finished(): void {
    if (!this.#fastPath) return this.resultsReady();
    if (this.#o.ended()) return;
    if (this.#replying) this.#pushDue = true;
    else this.#push();
  }

  /** Tells the manager that results (or watched outputs' updates) are ready, once. */
  resultsReady(): void {
    if (this.#availableSent || this.#o.ended()) return;
    this.#availableSent = true;
    this.#o.out.send(encodeWorkerMessage(AVAILABLE_RESULTS));
  }

  /** Pushes every finished task's result (fast path). */
  #push(): void {
    const results = this.#o.runner.takeResults();
    if (results.length > 0) writeResults(this.#o.out, results);
  }

  #endReply(): void {
    this.#replying = false;
    if (this.#pushDue) {
      this.#pushDue = false;
      if (!this.#o.ended()) this.#push();
    }
  }
}
