// 200 bad connections at once on the manager's port: garbage, silence, half
// lines, huge lines, slowloris bytes, and 200 more reset at once. Real workers (ours and CCTools') are
// served meanwhile; every bad connection is closed (on a parse error at
// once, or by the first-line timeout) with a log line naming it; a huge
// line is refused after a bounded read.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { ManualClock } from "../lib/clock.ts";
import { Rng } from "../fuzz/rng.ts";
import { advanceUntil, PYTHON, startWorker, tempDir, until } from "./_harness.ts";

const enc = new TextEncoder();

/** Kinds that the manager refuses as soon as it reads them. */
const REFUSED_AT_ONCE = ["random", "nul", "bad-line", "wrong-protocol", "huge"] as const;
/** Kinds that say too little; only the first-line (or handshake) timeout ends them. */
const PENDING = ["silent", "half-line", "slowloris", "half-handshake"] as const;
type Kind = typeof REFUSED_AT_ONCE[number] | typeof PENDING[number];

/** The biggest line a huge connection tries to send. */
const HUGE = 64 << 20;

/** One bad client. */
class BadConn {
  readonly kind: Kind;
  readonly conn: Deno.Conn;
  readonly port: number;
  /** Bytes written before the manager stopped taking them. */
  written = 0;
  closed = false;
  readonly ended: Promise<void>;
  #stop = false;

  private constructor(kind: Kind, conn: Deno.Conn, rng: Rng) {
    this.kind = kind;
    this.conn = conn;
    this.port = (conn.localAddr as Deno.NetAddr).port;
    // Ended once both directions are done: a slowloris may be between two
    // bytes, and its pause must not outlive the test.
    this.ended = Promise.all([this.#readUntilClosed(), this.#talk(rng)]).then(() => {});
  }

  static async open(port: number, kind: Kind, rng: Rng): Promise<BadConn> {
    return new BadConn(kind, await Deno.connect({ hostname: "127.0.0.1", port }), rng);
  }

  async #readUntilClosed(): Promise<void> {
    const buf = new Uint8Array(4096);
    try {
      while ((await this.conn.read(buf)) !== null) { /* a status reply, or nothing */ }
    } catch {
      // reset by the manager
    }
    this.closed = true;
  }

  async #write(p: Uint8Array): Promise<boolean> {
    try {
      let off = 0;
      while (off < p.length) {
        const n = await this.conn.write(p.subarray(off));
        off += n;
        this.written += n;
      }
      return true;
    } catch {
      return false; // the manager closed the connection
    }
  }

  async #talk(rng: Rng): Promise<void> {
    switch (this.kind) {
      case "random":
        await this.#write(rng.bytes(8000));
        break;
      case "nul":
        await this.#write(new Uint8Array(100).fill(0).map((_, i) => (i === 99 ? 10 : 0)));
        break;
      case "bad-line":
        await this.#write(enc.encode("hello there\n"));
        break;
      case "wrong-protocol":
        await this.#write(enc.encode("workqueue 8 old Linux x86_64 7.0.0\n"));
        break;
      case "huge": {
        const chunk = new Uint8Array(1 << 20).fill(0x78);
        while (this.written < HUGE && await this.#write(chunk)) { /* until refused */ }
        break;
      }
      case "silent":
        break;
      case "half-line":
        await this.#write(enc.encode("workqueue 9 half"));
        break;
      case "slowloris":
        while (!this.#stop && !this.closed && await this.#write(enc.encode("a"))) {
          await new Promise((r) => setTimeout(r, 100));
        }
        break;
      case "half-handshake":
        await this.#write(enc.encode("workqueue 9 halfhost Linux x86_64 8.0.0\n"));
        break;
    }
  }

