/**
 * Many simulated workers in one process, to load a manager without running
 * anything: each speaks protocol 9 like our worker (the handshake of
 * `lib/wire/worker_messages.ts`) and answers every task at once with a success
 * (exit 0, no output). It parses bytes, not strings, and writes once per
 * tick per connection, so that the manager is the bottleneck.
 *
 * Like our worker (`lib/worker/session.ts`), each offers the fast path
 * (`lib/wire/fast_path.ts`) in its handshake; once the manager answers, it
 * pushes each result as its task ends, without `available_results`, and
 * takes tasks queued ahead (they end at once too, in arrival order). With
 * `--no-fast-path` it offers nothing and speaks plain protocol 9, as
 * CCTools' worker does: `available_results`, then the results when asked.
 *
 * ```sh
 * deno run -A bench/sim_workers.ts --port P --workers 1000 [--cores 1] [--first 0] [--host 127.0.0.1] [--no-fast-path]
 * ```
 *
 * It prints `ready` once every worker has connected and sent its handshake,
 * and runs until it is killed, its stdin closes, or every manager closed.
 *
 * @module
 */

import { FAST_PATH_FIELD, FAST_PATH_VERSION, parseFastPathAnswer } from "../lib/wire/fast_path.ts";
import { encodeResultsReplyLine } from "../lib/wire/results.ts";
import { encodeHandshake, encodeWorkerMessage } from "../lib/wire/worker_messages.ts";

const LF = 0x0a;
const BIG_BODY = 256 * 1024;
const BIG_BUFFER = 4 * 1024 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Options of {@linkcode simulateWorkers}. */
export interface SimWorkersOptions {
  /** The manager's port. */
  port: number;
  /** The manager's address. Default `127.0.0.1`. */
  host?: string;
  /** How many workers. Default 1000. */
  workers?: number;
  /** Cores each worker offers (tasks it runs at once). Default 1. */
  cores?: number;
  /** The number of the first worker (names and ids), when several processes simulate. Default 0. */
  first?: number;
  /** Offer the fast path (`lib/wire/fast_path.ts`), as our worker does. Default true. */
  fastPath?: boolean;
}

/** The running simulation. */
export interface SimWorkers extends AsyncDisposable {
  /** How many workers are connected now. */
  readonly connected: number;
  /** Results sent so far, over all workers. */
  readonly results: number;
  /** How many workers the manager answered with the fast path. */
  readonly fastPaths: number;
  /** Closes every connection. */
  close(): Promise<void>;
  /** Resolves when every connection has ended. */
  done: Promise<void>;
}

/** The fast path the simulated workers offer: 1, below {@linkcode FAST_PATH_VERSION}'s function calls. */
const SIM_FAST_PATH_VERSION = Math.min(1, FAST_PATH_VERSION);

function handshake(i: number, cores: number, fastPath: boolean): string {
  const id = (i + 1).toString(16).padStart(32, "0");
  return encodeHandshake(
    { hostname: `sim${i}`, os: "Linux", arch: "x86_64", workerId: `worker-${id}` },
    { cores, memory: 100000, disk: 100000, gpus: 0 },
    9,
    // Version 1: results pushed and tasks queued ahead, but no function
    // calls (version 2), which a simulated worker cannot run.
    fastPath ? { fastPath: SIM_FAST_PATH_VERSION } : {},
  );
}

/** A success with no output: what every simulated task ends with. */
function resultLine(taskId: number): string {
  return encodeResultsReplyLine({
    kind: "result",
    status: 0,
    exitCode: 0,
    stdoutLength: 0,
    execUsec: 0,
    taskId,
  });
}

const AVAILABLE_RESULTS = encodeWorkerMessage({ kind: "available_results" });
const ALIVE = encodeWorkerMessage({ kind: "alive" });
const END_LINE = encodeResultsReplyLine({ kind: "end" });

/** Parses a non-negative decimal at `buf[from..to)`; -1 if there is none. */
function parseUint(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  let any = false;
  for (let i = from; i < to; i++) {
    const c = buf[i] - 0x30;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
    any = true;
  }
  return any ? n : -1;
}

/** The index just past the `k`-th space of `buf[from..to)`, or `to`. */
function field(buf: Uint8Array, from: number, to: number, k: number): number {
  let i = from;
  while (k > 0 && i < to) if (buf[i++] === 0x20) k--;
  return i;
}

function startsWith(buf: Uint8Array, from: number, to: number, word: Uint8Array): boolean {
  if (to - from < word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[from + i] !== word[i]) return false;
  return to - from === word.length || buf[from + word.length] === 0x20;
}

