/**
 * Inputs the worker makes itself (spec-11 §3.1, §3.2; spec-9 §4): a URL it
 * downloads (`puturl`, protocol 9's `url`), a shell command that writes the
 * file (`putcmd`, `thirdget 1`), or a path of a shared file system it
 * copies or links (`thirdget 2`/`3`).
 *
 * They are queued lazily, and made at the stage-in of the first task that
 * lists them: into the cache, like any uploaded file, and kept there for
 * later tasks. One that cannot be made is forgotten, so that the manager
 * may queue it again; the task that needed it fails with the reason (never
 * the connection). Unlike CCTools' worker, an HTTP error status is a
 * failure: the error page is not cached as the input.
 *
 * @module
 */

import { errorMessage } from "../errors.ts";
import { clip } from "../wire/protocol.ts";
import type { TaskBlock } from "../wire/task_block.ts";
import { symlink } from "./symlink.ts";
import { removeAll, type Workspace } from "./workspace.ts";

/** Where a made input comes from. */
export type MadeSource =
  /** Download this URL (http or https). */
  | { kind: "url"; url: string }
  /** Run this shell command; `%%` stands for the absolute path of the file to create. */
  | { kind: "command"; command: string }
  /** Copy this path of a shared file system. */
  | { kind: "copy"; path: string }
  /** Link to this path of a shared file system. */
  | { kind: "symlink"; path: string };

/** How making one input ended. */
export type MadeOutcome =
  /** It is in the cache: its size in bytes and how long making it took. */
  | { ok: true; size: number; usec: number }
  /**
   * It could not be made: `why` is one line; `text` adds what the command
   * printed (bounded), for the manager's log.
   */
  | { ok: false; why: string; text: string };

/** Options for {@linkcode MadeInputs}. */
export interface MadeInputsOptions {
  /** The workspace whose cache receives the inputs. */
  workspace: Workspace;
  /** Called once per input made or failed (e.g. to send `cache-update`/`cache-invalid`). */
  onMade?: (name: string, outcome: MadeOutcome) => void;
  /** Debug log. */
  log?: (message: string) => void;
  /** Stops every download and command (the session ended). */
  signal?: AbortSignal;
}

/** Most bytes of a command's stdout, and of its stderr, kept for the failure message. */
export const MAX_COMMAND_OUTPUT = 4096;

interface Entry {
  source: MadeSource;
  mode: number;
  /** Set while it is being made; every task that needs it waits on the same promise. */
  making?: Promise<MadeOutcome>;
  /** Aborted by `forget` (an `unlink`) and at the end of the session. */
  abort: AbortController;
}

/**
 * The queue of made inputs of one connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Workspace } from "./workspace.ts";
 * const dir = await Deno.makeTempDir();
 * const ws = await Workspace.create(dir);
 * await ws.prepare();
 * const made = new MadeInputs({ workspace: ws });
 * made.queue("cmd-0-ab", { kind: "command", command: "echo hi > %%" }, 0o644);
 * const task = { id: 1, command: "cat x", request: {}, env: [], outputs: [],
 *   inputs: [{ kind: "file" as const, cachedName: "cmd-0-ab", remoteName: "x", flags: 1 }] };
 * assert.equal(await made.provide(task), undefined);
 * assert.equal(await Deno.readTextFile(ws.cachePath("cmd-0-ab")), "hi\n");
 * await ws.remove();
 * await Deno.remove(dir);
 * ```
 */
export class MadeInputs {
  #o: MadeInputsOptions;
  #queued = new Map<string, Entry>();
  #log: (message: string) => void;

  /** @param options Workspace, callbacks and the session's signal. */
  constructor(options: MadeInputsOptions) {
    this.#o = options;
    this.#log = options.log ?? (() => {});
  }

  /** How many inputs are queued or being made. */
  get size(): number {
    return this.#queued.size;
  }

  /**
   * Queues an input; nothing is made yet. A later queueing of the same
   * name replaces the earlier one.
   *
   * @param name The cache name.
   * @param source Where it comes from.
   * @param mode The file's permission bits.
   */
  queue(name: string, source: MadeSource, mode: number): void {
    this.forget(name);
    this.#queued.set(name, { source, mode, abort: new AbortController() });
  }

