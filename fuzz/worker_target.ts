/**
 * The worker under fuzz: our real worker process (`worker/main.ts` with the
 * permission flags of `tools/entrypoints.ts`) dials a fake manager on
 * loopback, which sends it mutated manager streams. The worker reconnects
 * after each case (no backoff), so one process serves many cases; if it
 * exits, it must exit 0 and is started again.
 *
 * @module
 */

import { denoRunArgs } from "../tools/entrypoints.ts";
import { crashLine, type Finding } from "./checks.ts";
import { join, type Session } from "./corpus.ts";
import { headersOf, mutate } from "./mutate.ts";
import { PeerLines } from "./peer_lines.ts";
import type { Rng } from "./rng.ts";
import { planOf, unsafePlan } from "./worker_sim.ts";

/** Options of {@linkcode WorkerTarget}. */
export interface WorkerTargetOptions {
  /** Scratch root: `work/` (the worker's -s), `cwd/`, `tmp/`. */
  root: string;
  /** The corpus. */
  sessions: Session[];
  /** Longest wait for the worker between two chunks, ms. Default 150. */
  stepMs?: number;
  /** Longest wait for a reconnection or a log line, ms. Default 20000. */
  hangMs?: number;
}

/** The worker's side of one connection, read by the fake manager. */
class WorkerSide extends PeerLines {
  handshake = false;

  constructor(conn: Deno.Conn) {
    super(conn, async (line, r) => {
      const w = line.split(" ");
      if (w[0] === "result") await r.copyTo(Number(w[3]), null);
      else if (w[0] === "file") await r.copyTo(Number(w.at(-1)), null);
      else if (line.startsWith("info worker-end-time")) this.handshake = true;
    });
  }
}

/** The real worker process. */
class WorkerProcess {
  readonly child: Deno.ChildProcess;
  /** Its stderr, so far. */
  text = "";
  exited: Deno.CommandStatus | undefined;
  readonly status: Promise<Deno.CommandStatus>;

  constructor(args: string[], cwd: string, env: Record<string, string>) {
    const argv = denoRunArgs("worker");
    this.child = new Deno.Command(argv[0], {
      args: [...argv.slice(1), ...args],
      cwd,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pump = async (s: ReadableStream<Uint8Array>) => {
      const d = new TextDecoder();
      for await (const c of s) this.text += d.decode(c, { stream: true });
    };
    const pumps = Promise.all([pump(this.child.stdout), pump(this.child.stderr)]);
    this.status = this.child.status.then(async (s) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([pumps, new Promise((r) => timer = setTimeout(r, 1000))]);
      clearTimeout(timer);
      this.exited = s;
      return s;
    });
  }

  kill(signal: Deno.Signal = "SIGKILL"): void {
    try {
      this.child.kill(signal);
    } catch {
      // exited
    }
  }

  /** Asks it to stop (it kills its tasks and removes its workspace), then insists. */
  async stop(): Promise<void> {
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill(), 15_000);
    await this.status;
    clearTimeout(timer);
  }
}

/** The worker target: a fake manager and our worker. */
export class WorkerTarget {
  readonly #o: Required<WorkerTargetOptions>;
  readonly #foreign: string[];
  readonly #listener: Deno.TcpListener;
  #proc: WorkerProcess | undefined;
  #pending: Promise<Deno.Conn> | undefined;
  #commands = new Set<string>();
  #env = new Set<string>();
  /** Mutations redrawn because the real worker would have run something unrecorded. */
  discarded = 0;
  /** Times the worker exited (cleanly) and was started again. */
  restarts = 0;
  /** Cases the worker ended itself (it refused something, or was told to). */
  closedByWorker = 0;
  readonly #pastLogs: string[] = [];

  /** @param options Root, corpus and timing. */
  constructor(options: WorkerTargetOptions) {
    this.#o = { stepMs: 150, hangMs: 20_000, ...options };
    this.#foreign = headersOf(options.sessions.map((s) => s.toWorker), "toWorker");
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  }

  /** The worker's -s directory. */
  get workDir(): string {
    return `${this.#o.root}/work`;
  }

  /** Everything the worker processes have logged. */
  get log(): string {
    return this.#pastLogs.join("") + (this.#proc?.text ?? "");
  }

  /** Learns the recorded commands and starts the worker. */
  async start(): Promise<void> {
    for (const d of ["work", "cwd", "tmp"]) {
      await Deno.mkdir(`${this.#o.root}/${d}`, { recursive: true });
    }
    for (const s of this.#o.sessions) {
      const plan = await planOf(join(s.toWorker));
      for (const c of plan.commands) this.#commands.add(c);
      for (const e of plan.env) this.#env.add(e);
    }
    this.#spawn();
  }