const W = (s: string) => encoder.encode(s);
const TASK = W("task"), CMD = W("cmd"), ENV = W("env"), PUT = W("put"), DIR = W("dir");
const END = W("end"), SEND_RESULTS = W("send_results"), CHECK = W("check"), GET = W("get");
const EXIT = W("exit"), RELEASE = W("release"), URL = W("url"), KILL = W("kill");
const FAST_PATH = W(FAST_PATH_FIELD);

/** One simulated worker: a socket, a read buffer and an outgoing text buffer. */
class SimWorker {
  readonly conn: Deno.TcpConn;
  #out = "";
  #writing = false;
  #scheduled = false;
  /** Finished task ids not yet reported. */
  #finished: number[] = [];
  #announced = false;
  #taskId = -1;
  /** Depth of `dir … end` trees being received outside a task block. */
  #depth = 0;
  /** Body bytes still to skip. */
  #skip = 0;
  #closed = false;
  /** The manager answered the fast path: results are pushed as tasks end. */
  #fastPath = false;

  /** Whether the manager turned the fast path on. */
  get fastPath(): boolean {
    return this.#fastPath;
  }
  results = 0;

  constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  send(text: string): void {
    this.#out += text;
    if (this.#writing || this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#flush());
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    if (this.#writing) return;
    this.#writing = true;
    try {
      while (this.#out.length > 0 && !this.#closed) {
        let bytes = encoder.encode(this.#out);
        this.#out = "";
        while (bytes.length > 0) bytes = bytes.subarray(await this.conn.write(bytes));
      }
    } catch {
      this.close();
    } finally {
      this.#writing = false;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed by the peer
    }
  }

  /** Reads and answers until the manager closes the connection. */
  async run(): Promise<void> {
    let buf = new Uint8Array(64 * 1024);
    let start = 0;
    let end = 0;
    try {
      for (;;) {
        if (start === end) start = end = 0;
        else if (end === buf.length) {
          if (start > 0) {
            buf.copyWithin(0, start, end);
            end -= start;
            start = 0;
          } else {
            const bigger = new Uint8Array(buf.length * 2);
            bigger.set(buf);
            buf = bigger;
          }
        }
        if (this.#skip >= BIG_BODY && start === end && buf.length < BIG_BUFFER) {
          // A large file body: read it in big chunks (the buffer stays big).
          buf = new Uint8Array(BIG_BUFFER);
          start = end = 0;
        }
        const n = await this.conn.read(buf.subarray(end));
        if (n === null) return;
        end += n;
        for (;;) {
          if (this.#skip > 0) {
            const take = Math.min(this.#skip, end - start);
            this.#skip -= take;
            start += take;
            if (this.#skip > 0) break;
          }
          const i = start === end ? -1 : buf.subarray(start, end).indexOf(LF);
          if (i < 0) break;
          const nl = start + i;
          const lineStart = start;
          start = nl + 1;
          if (!this.#line(buf, lineStart, nl)) return;
        }
      }
    } catch {
      // the connection broke
    } finally {
      this.close();
    }
  }

  /** Handles one line; returns false when the worker should hang up. */
  #line(b: Uint8Array, from: number, to: number): boolean {
    if (from === to) return true; // the LF after an `env` body
    if (this.#taskId >= 0) {
      if (startsWith(b, from, to, END)) {
        // The task "runs" and ends at once: a task queued ahead (fast path)
        // finds its slot free, since the one before it has ended too.
        if (this.#fastPath) {
          this.results++;
          this.send(resultLine(this.#taskId));
        } else {
          this.#finished.push(this.#taskId);
          if (!this.#announced) {
            this.#announced = true;
            this.send(AVAILABLE_RESULTS);
          }
        }
        this.#taskId = -1;
      } else if (startsWith(b, from, to, CMD) || startsWith(b, from, to, ENV)) {
        this.#skip = parseUint(b, field(b, from, to, 1), to);
      }
      return true; // category, cores, infile, outfile, dir …: nothing to do
    }
    if (startsWith(b, from, to, TASK)) {
      this.#taskId = parseUint(b, field(b, from, to, 1), to);
      // A task sent again under the same id replaces the old one, as in our worker.
      this.#forget(this.#taskId);
    } else if (startsWith(b, from, to, KILL)) {
      // Our worker drops the task's sandbox, and its result if not yet sent.
      const at = field(b, from, to, 1);
      this.#forget(b[at] === 0x2d ? -1 : parseUint(b, at, to));
    } else if (startsWith(b, from, to, SEND_RESULTS)) {
      let out = "";
      for (const id of this.#finished) out += resultLine(id);
      this.results += this.#finished.length;
      this.#finished = [];
      this.#announced = false;
      this.send(out + END_LINE);
    } else if (startsWith(b, from, to, FAST_PATH)) {
      parseFastPathAnswer(decoder.decode(b.subarray(from, to)));
      this.#fastPath = true;
      // Results that ended before the answer (none: it comes before any task) go now.
      const waiting = this.#finished;
      this.#finished = [];
      this.results += waiting.length;
      for (const id of waiting) this.send(resultLine(id));
    } else if (startsWith(b, from, to, PUT)) {
      this.#skip = parseUint(b, field(b, from, to, 2), to);
    } else if (startsWith(b, from, to, URL)) {
      this.#skip = parseUint(b, field(b, from, to, 2), to);
    } else if (startsWith(b, from, to, DIR)) {
      this.#depth++;
    } else if (startsWith(b, from, to, END)) {
      if (this.#depth > 0) this.#depth--;
    } else if (startsWith(b, from, to, CHECK)) {
      this.send(ALIVE);
    } else if (startsWith(b, from, to, GET)) {
      const name = decoder.decode(b.subarray(field(b, from, to, 1), to)).split(" ")[0];
      this.send(`missing ${name} 2\nend\n`);
    } else if (startsWith(b, from, to, EXIT) || startsWith(b, from, to, RELEASE)) {
      return false;
    }
    // unlink, invalidate-file …: nothing to undo, since nothing ran.
    return true;
  }

  /** Drops the unsent result of task `id` (every one for -1). */
  #forget(id: number): void {
    if (this.#finished.length === 0) return;
    if (id < 0) this.#finished = [];
    else {
      const i = this.#finished.indexOf(id);
      if (i >= 0) this.#finished.splice(i, 1);
    }
  }
}

/**
 * Connects `workers` simulated workers to a manager.
 *
 * @param options Port, host, how many, cores each.
 * @returns The simulation, once every worker has connected and sent its handshake.
 */
export async function simulateWorkers(options: SimWorkersOptions): Promise<SimWorkers> {
  const host = options.host ?? "127.0.0.1";
  const count = options.workers ?? 1000;
  const cores = options.cores ?? 1;
  const first = options.first ?? 0;
  const fastPath = options.fastPath ?? true;
  const sims: SimWorker[] = [];
  const runs: Promise<void>[] = [];
  let live = 0;
  for (let i = 0; i < count; i += 100) {
    const batch = await Promise.all(
      Array.from(
        { length: Math.min(100, count - i) },
        () => Deno.connect({ hostname: host, port: options.port }),
      ),
    );
    for (const conn of batch) {
      conn.setNoDelay(true);
      const s = new SimWorker(conn);
      s.send(handshake(first + sims.length, cores, fastPath));
      sims.push(s);
      live++;
      runs.push(s.run().finally(() => live--));
    }
  }
  const done = Promise.all(runs).then(() => {});
  const close = async () => {
    for (const s of sims) s.close();
    await done;
  };
  return {
    get connected() {
      return live;
    },
    get results() {
      return sims.reduce((n, s) => n + s.results, 0);
    },
    get fastPaths() {
      return sims.reduce((n, s) => n + (s.fastPath ? 1 : 0), 0);
    },
    close,
    done,
    [Symbol.asyncDispose]: close,
  };
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

if (import.meta.main) {
  const args = Deno.args;
  const port = Number(argValue(args, "--port"));
  if (!Number.isInteger(port) || port <= 0) {
    console.error(
      "usage: sim_workers.ts --port P [--workers 1000] [--cores 1] [--first 0] [--host 127.0.0.1] [--no-fast-path]",
    );
    Deno.exit(2);
  }
  const sim = await simulateWorkers({
    port,
    host: argValue(args, "--host"),
    workers: Number(argValue(args, "--workers") ?? 1000),
    cores: Number(argValue(args, "--cores") ?? 1),
    first: Number(argValue(args, "--first") ?? 0),
    fastPath: !args.includes("--no-fast-path"),
  });
  console.log("ready");
  const stdinClosed = (async () => {
    const b = new Uint8Array(1024);
    while ((await Deno.stdin.read(b)) !== null) { /* wait for EOF */ }
  })();
  await Promise.race([sim.done, stdinClosed]);
  await sim.close();
  Deno.exit(0);
}
