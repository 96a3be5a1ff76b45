/**
 * The manager under fuzz: a real {@linkcode WorkQueue} on loopback, and fake
 * workers that send it mutated worker streams (handshakes, results,
 * output entries) while it dispatches real tasks to them. Every so often a
 * real worker must still get a task done.
 *
 * @module
 */

import { Task, WorkQueue } from "../mod.ts";
import { denoRunArgs } from "../tools/entrypoints.ts";
import { crashLine, describeError, type Finding } from "./checks.ts";
import type { Session } from "./corpus.ts";
import { frames, fromLatin1, latin1 } from "./frames.ts";
import { headersOf, mutate } from "./mutate.ts";
import { PeerLines } from "./peer_lines.ts";
import type { Rng } from "./rng.ts";

/** What a fake worker says first when its recorded session lacks a handshake. */
export const FAKE_HANDSHAKE = "workqueue 9 fuzzhost Linux x86_64 8.0.0\n" +
  "info worker-id worker-fuzz\nresource workers 1 1 1\nresource disk 1000 1000 1000\n" +
  "resource memory 1000 1000 1000\nresource gpus 0 0 0\nresource cores 2 2 2\n" +
  "resource tag 0\ninfo worker-end-time 0\n";

/** First words the manager answers as status queries (no log line). */
const STATUS_WORDS = new Set([
  "queue_status",
  "worker_status",
  "task_status",
  "wable_status",
  "resources_status",
  "GET",
]);

/** Other things a peer may say on the manager's port (status queries, auth, names). */
const EXTRA_FIRST_LINES = [
  "queue_status",
  "worker_status",
  "task_status",
  "GET /queue_status HTTP/1.1",
  "GET /../../../../etc/passwd HTTP/1.0",
  "GET",
  "name",
  "auth password sha1",
  "tlq http://127.0.0.1:1/x",
  "ready 1 2 3",
  "feature %2e%2e%2f",
  "info idle-disconnecting 1",
  "update 1 out.txt 0 5",
];

/** Timing of a case (none of it is asserted; it only bounds waiting). */
export interface ManagerTargetOptions {
  /** Where outputs land and the health-check worker lives. */
  root: string;
  /** The corpus. */
  sessions: Session[];
  /** Longest wait for the manager between two chunks, ms. Default 150. */
  stepMs?: number;
  /** Longest wait for a connection to end, ms. Default 20000. */
  hangMs?: number;
}

/** What the manager sent a fake worker, as far as the fake worker cares. */
class ManagerSide extends PeerLines {
  readonly taskIds: number[] = [];
  readonly outNames: string[] = [];

  constructor(conn: Deno.Conn) {
    super(conn, async (line, r) => {
      const w = line.split(" ");
      if (w[0] === "task") this.taskIds.push(Number(w[1]));
      else if (w[0] === "outfile") this.outNames.push(w[1]);
      else if (w[0] === "put") await r.copyTo(Number(w[2]), null);
      else if (w[0] === "cmd") await r.copyTo(Number(w[1]), null);
      else if (w[0] === "env") await r.copyTo(Number(w[1]) + 1, null);
    });
  }
}

/** Ids and output names of a recorded session, in the order its manager sent them. */
function recorded(session: Session): { taskIds: number[]; outNames: string[] } {
  const taskIds: number[] = [];
  const outNames: string[] = [];
  for (const c of session.toWorker) {
    for (const f of frames(c, "toWorker")) {
      const w = f.header.split(" ");
      if (w[0] === "task") taskIds.push(Number(w[1]));
      else if (w[0] === "outfile" && w[1]) outNames.push(w[1]);
    }
  }
  return { taskIds, outNames };
}

/** Rewrites recorded task ids and output names into the live ones. */
function substitute(
  chunk: Uint8Array,
  rec: { taskIds: number[]; outNames: string[] },
  live: ManagerSide,
): Uint8Array {
  let s = latin1(chunk);
  rec.outNames.forEach((name, i) => {
    const now = live.outNames[i];
    if (now) s = s.replaceAll(name, now);
  });
  s = s.replace(/^(result \S+ \S+ \S+ \S+ )(\d+)$/gm, (all, head, id) => {
    const i = rec.taskIds.indexOf(Number(id));
    const now = i >= 0 ? live.taskIds[i] : undefined;
    return now === undefined ? all : `${head}${now}`;
  });
  return fromLatin1(s);
}

