/**
 * The worker's executor for function calls: a task whose command is a call
 * (`lib/wire/function_call.ts`) runs in its library's long-lived process;
 * every other task goes to the executor it wraps, unchanged.
 *
 * - **No sandbox** for a call without files of its own (`needsSandbox()`):
 *   its only input, the library's bundle, is read from the cache.
 * - **First call for a library**: its bundle (an input of the call, read
 *   from the cache) is unpacked into the library's sandbox,
 *   `<workspace>/lib.<key>/`, and its process starts there
 *   (`library_process.ts`). Later calls go to the same process.
 * - **Results**: the call's envelope is the task's stdout (in memory); exit
 *   code 0 for a value, 1 for an error (a throw, or a module that cannot be
 *   imported).
 * - **A crash** (the process ended while the call ran or waited): the task
 *   ends with `FORSAKEN`, which the manager retries; the next call starts the
 *   library again.
 * - **Kill** (cancel, a time limit): the call is given up at once; if it was
 *   running, its slot stays taken until the function returns. When every
 *   slot is so held, the library is stopped and started again, and the calls
 *   waiting go to the new process.
 *
 * @module
 */

import { WORK_QUEUE_RESULT_FORSAKEN } from "../../constants.ts";
import { Buffer } from "node:buffer";
import {
  bundleName,
  type CallCommand,
  type CallError,
  callError,
  type LibraryBundle,
  parseBundle,
  parseCallCommand,
} from "../../wire/function_call.ts";
import type { Executor, ProcessOutcome, ProcessSpec, RunningProcess } from "../executor.ts";
import type { TaskBlock } from "../../wire/task_block.ts";
import { type CallEnd, LibraryProcess } from "./library_process.ts";
import { errorMessage } from "../../errors.ts";
import { SANDBOX_TMP } from "../task_dirs.ts";

/** Options for {@linkcode CallExecutor}. */
export interface CallExecutorOptions {
  /** The executor for every task that is not a call. */
  base: Executor;
  /** The workspace's root: libraries get their sandboxes there. */
  root: string;
  /** The workspace's cache, where a library's bundle is read on its first call. */
  cacheDir?: string;
  /** The environment of library processes (Deno's own settings; the library reads none of it). */
  env?: Record<string, string>;
  /** Debug log. */
  log?: (message: string) => void;
}

/** Runs calls in library processes and everything else through `base`; `close()` stops the libraries. */
export class CallExecutor implements Executor {
  #o: CallExecutorOptions;
  #libraries = new Map<string, LibraryProcess>();
  #log: (message: string) => void;
  #closed = false;
  #calls = 0;
  /** Each library's bundle, by key: its cache name. */
  #bundles = new Map<string, string>();

  /** @param options The wrapped executor, the workspace's root, the log. */
  constructor(options: CallExecutorOptions) {
    this.#o = options;
    this.#log = options.log ?? (() => {});
  }

  /**
   * Starts a task: a call in its library, anything else through the base executor.
   *
   * @param spec The task's command, sandbox and stdout file.
   * @returns The running task.
   */
  start(spec: ProcessSpec): RunningProcess {
    const call = parseCallCommand(spec.command);
    if (call === undefined) return this.#o.base.start(spec);
    return this.#startCall(call, spec);
  }

  /**
   * Whether a task needs its sandbox: every task but a call without files
   * of its own, whose bundle is read from the cache. Notes the bundle's
   * cache name of every call.
   *
   * @param block The task.
   * @returns `false` for a call without files.
   */
  needsSandbox(block: TaskBlock): boolean {
    const call = parseCallCommand(block.command);
    if (call === undefined) return true;
    const name = bundleName(call.key);
    const bundle = block.inputs.find((i) => i.remoteName === name);
    if (bundle === undefined || bundle.kind !== "file" || this.#o.cacheDir === undefined) {
      return true;
    }
    this.#bundles.set(call.key, bundle.cachedName);
    return call.files === true;
  }

  #library(call: CallCommand, sandbox: string): LibraryProcess {
    const known = this.#libraries.get(call.key);
    if (known && known.endedWith?.kind !== "crashed") return known; // running, or it cannot load
    if (this.#closed) throw new Error(`Cannot start library ${call.key}: the worker is stopping`);
    const cached = this.#bundles.get(call.key);
    const bundle = parseBundle(Deno.readTextFileSync(
      cached === undefined ? `${sandbox}/${bundleName(call.key)}` : `${this.#o.cacheDir}/${cached}`,
    ));
    const dir = this.#dir(call.key);
    if (!known) {
      for (const [path, b64] of Object.entries(bundle.files)) {
        const file = `${dir}/${path}`;
        Deno.mkdirSync(file.slice(0, file.lastIndexOf("/")), { recursive: true });
        Deno.writeFileSync(file, Buffer.from(b64, "base64"));
      }
    }
    return this.#spawn(bundle);
  }

