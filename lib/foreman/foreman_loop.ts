/**
 * The foreman: a worker to its manager and a manager to workers of its
 * own. It opens its own queue (our `WorkQueue`, on `--foreman-port`),
 * then serves its manager as a worker does, with a {@linkcode ForemanRunner}
 * in place of processes and the sum of its workers' resources
 * ({@linkcode WorkerSum}) in place of the machine's.
 *
 * @module
 */

import { WorkQueue } from "../manager/work_queue.ts";
import type { WorkerOptions } from "../worker/options.ts";
import { workerLoop, type WorkerLoopContext } from "../worker/worker_loop.ts";
import { errorMessage } from "../errors.ts";
import type { ForemanOptions } from "../worker/foreman_options.ts";
import { ForemanRunner } from "./foreman_runner.ts";
import { foremanStats, WorkerSum } from "./capacity.ts";

/** The fast path a foreman offers: results pushed and tasks queued ahead, but no function calls. */
const FOREMAN_FAST_PATH = 1;

/**
 * Runs the foreman until told to stop, as `workerLoop` runs a worker; its
 * queue is closed (its workers released) before this resolves.
 *
 * @param options The worker's options, with `foreman` set.
 * @param ctx What the worker made: workspace, resources (the disk is
 * offered as the foreman's), identity, log, stop signal, security.
 * @returns The exit status.
 */
export async function foremanLoop(
  options: WorkerOptions,
  ctx: WorkerLoopContext,
): Promise<number> {
  const f = options.foreman!;
  const { log } = ctx;
  const queue = openQueue(f, options, ctx);
  log.notice(
    `foreman: listening on port ${queue.port}${f.name ? ` as project ${f.name}` : ""}`,
  );
  const sum = new WorkerSum(ctx.total.disk, () => foremanStats(queue.stats));
  // Only the workers' comings and goings: the queue's task events are the runner's business.
  const events = queue.events({ types: ["worker-joined", "worker-left"] });
  const following = (async () => {
    for await (const e of events) {
      sum.follow(e);
      if (e.type === "worker-joined" || e.type === "worker-left") {
        log.debug(
          `foreman: ${e.worker.hostname} (${e.worker.host}) ${
            e.type === "worker-joined" ? "joined" : "left"
          }; ${sum.workers} workers, ${sum.total.cores} cores`,
        );
      }
    }
  })();
  try {
    if (f.portFile !== undefined) await Deno.writeTextFile(f.portFile, `${queue.port}\n`);
    return await workerLoop(options, {
      ...ctx,
      identity: { ...ctx.identity, os: "foreman" },
      capacity: sum,
      // The catalog record says whose foreman it is (my_manager), as CCTools' foremen's do.
      onManager: (address) => {
        try {
          queue.setUplink(address);
        } catch (e) {
          log.notice(`foreman: cannot advertise its manager ${address}: ${errorMessage(e)}`);
        }
      },
      fastPathVersion: FOREMAN_FAST_PATH,
      runner: (hooks) =>
        new ForemanRunner({
          queue,
          workspace: ctx.workspace,
          maxStdout: options.maxStdout,
          hooks,
          log: (m) => log.debug(m),
        }),
    });
  } catch (e) {
    log.notice(`stopping: ${errorMessage(e)}`);
    return 1;
  } finally {
    await queue.close();
    await following;
  }
}

/** The foreman's queue, on the first free port of its range. */
function openQueue(f: ForemanOptions, options: WorkerOptions, ctx: WorkerLoopContext): WorkQueue {
  const settings = {
    ...(f.name !== undefined ? { name: f.name } : {}),
    ...(options.catalog !== undefined ? { catalog: options.catalog } : {}),
    ...(ctx.security?.password ? { password: ctx.security.password } : {}),
  };
  for (let port = f.port;; port++) {
    try {
      const queue = new WorkQueue({ ...settings, port });
      if (f.fastAbort !== undefined) queue.activateFastAbort(f.fastAbort);
      return queue;
    } catch (e) {
      if (!(e instanceof Deno.errors.AddrInUse) || f.highPort === undefined) throw e;
      if (port >= f.highPort) {
        throw new Error(
          `Cannot listen for the foreman's workers: every port from ${f.port} to ${f.highPort} is in use`,
          { cause: e },
        );
      }
    }
  }
}