  /**
   * Forgets a queued input (an `unlink`), stopping it if it is being made.
   *
   * @param name The cache name.
   * @returns Whether it was queued.
   */
  forget(name: string): boolean {
    const e = this.#queued.get(name);
    if (!e) return false;
    this.#queued.delete(name);
    e.abort.abort(new Error("the manager unlinked it"));
    return true;
  }

  /**
   * Whether an input of this name is queued or being made.
   *
   * @param name The cache name.
   * @returns True until it is made, fails or is forgotten.
   */
  queued(name: string): boolean {
    return this.#queued.has(name);
  }

  /**
   * Whether a task needs an input that is still to be made.
   *
   * @param spec The task.
   * @returns True if {@linkcode MadeInputs.provide} has work to do for it.
   */
  needs(spec: TaskBlock): boolean {
    if (this.#queued.size === 0) return false;
    return spec.inputs.some((i) => i.kind === "file" && this.#queued.has(i.cachedName));
  }

  /**
   * Makes every queued input the task lists, one after the other.
   *
   * @param spec The task.
   * @returns Why the task cannot run (one line naming the input and its
   * source), or `undefined` when all are in the cache.
   */
  async provide(spec: TaskBlock): Promise<string | undefined> {
    for (const input of spec.inputs) {
      if (input.kind !== "file") continue;
      const e = this.#queued.get(input.cachedName);
      if (!e) continue;
      e.making ??= this.#make(input.cachedName, e);
      const outcome = await e.making;
      if (!outcome.ok) {
        return `input '${input.remoteName}' from ${describe(e.source)}: ${outcome.why}`;
      }
    }
    return undefined;
  }

  /** Stops everything under way (the session ended). */
  abortAll(): void {
    for (const name of [...this.#queued.keys()]) this.forget(name);
  }

  async #make(name: string, e: Entry): Promise<MadeOutcome> {
    const ws = this.#o.workspace;
    const path = ws.cachePath(name);
    const signal = this.#o.signal
      ? AbortSignal.any([this.#o.signal, e.abort.signal])
      : e.abort.signal;
    const start = performance.now();
    this.#log(`making ${name} from ${describe(e.source)}`);
    let outcome: MadeOutcome;
    try {
      await removeAll(path);
      await makeInput(e.source, { path, tmp: ws.transferPath(), signal });
      // A copy keeps its source's mode, a link has none of its own.
      const chmod = e.source.kind === "url" || e.source.kind === "command";
      if (chmod) await Deno.chmod(path, (e.mode & 0o7777) | 0o400);
      const size = (await Deno.stat(path)).size;
      outcome = { ok: true, size, usec: Math.round((performance.now() - start) * 1000) };
    } catch (err) {
      const failure = err instanceof MadeInputError ? err : new MadeInputError(
        signal.aborted ? `stopped: ${errorMessage(signal.reason)}` : errorMessage(err),
      );
      await removeAll(path).catch((r) => this.#log(`cannot remove ${name}: ${errorMessage(r)}`));
      outcome = {
        ok: false,
        why: failure.message,
        text: `${failure.message}\n${failure.output}`,
      };
    }
    // Made: a cache entry like any other from now on. Failed: forgotten,
    // so that the manager may queue it again.
    if (this.#queued.get(name) === e) this.#queued.delete(name);
    if (e.abort.signal.aborted) return outcome; // unlinked meanwhile: say nothing of it
    this.#log(`${name}: ${outcome.ok ? `made, ${outcome.size} bytes` : `failed: ${outcome.why}`}`);
    this.#o.onMade?.(name, outcome);
    return outcome;
  }
}

/** A failure to make an input: a one-line message and what the command printed. */
class MadeInputError extends Error {
  output: string;
  constructor(message: string, output = "") {
    super(message);
    this.name = "MadeInputError";
    this.output = output;
  }
}

/** The source in words, for messages: the URL, or the command quoted. */
function describe(s: MadeSource): string {
  switch (s.kind) {
    case "url":
      return clip(s.url, 300);
    case "command":
      return `command '${clip(s.command, 300)}'`;
    case "copy":
      return `a copy of '${clip(s.path, 300)}'`;
    case "symlink":
      return `a link to '${clip(s.path, 300)}'`;
  }
}

/** Makes one input at `path`; throws a {@linkcode MadeInputError} saying why not. */
async function makeInput(
  s: MadeSource,
  at: { path: string; tmp: string; signal: AbortSignal },
): Promise<void> {
  switch (s.kind) {
    case "url":
      return await download(s.url, at);
    case "command":
      return await runCommand(s.command, at);
    case "copy":
      try {
        await Deno.copyFile(s.path, at.tmp);
        await Deno.rename(at.tmp, at.path);
      } catch (e) {
        await removeAll(at.tmp);
        throw new MadeInputError(`cannot copy it: ${errorMessage(e)}`);
      }
      return;
    case "symlink":
      try {
        await symlink(s.path, at.path);
      } catch (e) {
        throw new MadeInputError(`cannot link to it: ${errorMessage(e)}`);
      }
      return;
  }
}

/** Streams a URL into `tmp`, then renames it into place; an HTTP status of 400 or more fails. */
async function download(
  url: string,
  at: { path: string; tmp: string; signal: AbortSignal },
): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MadeInputError("it is not a URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new MadeInputError(`cannot fetch '${parsed.protocol}' URLs (only http and https)`);
  }
  let res: Response;
  try {
    res = await fetch(parsed, { signal: at.signal, redirect: "follow" });
  } catch (e) {
    // fetch() says only "fetch failed"; its cause says why.
    const why = e instanceof Error && e.cause !== undefined
      ? errorMessage(e.cause)
      : errorMessage(e);
    throw new MadeInputError(`cannot fetch it: ${clip(oneLine(why), 300)}`);
  }
  if (res.status >= 400) {
    await res.body?.cancel();
    throw new MadeInputError(`HTTP ${res.status} ${res.statusText}`.trim());
  }
  try {
    const file = await Deno.open(at.tmp, { write: true, createNew: true, mode: 0o600 });
    if (res.body) await res.body.pipeTo(file.writable);
    else file.close();
    await Deno.rename(at.tmp, at.path);
  } catch (e) {
    await removeAll(at.tmp);
    throw new MadeInputError(`cannot download it: ${oneLine(errorMessage(e))}`);
  }
}

/**
 * Runs `/bin/sh -c` with `%%` replaced by the absolute path; it must exit 0
 * and create the file. Its stdout and stderr are kept (bounded) for the
 * failure message.
 */
async function runCommand(
  command: string,
  at: { path: string; signal: AbortSignal },
): Promise<void> {
  const cwd = at.path.slice(0, at.path.lastIndexOf("/"));
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("/bin/sh", {
      args: ["-c", command.replaceAll("%%", at.path)],
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: at.signal,
    }).spawn();
  } catch (e) {
    throw new MadeInputError(`cannot start /bin/sh: ${errorMessage(e)}`);
  }
  const [out, err, status] = await Promise.all([
    bounded(child.stdout),
    bounded(child.stderr),
    child.status,
  ]);
  const output = out + err;
  const first = output.trim().split("\n")[0] ?? "";
  const said = first ? `: ${clip(first, 200)}` : "";
  if (!status.success) {
    const how = status.signal
      ? `was killed by ${status.signal}`
      : `exited with status ${status.code}`;
    throw new MadeInputError(`the command ${how}${said}`, output);
  }
  try {
    await Deno.lstat(at.path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new MadeInputError(`the command exited 0 but did not create the file${said}`, output);
  }
}

/** Reads a stream to its end, keeping only its first {@linkcode MAX_COMMAND_OUTPUT} bytes. */
async function bounded(stream: ReadableStream<Uint8Array>): Promise<string> {
  const keep = new Uint8Array(MAX_COMMAND_OUTPUT);
  let n = 0;
  for await (const chunk of stream) {
    const take = Math.min(chunk.length, keep.length - n);
    if (take > 0) keep.set(chunk.subarray(0, take), n);
    n += take;
  }
  return new TextDecoder().decode(keep.subarray(0, n));
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, " ");
}
