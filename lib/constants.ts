/**
 * Public constants with the numeric values of CCTools' `work_queue.h`
 * (protocol 9), so that code ported from the Python module reads the same.
 *
 * @module
 */

/** The port a manager listens on when none is given: `9123`. */
export const WORK_QUEUE_DEFAULT_PORT = 9123;
/**
 * Pass as `port` to listen on any free port: `0`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WORK_QUEUE_RANDOM_PORT, WorkQueue } from "../mod.ts";
 *
 * await using wq = new WorkQueue({ port: WORK_QUEUE_RANDOM_PORT, hostname: "127.0.0.1" });
 * assert.notEqual(wq.port, WORK_QUEUE_RANDOM_PORT); // the port the system chose
 * ```
 */
export const WORK_QUEUE_RANDOM_PORT = 0;
/**
 * Pass to `wait()` to wait until a task completes: `-1`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WORK_QUEUE_WAITFORTASK, WorkQueue } from "../mod.ts";
 *
 * await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
 * // Nothing was submitted, so there is nothing to wait for: null at once.
 * assert.equal(await wq.wait(WORK_QUEUE_WAITFORTASK), null);
 * ```
 */
export const WORK_QUEUE_WAITFORTASK = -1;

/**
 * The task ran and every output came back. The command may still have
 * failed: check `returnStatus` (an exit code, or the number of the signal
 * that killed the task's shell).
 */
export const WORK_QUEUE_RESULT_SUCCESS = 0;
/** A local input file or directory was missing or unreadable; the task did not run. */
export const WORK_QUEUE_RESULT_INPUT_MISSING = 1;
/** The task ran but at least one declared output was not produced. */
export const WORK_QUEUE_RESULT_OUTPUT_MISSING = 2;
/** Standard output could not be kept whole (too large, or lost). */
export const WORK_QUEUE_RESULT_STDOUT_MISSING = 4;
/**
 * CCTools' "terminated with a signal". Neither our worker nor our manager
 * (nor CCTools' worker) produces it: a task whose shell a signal kills comes
 * back as {@linkcode WORK_QUEUE_RESULT_SUCCESS} with the signal's number in
 * `returnStatus`. The manager passes it on only if a worker reports it.
 */
export const WORK_QUEUE_RESULT_SIGNAL = 8;
/** The task exceeded the resources it was given. */
export const WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION = 16;
/** The task's end time passed before it finished. */
export const WORK_QUEUE_RESULT_TASK_TIMEOUT = 24;
/** The worker reported an unknown failure. */
export const WORK_QUEUE_RESULT_UNKNOWN = 32;
/** The worker could not run the task (it needs more than the worker has). */
export const WORK_QUEUE_RESULT_FORSAKEN = 40;
/** The task failed because of the infrastructure more often than allowed. */
export const WORK_QUEUE_RESULT_MAX_RETRIES = 48;
/** The task ran longer than its maximum run time. */
export const WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME = 56;
/** The task's disk allocation filled up. */
export const WORK_QUEUE_RESULT_DISK_ALLOC_FULL = 64;
/** The resource monitor failed. */
export const WORK_QUEUE_RESULT_RMONITOR_ERROR = 72;

/**
 * No scheduling algorithm chosen (use the queue's).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task, WORK_QUEUE_SCHEDULE_UNSET, WorkQueue } from "../mod.ts";
 *
 * // A new task uses the queue's algorithm...
 * assert.equal(new Task("true").algorithm, WORK_QUEUE_SCHEDULE_UNSET);
 * // ...and the queue must have one.
 * await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
 * assert.throws(() => wq.specifyAlgorithm(WORK_QUEUE_SCHEDULE_UNSET), RangeError);
 * ```
 */
export const WORK_QUEUE_SCHEDULE_UNSET = 0;
/** First come, first served: the first ready worker. */
export const WORK_QUEUE_SCHEDULE_FCFS = 1;
/** The worker that already caches the most bytes of the task's inputs. */
export const WORK_QUEUE_SCHEDULE_FILES = 2;
/** The worker with the fastest average turnaround. */
export const WORK_QUEUE_SCHEDULE_TIME = 3;
/** A random ready worker. */
export const WORK_QUEUE_SCHEDULE_RAND = 4;
/** The worker with the most unused resources. */
export const WORK_QUEUE_SCHEDULE_WORST = 5;
/** A worker on one of the task's preferred hosts, if one is ready (from the paper). */
export const WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS = 6;

/**
 * Category allocation mode (the default): each task runs with what it
 * declares, or with its category's maximum, or a whole worker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WORK_QUEUE_ALLOCATION_MODE_MAX, WorkQueue } from "../mod.ts";
 *
 * await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
 * wq.specifyCategoryMode("align", WORK_QUEUE_ALLOCATION_MODE_MAX);
 * assert.equal(wq.categoryStats("align").modeName, "max");
 * ```
 */
export const WORK_QUEUE_ALLOCATION_MODE_FIXED = 0;
/** Category allocation mode: size tasks by the largest amounts measured so far. */
export const WORK_QUEUE_ALLOCATION_MODE_MAX = 1;
/** Category allocation mode: the first allocation that wastes the least, over the measurements. */
export const WORK_QUEUE_ALLOCATION_MODE_MIN_WASTE = 2;
/** Category allocation mode: the first allocation that gives the most throughput. */
export const WORK_QUEUE_ALLOCATION_MODE_MAX_THROUGHPUT = 3;

/** File flag: do not keep the file in the worker's cache (`Task` takes `{ cache: false }`). */
export const WORK_QUEUE_NOCACHE = 0;
/**
 * File flag: keep the file in the worker's cache for later tasks (`Task` takes
 * `{ cache: true }`, its default for inputs).
 */
export const WORK_QUEUE_CACHE = 1;
/**
 * File flag: stream an output back while the task runs (`Task` takes
 * `{ watch: true }` on an output file).
 */
export const WORK_QUEUE_WATCH = 16;