  #spawn(bundle: LibraryBundle): LibraryProcess {
    const p: LibraryProcess = new LibraryProcess(bundle, {
      dir: this.#dir(bundle.key),
      env: this.#o.env,
      log: this.#log,
      onStuck: () => {
        // Every slot is held by a call given up: stop it, and start again with the calls waiting.
        if (this.#libraries.get(bundle.key) !== p || this.#closed) return;
        this.#log(`library ${bundle.key}: every slot is held by a call given up; restarting it`);
        const waiting = p.takeQueue();
        p.close().catch((e) => this.#log(`library ${bundle.key}: ${errorMessage(e)}`));
        this.#spawn(bundle).adopt(waiting);
      },
    });
    this.#libraries.set(bundle.key, p);
    return p;
  }

  #startCall(call: CallCommand, spec: ProcessSpec): RunningProcess {
    const started = performance.now();
    let lib: LibraryProcess;
    try {
      lib = this.#library(call, spec.cwd);
    } catch (e) {
      this.#log(`library ${call.key}: cannot start it: ${errorMessage(e)}`);
      const error = prefixed(callError(e), "Cannot start the library: ");
      return settled({ exit: 1, usec: 0, stdoutText: encoder.encode(JSON.stringify({ error })) });
    }
    let dir: string | undefined;
    let gaveUp = false;
    if (call.files) {
      dir = `call.${++this.#calls}`;
      moveEntries(spec.cwd, `${this.#dir(call.key)}/${dir}`, { skip: [bundleName(call.key)] });
    }
    const { end, abandon } = lib.call(call.fn, call.args, dir);
    let resolveKilled!: (o: ProcessOutcome) => void;
    const killed = new Promise<ProcessOutcome>((r) => resolveKilled = r);
    const usec = () => Math.max(0, Math.round((performance.now() - started) * 1000));
    const done = Promise.race([
      killed,
      end.then((e) => {
        if (dir !== undefined) {
          // Its files (outputs too) go back to its sandbox, unless the task is gone.
          const from = `${this.#dir(call.key)}/${dir}`;
          if (!gaveUp) moveEntries(from, spec.cwd, { skip: [] });
          Deno.removeSync(from, { recursive: true });
        }
        return finish(e, usec());
      }),
    ]);
    return {
      pid: lib.pid,
      done,
      lingering: () => false,
      close: () => {},
      kill: () => {
        gaveUp = true;
        abandon();
        resolveKilled({ exit: 0, signal: 9, signalName: "SIGKILL", usec: usec() });
      },
    };
  }

  #dir(key: string): string {
    return `${this.#o.root}/lib.${key}`;
  }

  /** Stops every library process. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#libraries.values()];
    this.#libraries.clear();
    await Promise.all(all.map((p) => p.close()));
  }
}

/**
 * Moves every entry of `from` (but `skip` and the sandbox's temporary
 * directory) into `to`, which it makes: a call's files between its
 * sandbox and its directory in the library's sandbox (one filesystem).
 */
function moveEntries(from: string, to: string, options: { skip: string[] }): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const e of Deno.readDirSync(from)) {
    if (e.name === SANDBOX_TMP || options.skip.includes(e.name)) continue;
    Deno.renameSync(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** A task that ended before it began. */
function settled(outcome: ProcessOutcome): RunningProcess {
  return {
    pid: 0,
    done: Promise.resolve(outcome),
    lingering: () => false,
    close: () => {},
    kill: () => {},
  };
}

const encoder = new TextEncoder();

/** An error whose message (and the first line of its stack) begins with `prefix`. */
function prefixed(e: CallError, prefix: string): CallError {
  const out: CallError = { name: e.name, message: prefix + e.message };
  if (e.stack !== undefined) {
    const nl = e.stack.indexOf("\n");
    out.stack = `${e.name}: ${out.message}${nl < 0 ? "" : e.stack.slice(nl)}`;
  }
  return out;
}

/** The call's stdout (in memory), and how it ended. */
function finish(e: CallEnd, usec: number): ProcessOutcome {
  switch (e.kind) {
    case "done":
      return { exit: e.threw ? 1 : 0, usec, stdoutText: encoder.encode(e.envelope) };
    case "load-error": {
      const error = prefixed(e.error, "Cannot load the library: ");
      return { exit: 1, usec, stdoutText: encoder.encode(JSON.stringify({ error })) };
    }
    case "crashed":
      return {
        exit: 0,
        usec,
        status: WORK_QUEUE_RESULT_FORSAKEN,
        stdoutText: encoder.encode(`wq-worker: ${e.why} during the call\n`),
      };
  }
}
