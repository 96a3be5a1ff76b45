/**
 * What a worker's session with one manager is given, and how it ends.
 *
 * @module
 */

import type { ClientConn } from "../wire/secure_client.ts";
import type { Dialect } from "../wire/protocol.ts";
import type { WorkerIdentity } from "../wire/worker_messages.ts";
import type { Resources } from "../resources.ts";
import type { Executor } from "./executor.ts";
import type { Measurer } from "./measure/measurer.ts";
import type { CgroupPlace } from "./measure/cgroup.ts";
import type { WorkerLog } from "./log.ts";
import type { Workspace } from "./workspace.ts";
import type { Capacity, Runner, RunnerHooks } from "./runner.ts";

/** Why a connection ended. */
export type SessionEnd =
  /** The manager sent `exit`: the worker quits. */
  | { kind: "exit" }
  /** The manager sent `release`: reconnect at once. */
  | { kind: "release" }
  /** No task came for the idle timeout: the worker quits. */
  | { kind: "idle" }
  /** The worker was told to stop (a signal). */
  | { kind: "aborted" }
  /**
   * EOF, a read/write error or a protocol error: reconnect after a backoff.
   * `heard` says whether the manager sent any message it understood first
   * (a peer that only refuses the worker has not served it). `silent`:
   * the manager closed the connection right after the handshake without
   * sending a byte, as a manager does that refuses the protocol's number.
   */
  | { kind: "lost"; reason: string; heard?: boolean; silent?: boolean };

/** Options for {@linkcode runSession}. */
export interface SessionOptions {
  /** The connected socket (secured, if so); it is closed when the session ends. */
  conn: ClientConn;
  /** The workspace (prepared). */
  workspace: Workspace;
  /** The worker's resources. */
  total: Resources;
  /** Host name, OS, architecture and worker id for the handshake. */
  identity: WorkerIdentity;
  /** Seconds without a task before leaving. */
  idleTimeout: number;
  /** Most stdout bytes per task. */
  maxStdout: number;
  /** How task processes start. Default: each in its own process group. */
  executor?: Executor;
  /** The log. */
  log: WorkerLog;
  /** Stops the session (e.g. on SIGTERM). */
  signal?: AbortSignal;
  /** The protocol to speak: 9 (the default) or 11. */
  dialect?: Dialect;
  /**
   * Offer the fast path (`lib/wire/fast_path.ts`) in the handshake, and use
   * it if the manager turns it on. Default `true`.
   */
  fastPath?: boolean;
  /** Measures every task (see docs/resources.md); none when absent. */
  measurer?: Measurer;
  /** Stop a task that goes over its memory or disk. Default `true`. */
  enforce?: boolean;
  /** Where each task gets a cgroup v2 of its own, if the worker may make them. */
  cgroups?: CgroupPlace;
  /**
   * Makes what runs the tasks; default a `TaskRunner` over `total`,
   * `executor` and the options above. A foreman gives its own.
   */
  runner?: (hooks: RunnerHooks) => Runner;
  /**
   * Resources that change while connected (a foreman's workers): they
   * replace `total` in the handshake, and each change is reported.
   */
  capacity?: Capacity;
  /** The fast path's version to offer; default `FAST_PATH_VERSION` (a foreman offers 1: no calls). */
  fastPathVersion?: number;
}
