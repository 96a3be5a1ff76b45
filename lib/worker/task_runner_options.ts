/**
 * What a worker's `TaskRunner` is given: its workspace and resources, the
 * callbacks it calls as tasks start and end, and how it runs and measures
 * them.
 *
 * @module
 */

import type { Resources } from "../resources.ts";
import type { TaskBlock } from "../wire/task_block.ts";
import type { Executor } from "./executor.ts";
import type { CgroupPlace } from "./measure/cgroup.ts";
import type { Measurer } from "./measure/measurer.ts";
import type { Workspace } from "./workspace.ts";

/** Options for `TaskRunner` (`task_runner.ts`). */
export interface TaskRunnerOptions {
  /** The workspace. */
  workspace: Workspace;
  /** The worker's resources. */
  total: Resources;
  /** The most stdout bytes reported per task. */
  maxStdout: number;
  /** Called (synchronously) whenever a task has finished and has a result. */
  onFinished: () => void;
  /** Called when a failed task left the workspace's disk full (its result says DISK_ALLOC_FULL). */
  onDiskFull?: (taskId: number, freeBytes: number) => void;
  /** Called after one or more tasks started, with the running count. */
  onStarted?: (running: number) => void;
  /** Called when a task's process has started, with its sandbox (to watch its outputs). */
  onProcessStarted?: (spec: TaskBlock, sandbox: string) => void;
  /** Called when a task's process has ended, before its outputs are moved out of the sandbox. */
  onProcessEnded?: (taskId: number) => void;
  /** Debug log. */
  log?: (message: string) => void;
  /** Whether `log` records anything; false skips building the messages. Default true. */
  debug?: boolean;
  /** The worker's environment for tasks. Default `Deno.env.toObject()`. */
  baseEnv?: Record<string, string>;
  /** How processes start. Default `processExecutor` (`executor.ts`). */
  executor?: Executor;
  /** Measures every task (`measured` in its result); none when absent. */
  measurer?: Measurer;
  /** Stop a task that goes over its memory or disk (its request); default true. */
  enforce?: boolean;
  /** Where each task gets a cgroup v2 of its own, if the worker may make them. */
  cgroups?: CgroupPlace;
}
