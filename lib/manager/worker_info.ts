/**
 * What the manager knows about one connected worker.
 *
 * @module
 */

import { noResources, type Resources } from "../resources.ts";
import type { Task } from "../task.ts";
import type { Dialect } from "../wire/protocol.ts";

/** How many `cache-invalid` texts a worker's books keep for results still to come. */
const MAX_INVALIDATED = 64;

/** A connected worker, as the manager books it. */
export class WorkerInfo {
  /** The manager's own id for this connection. */
  readonly id: number;
  /** `ip:port` of the connection. */
  readonly addr: string;
  /** Host name from the handshake. */
  hostname = "unknown";
  /** OS and architecture from the handshake. */
  os = "";
  arch = "";
  /** The worker's CCTools version string. */
  version = "";
  /** The protocol it speaks, from its handshake: 9 or 11. */
  dialect: Dialect = 9;
  /** The worker's self-reported id (`info worker-id`). */
  workerId = "";
  /** Totals it reported. */
  total: Resources = noResources();
  /**
   * The largest amount of each resource on one machine behind it (the
   * `largest` of its `resource` lines): a foreman's largest worker.
   */
  largest: Resources = noResources();
  /**
   * How many workers it stands for (`resource workers N`): 1 for a worker,
   * a foreman's connected workers (0 or more). It gets tasks only with 1 or
   * more.
   */
  workers = 1;
  /** What running tasks hold. */
  inUse: Resources = noResources();
  /**
   * The fast path's version agreed with it (`lib/wire/fast_path.ts`), or 0:
   * it pushes results, and may be sent tasks queued ahead.
   */
  fastPath = 0;
  /** What tasks queued ahead on it (sent before a slot was free) will hold. */
  ahead: Resources = noResources();
  /** How many tasks are queued ahead on it. */
  aheadCount = 0;
  /** Handshake fields still missing before it may get tasks. */
  readonly pending = new Set(["workqueue", "tag", "workers", "end-time"]);
  /** Tasks on it (sending, running or receiving), by id. */
  readonly tasks = new Map<number, Task>();
  /** Cache names it holds (sent by us), with their sizes. */
  readonly cached = new Map<string, number>();
  /** Locality keys of what it caches (`f:<local path>`, `b:<md5>`), with sizes, for FILES scheduling. */
  readonly cachedKeys = new Map<string, number>();
  /**
   * Why the worker could not make an input (`cache-invalid`: cache name to
   * its text), kept until the result of the task that needed it arrives.
   */
  readonly invalidated = new Map<string, string>();
  /** Sum and count of task turnarounds (dispatch to result, ms), for TIME scheduling. */
  turnaroundSum = 0;
  turnaroundCount = 0;
  /** Tasks fast-aborted on it. */
  fastAborts = 0;
  /** When it connected and when it was last heard from (ms). */
  readonly connectedAt: number;
  lastHeard: number;
  /** When a `check` was sent and not yet answered (ms), or 0. */
  checkSentAt = 0;
  /** When it was last sent a `check` to wake it for watched outputs (ms). */
  watchPokedAt = 0;
  /** Bytes read from and written to its connection at the last keepalive sweep. */
  trafficRead = 0;
  trafficWritten = 0;
  /** Whether it is shutting down (sent `exit`/`release`). */
  leaving = false;
  /** Whether it has been counted as joined. */
  joined = false;
  /** Whether the manager has dropped it (it may no longer get tasks). */
  removed = false;
  /** Completed tasks, for statistics. */
  tasksDone = 0;

  /**
   * @param id The manager's id for it.
   * @param addr `ip:port`.
   * @param options `connectedAt`: when it connected (ms; default `Date.now()`).
   */
  constructor(id: number, addr: string, options: { connectedAt?: number } = {}) {
    this.id = id;
    this.addr = addr;
    this.connectedAt = this.lastHeard = options.connectedAt ?? Date.now();
  }

  /**
   * Books why the worker could not make an input, forgetting the oldest
   * such text beyond a bound.
   *
   * @param name The input's cache name.
   * @param text The worker's reason.
   */
  noteInvalid(name: string, text: string): void {
    this.invalidated.delete(name);
    this.invalidated.set(name, text);
    if (this.invalidated.size > MAX_INVALIDATED) {
      this.invalidated.delete(this.invalidated.keys().next().value!);
    }
  }

  /** Whether the handshake is complete, so it may receive tasks. */
  get ready(): boolean {
    return this.pending.size === 0 && !this.leaving;
  }

  /**
   * Whether it is a foreman (CCTools' `work_queue_worker --foreman`: its
   * handshake's OS is `foreman`): a manager of workers of its own, whose
   * resources it reports as theirs summed.
   */
  get foreman(): boolean {
    return this.os === "foreman";
  }

  /** Whether it may be given tasks: its handshake is complete and it stands for a worker or more. */
  get runsTasks(): boolean {
    return this.ready && this.workers >= 1;
  }

  /**
   * The most one task may take on it, and what a task that asks for nothing
   * takes: the whole worker, or a foreman's largest worker (a task runs on
   * one of its workers; CCTools' manager sizes it so too).
   */
  get box(): Resources {
    if (!this.foreman) return this.total;
    const t = this.total, l = this.largest;
    return {
      cores: Math.min(t.cores, l.cores),
      memory: Math.min(t.memory, l.memory),
      disk: Math.min(t.disk, l.disk),
      gpus: Math.min(t.gpus, l.gpus),
    };
  }

  /** The IP address part of `addr`. */
  get ip(): string {
    return this.addr.slice(0, this.addr.lastIndexOf(":"));
  }

  /** Average turnaround in ms, or `undefined` without history. */
  get averageTurnaround(): number | undefined {
    return this.turnaroundCount ? this.turnaroundSum / this.turnaroundCount : undefined;
  }

  /** A short name for logs: `host (ip:port)`. */
  get label(): string {
    return `${this.hostname} (${this.addr})`;
  }
}