  #spawn(): void {
    if (this.#proc) this.#pastLogs.push(this.#proc.text);
    const root = this.#o.root;
    this.#proc = new WorkerProcess(
      [
        "--cores=2",
        "--memory=1000",
        "--disk=1000",
        "-t",
        "300",
        "--min-backoff=0",
        "--max-backoff=0",
        "-s",
        this.workDir,
        "127.0.0.1",
        String(this.#listener.addr.port),
      ],
      `${root}/cwd`,
      {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        // Deno keeps its compile cache under HOME (or DENO_DIR).
        ...pick("HOME", "DENO_DIR"),
        TMPDIR: `${root}/tmp`,
        CATALOG_HOST: "127.0.0.1",
        CATALOG_PORT: "1",
      },
    );
  }

  /** Accepts the worker's next connection, or returns why it cannot. */
  async #accept(): Promise<Deno.Conn | { exited: Deno.CommandStatus } | "timeout"> {
    const proc = this.#proc!;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // One accept at a time: one left pending by a timeout is taken up again.
    this.#pending ??= this.#listener.accept();
    const accepted = this.#pending.then((c) => {
      this.#pending = undefined;
      return c;
    });
    const r = await Promise.race([
      accepted,
      proc.status.then((s) => ({ exited: s })),
      new Promise<"timeout">((res) => timer = setTimeout(() => res("timeout"), this.#o.hangMs)),
    ]);
    clearTimeout(timer);
    return r;
  }

  /** A stream the real worker may safely get. */
  async #draw(rng: Rng): Promise<{ chunks: Uint8Array[]; detail: string }> {
    const candidates = this.#o.sessions.filter((s) => s.toWorker.length > 0);
    for (let attempt = 0; attempt < 30; attempt++) {
      const session = rng.pick(candidates);
      let chunks: Uint8Array[];
      let ops: string[];
      if (rng.chance(0.1)) {
        chunks = [rng.bytes(rng.int(9000))];
        ops = ["random"];
      } else {
        const m = mutate(rng, session.toWorker, { dir: "toWorker", foreign: this.#foreign });
        chunks = m.chunks;
        ops = m.ops;
      }
      const why = unsafePlan(await planOf(join(chunks)), this.#commands, this.#env);
      if (!why) return { chunks, detail: `session ${session.name}; mutations ${ops.join(", ")}` };
      this.discarded++;
    }
    const s = candidates[0];
    return { chunks: s.toWorker, detail: `session ${s.name} unmutated` };
  }

  /**
   * Runs one case.
   *
   * @param rng The case's generator.
   * @param index The case number, for findings.
   * @returns Findings (usually none).
   */
  async run(rng: Rng, index: number): Promise<Finding[]> {
    const findings: Finding[] = [];
    const { chunks, detail } = await this.#draw(rng);
    const f = (what: string): Finding => ({ target: "worker", index, what, detail });

    let conn: Deno.Conn | undefined;
    for (let tries = 0; tries < 3 && !conn; tries++) {
      const a = await this.#accept();
      if (a === "timeout") {
        findings.push(f(`the worker did not connect within ${this.#o.hangMs} ms`));
        this.#proc!.kill();
        await this.#proc!.status;
        this.#spawn();
      } else if ("exited" in a) {
        if (!a.exited.success) {
          findings.push(
            f(`the worker exited with ${a.exited.code}: ${this.#proc!.text.slice(-800)}`),
          );
        }
        this.restarts++;
        this.#spawn();
      } else {
        conn = a;
      }
    }
    if (!conn) return findings;
    const proc = this.#proc!;
    const before = disconnects(proc.text);
    const logFrom = proc.text.length;
    const side = new WorkerSide(conn);
    await side.until(() => side.handshake, this.#o.hangMs);
    try {
      for (const [i, chunk] of chunks.entries()) {
        if (side.closed) break;
        const seen = side.messages;
        let off = 0;
        while (off < chunk.length) off += await conn.write(chunk.subarray(off));
        if (i < chunks.length - 1) await side.next(seen, this.#o.stepMs);
      }
    } catch {
      // The worker hung up: it refused something.
    }
    await side.next(side.messages, this.#o.stepMs);
    if (side.closed) this.closedByWorker++;
    try {
      conn.close();
    } catch {
      // closed
    }
    // The worker must say that the connection ended (and why) before it dials again.
    const end = Date.now() + this.#o.hangMs;
    while (disconnects(proc.text) <= before && !proc.exited && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 10));
    }
    if (disconnects(proc.text) <= before && !proc.exited) {
      findings.push(f(`the worker logged no disconnection within ${this.#o.hangMs} ms`));
    }
    const bad = crashLine(proc.text.slice(logFrom));
    if (bad) {
      findings.push(f(`crash-like worker log line: ${bad}`));
      // Report it once: start a fresh worker with a fresh log.
      proc.kill();
      await proc.status;
      this.#spawn();
    }
    return findings;
  }

  /** Stops the worker and the listener. */
  async close(): Promise<void> {
    await this.#proc?.stop();
    this.#listener.close();
    await this.#pending?.then((c) => c.close(), () => {});
  }
}

function pick(...names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = Deno.env.get(n);
    if (v !== undefined) out[n] = v;
  }
  return out;
}

function disconnects(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(/disconnected from manager/g)) n++;
  return n;
}
