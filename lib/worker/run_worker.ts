/**
 * The worker as a function: {@linkcode runWorker} takes parsed options and
 * resolves with the process exit status.
 *
 * @module
 */

import { CCTOOLS_VERSION, PROTOCOL_VERSION } from "../wire/protocol.ts";
import { WorkerLog } from "./log.ts";
import { localIdentity } from "./identity.ts";
import { WORKER_USAGE, type WorkerOptions } from "./options.ts";
import { detectResources } from "./detect_resources.ts";
import { workerLoop, type WorkerLoopContext, type WorkerSecurity } from "./worker_loop.ts";
import { Workspace } from "./workspace.ts";
import { errorMessage } from "../errors.ts";
import { readPasswordFile, readTlsTrust } from "../wire/secure_client.ts";
import { Measurer } from "./measure/measurer.ts";
import { detectCgroupPlace } from "./measure/cgroup.ts";
import { kernelFiles } from "./measure/proc_fs.ts";

export type { WorkerOptions } from "./options.ts";

const STOP_SIGNALS: Deno.Signal[] = ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP"];

/**
 * Runs a worker: makes its workspace, measures the machine, serves the
 * manager at `options.host:options.port` (reconnecting unless single-shot),
 * and removes the workspace before returning. SIGTERM, SIGINT, SIGQUIT and
 * SIGHUP kill the running tasks and stop it cleanly.
 *
 * @param options Parsed options, e.g. from {@linkcode parseWorkerArgs}.
 * @param loop What serves the managers once all is made: `workerLoop`, or
 * a foreman's (`lib/foreman/foreman_loop.ts`, which `worker/main.ts` passes
 * with `--foreman`).
 * @returns The exit status: 0 after a normal stop, 1 if the worker could not start.
 *
 * @example
 * ```ts ignore
 * import { parseWorkerArgs } from "./options.ts";
 * const status = await runWorker(parseWorkerArgs(["--single-shot", "127.0.0.1", "9123"]));
 * ```
 */
export async function runWorker(
  options: WorkerOptions,
  loop: (options: WorkerOptions, ctx: WorkerLoopContext) => Promise<number> = workerLoop,
): Promise<number> {
  if (options.action === "help") {
    console.log(WORKER_USAGE);
    return 0;
  }
  if (options.action === "version") {
    console.log(`wq-worker ${CCTOOLS_VERSION} (Work Queue protocol ${PROTOCOL_VERSION})`);
    return 0;
  }
  let security: WorkerSecurity;
  try {
    security = await readSecurity(options);
  } catch (e) {
    console.error(`wq-worker: ${errorMessage(e)}`);
    return 1;
  }
  let log: WorkerLog;
  try {
    log = new WorkerLog({ debug: options.debug, file: options.debugFile });
  } catch (e) {
    console.error(`wq-worker: cannot open debug file '${options.debugFile}': ${errorMessage(e)}`);
    return 1;
  }
  const ac = new AbortController();
  const onSignal = () => {
    log.notice("stopping: received a signal");
    ac.abort();
  };
  for (const s of STOP_SIGNALS) Deno.addSignalListener(s, onSignal);
  let workspace: Workspace | undefined;
  let measurer: Measurer | undefined;
  try {
    workspace = await Workspace.create(options.workdir);
    const total = detectResources(workspace.root, options);
    log.notice(`workspace ${workspace.root}`);
    log.notice(
      options.foreman
        ? `offering its workers' cores, memory and gpus, and disk ${total.disk} MB`
        : `offering cores ${total.cores}, memory ${total.memory} MB, disk ${total.disk} MB, gpus ${total.gpus}`,
    );
    // A foreman runs no task itself: its workers measure theirs.
    let cgroups;
    if (!options.foreman) {
      measurer = new Measurer({
        intervalSeconds: options.measureInterval,
        log: (m) => log.debug(m),
      });
      cgroups = detectCgroupPlace();
      const how = cgroups
        ? `cgroup v2 under ${cgroups.dir}`
        : kernelFiles
        ? "/proc"
        : "rusage only";
      log.notice(
        `measuring tasks every ${options.measureInterval} s through ${how}; ${
          options.enforce ? "enforcing" : "not enforcing"
        } their memory and disk`,
      );
    }
    return await loop(options, {
      workspace,
      total,
      identity: localIdentity(),
      security,
      log,
      signal: ac.signal,
      measurer,
      cgroups,
    });
  } catch (e) {
    log.notice(`stopping: ${errorMessage(e)}`);
    return 1;
  } finally {
    for (const s of STOP_SIGNALS) Deno.removeSignalListener(s, onSignal);
    measurer?.close();
    try {
      await workspace?.remove();
    } catch (e) {
      log.notice(`cannot remove workspace ${workspace?.root}: ${errorMessage(e)}`);
    }
    log.close();
  }
}

/** Reads the password file (`-P`) and the TLS trust (`--ssl-ca` and the rest) once, at start. */
async function readSecurity(options: WorkerOptions): Promise<WorkerSecurity> {
  const security: WorkerSecurity = {};
  try {
    if (options.passwordFile !== undefined) {
      security.password = readPasswordFile(options.passwordFile, "-P/--password");
    }
    security.tls = await readTlsTrust({
      ssl: options.ssl,
      sslCa: options.sslCa,
      sslFingerprint: options.sslFingerprints,
      sslInsecure: options.sslInsecure,
    });
  } catch (e) {
    if (e instanceof Error && e.cause instanceof Deno.errors.NotCapable) {
      // The shipped permission flags let the worker read only its workspace's places.
      throw new Error(
        `${e.message} (with its shipped permissions the worker reads only under /tmp and the directory it starts in)`,
        { cause: e },
      );
    }
    throw e;
  }
  return security;
}