  close(): void {
    this.#stop = true;
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/** Opens `n` bad connections at once, cycling through `kinds`. */
async function openMany(port: number, n: number, kinds: readonly Kind[]): Promise<BadConn[]> {
  const rng = new Rng(2026);
  return await Promise.all(
    Array.from({ length: n }, (_, i) => BadConn.open(port, kinds[i % kinds.length], rng)),
  );
}

/**
 * Opens `n` connections that the client resets at once (SO_LINGER 0), some
 * before the manager has accepted them. Deno cannot reset a socket, so
 * Python does it.
 */
async function resets(port: number, n: number): Promise<void> {
  const script = `
import socket, struct, sys
for i in range(int(sys.argv[2])):
    s = socket.socket()
    s.connect(("127.0.0.1", int(sys.argv[1])))
    if i % 2:
        s.send(b"workqueue 9 reset Linux x86_64 8.0.0\\n")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
`;
  const out = await new Deno.Command(PYTHON, { args: ["-c", script, String(port), String(n)] })
    .output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

/** Whether the manager logged a line naming this connection's address. */
function logged(lines: string[], c: BadConn): boolean {
  return lines.some((l) => l.includes(`127.0.0.1:${c.port}`));
}

Deno.test("200 garbage connections at once do not stop real workers from being served", async () => {
  await using dir = await tempDir();
  const lines: string[] = [];
  // A long first-line timeout: the pending kinds stay open for the whole test.
  await using wq = new WorkQueue({
    port: 0,
    keepaliveTimeout: 600,
    logger: (_level, m) => lines.push(m),
  });
  // 5 huge ones (each may fill socket buffers), the rest spread over the other kinds.
  const kinds: Kind[] = [...REFUSED_AT_ONCE.filter((k) => k !== "huge"), ...PENDING];
  const bad = [
    ...await openMany(wq.port, 195, kinds),
    ...await openMany(wq.port, 5, ["huge"]),
  ];
  assert.equal(bad.length, 200);
  // And connections reset before the manager accepts them: accepting must go on.
  await resets(wq.port, 200);
  try {
    const tasks: Task[] = [];
    for (let i = 0; i < 12; i++) {
      const t = new Task(`echo served-${i}`);
      tasks.push(t);
      wq.submit(t);
    }
    await using ours1 = startWorker(wq.port, {
      args: ["--single-shot", "-t", "60", "-s", dir.path],
    });
    await using ours2 = startWorker(wq.port, {
      args: ["--single-shot", "-t", "60", "-s", dir.path],
    });
    await using theirs = startWorker(wq.port, {
      cctools: true,
      args: ["--single-shot", "-t", "60", "-s", dir.path],
    });
    const done = new Set<Task>();
    while (done.size < tasks.length) {
      const t = await wq.wait(60);
      assert.ok(t, `only ${done.size} of ${tasks.length} tasks done; log:\n${lines.join("\n")}`);
      assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, t.failure ?? undefined);
      assert.equal(t.output, `served-${tasks.indexOf(t)}\n`);
      done.add(t);
    }
    const hosts = new Set(tasks.map((t) => t.hostname));
    assert.ok(hosts.size >= 1);

    // Everything refusable was refused, each with a line naming it.
    for (const c of bad.filter((c) => (REFUSED_AT_ONCE as readonly Kind[]).includes(c.kind))) {
      await until(() => c.closed, `the manager to close the ${c.kind} connection :${c.port}`);
      await until(() => logged(lines, c), `a log line for the ${c.kind} connection :${c.port}`);
    }
    // A huge line was refused after a bounded read (socket buffers, not 64 MiB).
    for (const c of bad.filter((c) => c.kind === "huge")) {
      assert.ok(c.written < HUGE, `a ${c.written}-byte line was read whole`);
    }
    // The silent ones are still open: the workers were served while they waited.
    const pending = bad.filter((c) => (PENDING as readonly Kind[]).includes(c.kind));
    assert.deepEqual(pending.filter((c) => c.closed).map((c) => c.kind), []);
    assert.ok(lines.every((l) => !/Uncaught|TypeError|\n\s+at /.test(l)), lines.join("\n"));

    wq.shutdownWorkers(0);
    for (const w of [ours1, ours2, theirs]) assert.equal((await w.status).code, 0, w.log());
  } finally {
    for (const c of bad) c.close();
    await Promise.all(bad.map((c) => c.ended));
  }
});

// On a manual clock: the test moves the timeout's 2 s instead of waiting
// (tests/manager_bad_input_test.ts waits for a real one).
Deno.test("silent, half-line, slowloris and half-handshake connections are closed by the timeout", async () => {
  const lines: string[] = [];
  const clock = new ManualClock();
  await using wq = new WorkQueue({
    port: 0,
    keepaliveTimeout: 2,
    logger: (_level, m) => lines.push(m),
    clock,
  });
  const bad = await openMany(wq.port, 40, PENDING);
  try {
    await advanceUntil(
      clock,
      () => bad.every((c) => c.closed && logged(lines, c)),
      "the manager to close and log every pending connection",
    );
    for (const c of bad) {
      const line = lines.find((l) => l.includes(`127.0.0.1:${c.port}`))!;
      const expected = c.kind === "half-handshake"
        ? /no complete handshake within 2 s/
        : /no first line within 2 s/;
      assert.match(line, expected, c.kind);
    }
    assert.equal(wq.stats.workersConnected, 0);
  } finally {
    for (const c of bad) c.close();
    await Promise.all(bad.map((c) => c.ended));
  }
});