/** The manager target: one WorkQueue, many fake workers. */
export class ManagerTarget {
  readonly #o: Required<ManagerTargetOptions>;
  readonly #foreign: string[];
  readonly #logs: string[] = [];
  #wq!: WorkQueue;
  #outCounter = 0;
  /** Cases whose connection the manager closed itself (it refused something). */
  refusedByManager = 0;

  /** @param options Root directory, corpus and timing. */
  constructor(options: ManagerTargetOptions) {
    this.#o = { stepMs: 150, hangMs: 20_000, ...options };
    this.#foreign = [
      ...headersOf(options.sessions.map((s) => s.toManager), "toManager"),
      ...EXTRA_FIRST_LINES,
    ];
  }

  /** The manager's log lines so far. */
  get logs(): readonly string[] {
    return this.#logs;
  }

  /** Directories untrusted output names are resolved against. */
  get outDir(): string {
    return `${this.#o.root}/out`;
  }

  /** Starts the manager. */
  async start(): Promise<void> {
    await Deno.mkdir(this.outDir, { recursive: true });
    this.#wq = new WorkQueue({
      port: 0,
      hostname: "127.0.0.1",
      keepaliveTimeout: 5,
      keepaliveInterval: 5,
      logger: (level, m) => this.#logs.push(`${level} ${m}`),
    });
  }

  /** Keeps a few fuzz tasks waiting for fake workers, and drops finished ones. */
  #feed(): void {
    const s = this.#wq.stats;
    // One output each, like the recorded tasks, so that a recorded reply
    // (a file, or a directory tree) answers the `get` the manager sends.
    for (let i = s.tasksWaiting; i < 8; i++) {
      const dir = `${this.outDir}/${++this.#outCounter}`;
      const t = new Task("cat in.txt > out.txt")
        .specifyTag("fuzz")
        .specifyCores(1)
        .specifyMemory(10)
        .specifyDisk(10)
        .specifyMaxRetries(2)
        .specifyInputBuffer("fuzz input\n", "in.txt")
        .specifyOutputFile(`${dir}/out.txt`, "out.txt");
      this.#wq.submit(t);
    }
  }

  /** Takes finished tasks off the queue. */
  async drain(): Promise<number> {
    let n = 0;
    while (await this.#wq.wait(0)) n++;
    return n;
  }

  /**
   * Runs one case: a fake worker sends a mutated (or random) stream.
   *
   * @param rng The case's generator.
   * @param index The case number, for findings.
   * @returns Findings (usually none).
   */
  async run(rng: Rng, index: number): Promise<Finding[]> {
    this.#feed();
    const findings: Finding[] = [];
    const candidates = this.#o.sessions.filter((s) => s.toManager.length > 0);
    const session = rng.pick(candidates);
    let chunks = session.toManager;
    if (!latin1(chunks[0].subarray(0, 10)).startsWith("workqueue")) {
      chunks = [fromLatin1(FAKE_HANDSHAKE), ...chunks];
    }
    if (rng.chance(0.03) && await resetConnections(this.#wq.port, rng.range(1, 20))) {
      return []; // the health checks tell whether the manager still accepts
    }
    let ops: string[];
    if (rng.chance(0.1)) {
      const garbage = rng.bytes(rng.int(9000));
      chunks = rng.chance(0.5) ? [garbage] : [fromLatin1(FAKE_HANDSHAKE), garbage];
      ops = ["random"];
    } else {
      const m = mutate(rng, chunks, { dir: "toManager", foreign: this.#foreign });
      chunks = m.chunks;
      ops = m.ops;
    }
    const detail = `session ${session.name}; mutations ${ops.join(", ")}`;
    const rec = recorded(session);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: this.#wq.port });
    const port = (conn.localAddr as Deno.NetAddr).port;
    const side = new ManagerSide(conn);
    try {
      for (const [i, chunk] of chunks.entries()) {
        if (i > 0) await side.next(side.messages, this.#o.stepMs);
        if (side.closed) break;
        const seen = side.messages;
        const data = substitute(chunk, rec, side);
        let off = 0;
        while (off < data.length) off += await conn.write(data.subarray(off));
        await side.next(seen, this.#o.stepMs);
      }
    } catch {
      // The manager closed the connection under our feet: that is a refusal.
    }
    // Give the manager a moment to refuse what it got, then hang up.
    await side.next(side.messages, this.#o.stepMs);
    const closedByManager = side.closed;
    try {
      conn.close();
    } catch {
      // already closed
    }
    // A status query is answered and closed without a log line.
    const sent = latin1(chunks[0] ?? new Uint8Array()).replaceAll("\r", "");
    const query = sent.includes("\n") && STATUS_WORDS.has(sent.split("\n")[0].split(" ")[0]);
    if (closedByManager && !query) {
      this.refusedByManager++;
      const mine = (l: string) => l.includes(`:${port})`) || l.includes(`:${port}:`);
      const end = Date.now() + this.#o.hangMs;
      while (!this.#logs.some(mine) && Date.now() < end) await sleep(20);
      if (!this.#logs.some(mine)) {
        findings.push({
          target: "manager",
          index,
          what: `the manager closed connection :${port} without a log line naming it`,
          detail,
        });
      }
    }
    for (const l of this.#logs.filter((l) => l.includes(`${port}`))) {
      const bad = crashLine(l);
      if (bad) {
        findings.push({ target: "manager", index, what: `crash-like log line: ${bad}`, detail });
      }
    }
    return findings;
  }

  /**
   * Waits until the manager has let go of every fake worker.
   *
   * @returns A finding if connections are still counted after the timeout.
   */
  async settle(index: number): Promise<Finding[]> {
    const end = Date.now() + this.#o.hangMs;
    while (this.#wq.stats.workersConnected > 0 && Date.now() < end) await sleep(20);
    await this.drain();
    const left = this.#wq.stats.workersConnected;
    return left > 0
      ? [{
        target: "manager",
        index,
        what: `${left} closed fake worker connection(s) still counted after ${this.#o.hangMs} ms`,
      }]
      : [];
  }

  /**
   * A real worker (ours) connects and must get a task done.
   *
   * @param index The case number reached, for a finding.
   * @returns Findings.
   */
  async health(index: number): Promise<Finding[]> {
    const findings: Finding[] = [];
    await this.drain();
    try {
      for (let i = 0; i < 100_000 && this.#wq.cancelByTag("fuzz"); i++) {
        // cancel every fuzz task
      }
    } catch (e) {
      findings.push({ target: "manager", index, what: `cancelByTag failed: ${describeError(e)}` });
    }
    await this.drain();
    const dir = `${this.#o.root}/health`;
    await Deno.mkdir(dir, { recursive: true });
    const child = new Deno.Command(denoRunArgs("worker")[0], {
      args: [
        ...denoRunArgs("worker").slice(1),
        "--single-shot",
        "-t",
        "60",
        "-s",
        dir,
        "127.0.0.1",
        String(this.#wq.port),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "1" },
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const t = new Task("echo fuzz-health").specifyTag("health");
    this.#wq.submit(t);
    const got = await this.#wq.wait(60);
    if (got !== t || t.output !== "fuzz-health\n") {
      findings.push({
        target: "manager",
        index,
        what: `health check: a real worker did not get a task done (got ${
          got ? `task ${got.id}: ${got.result} ${JSON.stringify(got.output)}` : "nothing"
        })`,
      });
      try {
        child.kill("SIGKILL");
      } catch {
        // exited
      }
    }
    this.#wq.shutdownWorkers(0);
    await child.status;
    const log = await stderr;
    const bad = crashLine(log);
    if (bad) findings.push({ target: "manager", index, what: `health worker log: ${bad}` });
    return findings;
  }

  /** Stops the manager. */
  async close(): Promise<void> {
    await this.#wq.close();
  }
}

const PYTHON = "/usr/bin/python3";

/**
 * Opens `n` connections and resets them at once (SO_LINGER 0), often
 * before the manager accepts them. Deno cannot reset a socket; Python can.
 *
 * @returns False if there is no Python to do it.
 */
async function resetConnections(port: number, n: number): Promise<boolean> {
  const script = "import socket,struct,sys\n" +
    "for i in range(int(sys.argv[2])):\n" +
    " s=socket.socket(); s.connect(('127.0.0.1',int(sys.argv[1])))\n" +
    " s.setsockopt(socket.SOL_SOCKET,socket.SO_LINGER,struct.pack('ii',1,0)); s.close()\n";
  try {
    const out = await new Deno.Command(PYTHON, {
      args: ["-c", script, String(port), String(n)],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
