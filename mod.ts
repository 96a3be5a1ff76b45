/**
 * Work Queue for Deno: a manager/worker framework for scientific ensembles.
 * Submit thousands of shell commands with their input and output files;
 * workers on other machines run them and the manager collects the results.
 * Manager and worker speak the Work Queue protocol 9 of CCTools, so CCTools'
 * `work_queue_worker` and Python managers interoperate with them.
 *
 * @example Run a task and collect its output file
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task, WorkQueue } from "./mod.ts";
 *
 * await using wq = new WorkQueue({ port: 0 }); // workers: worker/main.ts 127.0.0.1 <wq.port>
 *
 * const t = new Task("sort < in.txt > out.txt");
 * t.specifyInputBuffer("b\na\n", "in.txt");
 * t.specifyOutputFile("/tmp/out.txt", "out.txt");
 * assert.equal(wq.submit(t), t.id);
 * assert.equal(wq.explain(t.id), `task ${t.id} waits: no worker is connected`);
 *
 * // With a worker connected, this loop yields t once its output is in place:
 * // for await (const done of wq) console.log(done.id, done.result, done.output);
 * ```
 *
 * @module
 */

export { WorkQueue } from "./lib/manager/work_queue.ts";
export { WorkQueueSettings } from "./lib/manager/work_queue_settings.ts";
export type { Logger, SslOptions, WorkQueueOptions } from "./lib/manager/options.ts";
export type { Clock, ClockTimer } from "./lib/clock.ts";
export type { WorkQueueStats } from "./lib/manager/stats.ts";
export type { CategoryResources, CategoryStats } from "./lib/manager/queue_categories.ts";
export type { CategoryCounts } from "./lib/manager/category_book.ts";
export type { AllocationModeName } from "./lib/manager/categories/category.ts";
export type { EnforcedResource, Exhaustion, Measured, MeasureMethod } from "./lib/measured.ts";
export type { QueueEvent, QueueEventWorker } from "./lib/manager/queue_event.ts";
export type { EventsOptions, EventStream } from "./lib/manager/event_stream.ts";
export type { WaitOptions, WaitResult } from "./lib/manager/wait.ts";
export { Task } from "./lib/task.ts";
export { TaskOutcome } from "./lib/task_outcome.ts";
export { TaskFiles } from "./lib/task_io.ts";
export type { CompletedTask } from "./lib/completed_task.ts";
export {
  CALL_MAX_ARGS_BYTES,
  CALL_MAX_RETRIES,
  FunctionCall,
  FunctionCallError,
} from "./lib/function_call.ts";
export type { CallError } from "./lib/function_call.ts";
export type { LibraryInfo, LibraryOptions } from "./lib/manager/libraries.ts";
export type { LibraryPermissions } from "./lib/wire/function_call.ts";
export type {
  DirectoryOptions,
  FileOptions,
  InputSpec,
  MadeTaskInput,
  OutputFileOptions,
  OutputSpec,
  TaskInput,
  TaskOutput,
} from "./lib/task_files.ts";
export type { ResourceRequest, TaskOptions } from "./lib/task_options.ts";
export type { Outcome, TaskState } from "./lib/task_result.ts";
export type { TaskJson } from "./lib/task_view.ts";
export { ConnectionClosedError, ProtocolError } from "./lib/errors.ts";
export * from "./lib/constants.ts";
