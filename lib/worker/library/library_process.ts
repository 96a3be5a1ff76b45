/**
 * One running library: a Deno process that imported the library's module
 * once (`host.ts`), with the calls it runs now and those waiting for one of
 * its `slots`.
 *
 * @module
 */

import type { CallError, LibraryBundle } from "../../wire/function_call.ts";
import { encodeLibraryRequest, parseLibraryResponse } from "../../wire/library_pipe.ts";
import { denoFlags } from "./permissions.ts";

/** How a call ended, as the library process says. */
export type CallEnd =
  /** It returned or threw: the envelope's JSON. */
  | { kind: "done"; envelope: string; threw: boolean }
  /** The module could not be imported. */
  | { kind: "load-error"; error: CallError }
  /** The process ended while the call ran or waited (its exit status, stderr's tail). */
  | { kind: "crashed"; why: string };

/** A call waiting for a slot or running. */
export interface PendingCall {
  fn: string;
  args: string;
  dir?: string;
  resolve: (end: CallEnd) => void;
  id?: number;
  /** Given up while it ran: it holds its slot until its function returns. */
  gaveUp?: boolean;
}

const HOST = new URL("./host.ts", import.meta.url).href;
const STDERR_TAIL = 2000;

/** Options for {@linkcode LibraryProcess}. */
export interface LibraryProcessOptions {
  /** The library's sandbox, its working directory; it holds the bundle's files. */
  dir: string;
  /** The environment the process gets (it reads none of it without the `env` permission). */
  env?: Record<string, string>;
  /** Debug log (the library's stderr goes there too). */
  log?: (message: string) => void;
  /** Called when every slot is held by a call given up (a function that does not return). */
  onStuck?: () => void;
}

/** A library's process, started at once; calls queue until it is ready. */
export class LibraryProcess {
  readonly bundle: LibraryBundle;
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #queue: PendingCall[] = [];
  #inFlight = new Map<number, PendingCall>();
  #nextId = 1;
  #ready = false;
  #ended: CallEnd | undefined;
  #stderrTail = "";
  #log: (message: string) => void;
  #closing = false;
  #pumping = false;
  #onStuck: (() => void) | undefined;
  /** Resolves when the process has ended and every call is answered. */
  readonly ended: Promise<void>;

  /**
   * @param bundle The library.
   * @param options Its sandbox, environment and log.
   */
  constructor(bundle: LibraryBundle, options: LibraryProcessOptions) {
    this.bundle = bundle;
    this.#log = options.log ?? (() => {});
    this.#onStuck = options.onStuck;
    const args = ["run", ...denoFlags(bundle.permissions, options.dir), HOST, bundle.entry];
    this.#child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: options.dir,
      env: options.env,
      clearEnv: options.env !== undefined,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#log(`library ${bundle.key}: started as pid ${this.#child.pid}`);
    this.#stdin = this.#child.stdin.getWriter();
    this.ended = Promise.all([this.#readStdout(), this.#readStderr(), this.#child.status]).then(
      ([, , status]) => this.#onExit(status),
    );
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** How it ended (crashed or closed, or its module failed to load), or `undefined` while it runs. */
  get endedWith(): CallEnd | undefined {
    return this.#ended;
  }

  /**
   * Runs a call when a slot is free.
   *
   * @param fn The function.
   * @param args The arguments' JSON.
   * @param dir The call's own directory, inside the library's sandbox, if it has files.
   * @returns How it ended, and a way to give up on it (its slot is taken
   * until the function returns).
   */
  call(fn: string, args: string, dir?: string): { end: Promise<CallEnd>; abandon: () => void } {
    let resolve!: (end: CallEnd) => void;
    const end = new Promise<CallEnd>((r) => resolve = r);
    const p: PendingCall = { fn, args, dir, resolve };
    if (this.#ended) resolve(this.#ended);
    else {
      this.#queue.push(p);
      this.#pumpSoon();
    }
    return {
      end,
      abandon: () => {
        const i = this.#queue.indexOf(p);
        if (i >= 0) this.#queue.splice(i, 1);
        p.resolve = () => {};
        if (p.id === undefined || !this.#inFlight.has(p.id)) return;
        p.gaveUp = true;
        const all = [...this.#inFlight.values()];
        if (all.length >= this.bundle.slots && all.every((q) => q.gaveUp)) this.#onStuck?.();
      },
    };
  }

  /**
   * Takes the calls waiting for a slot (to give them to a new process).
   *
   * @returns The calls, oldest first.
   */
  takeQueue(): PendingCall[] {
    const q = this.#queue;
    this.#queue = [];
    return q;
  }

  /**
   * Takes calls another process had waiting.
   *
   * @param calls The calls, oldest first.
   */
  adopt(calls: PendingCall[]): void {
    if (this.#ended) {
      for (const p of calls) p.resolve(this.#ended);
      return;
    }
    this.#queue.push(...calls);
    this.#pumpSoon();
  }

  /** Pumps once at the end of this turn: the calls started together go in one write. */
  #pumpSoon(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    queueMicrotask(() => {
      this.#pumping = false;
      this.#pump();
    });
  }

  /** Sends waiting calls while slots are free. */
  #pump(): void {
    if (!this.#ready || this.#ended) return;
    let text = "";
    while (this.#queue.length > 0 && this.#inFlight.size < this.bundle.slots) {
      const p = this.#queue.shift()!;
      p.id = this.#nextId++;
      this.#inFlight.set(p.id, p);
      text += encodeLibraryRequest({ id: p.id, fn: p.fn, dir: p.dir, args: p.args });
    }
    if (text === "") return;
    this.#stdin.write(new TextEncoder().encode(text)).catch((e) => {
      this.#log(`library ${this.bundle.key}: cannot write to it: ${e}`);
    });
  }

  async #readStdout(): Promise<void> {
    let buffered = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        this.#onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    }
  }

  #onLine(line: string): void {
    const m = parseLibraryResponse(line);
    if (m === undefined) {
      this.#log(`library ${this.bundle.key} wrote to stdout: ${line.slice(0, 200)}`);
    } else if (m.kind === "ready") {
      this.#ready = true;
      this.#log(`library ${this.bundle.key}: ready`);
      this.#pumpSoon();
    } else if (m.kind === "load-error") {
      this.#end({ kind: "load-error", error: m.error });
    } else {
      const p = this.#inFlight.get(m.id);
      if (!p) return;
      this.#inFlight.delete(m.id);
      p.resolve({ kind: "done", envelope: m.envelope, threw: m.envelope.startsWith('{"error"') });
      this.#pumpSoon();
    }
  }

  async #readStderr(): Promise<void> {
    let buffered = "";
    for await (const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-STDERR_TAIL);
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        this.#log(`library ${this.bundle.key}: ${buffered.slice(0, nl)}`);
        buffered = buffered.slice(nl + 1);
      }
    }
  }

  #onExit(status: Deno.CommandStatus): void {
    const how = status.signal ? `was killed by ${status.signal}` : `exited with ${status.code}`;
    this.#log(`library ${this.bundle.key} (pid ${this.#child.pid}) ${how}`);
    const tail = this.#stderrTail.trim().split("\n").slice(-3).join(" | ");
    if (!this.#ready && !this.#closing) {
      // It never imported its module (Deno could not start it, or the module's top level exited).
      this.#end({
        kind: "load-error",
        error: {
          name: "Error",
          message: `its process ${how} before its module was loaded${
            tail ? ` (stderr: ${tail})` : ""
          }`,
        },
      });
    }
    this.#end({
      kind: "crashed",
      why: `library '${this.bundle.name}' ${this.#closing ? "was stopped" : how}${
        tail ? ` (stderr: ${tail})` : ""
      }`,
    });
    this.#stdin.close().catch(() => {});
  }

  /** Ends every call with `end`; later calls get it at once. */
  #end(end: CallEnd): void {
    this.#ended ??= end;
    const all = [...this.#inFlight.values(), ...this.#queue];
    this.#inFlight.clear();
    this.#queue = [];
    for (const p of all) p.resolve(this.#ended);
    if (end.kind === "load-error") this.#kill();
  }

  #kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // It has exited already.
    }
  }

  /** Stops the process (its calls end as crashed) and waits for it. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#kill();
    await this.ended;
  }
}
