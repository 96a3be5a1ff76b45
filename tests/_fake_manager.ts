/**
 * A scripted manager for tests of our worker: a listener on 127.0.0.1
 * port 0, our worker dialling it, and the manager's side of each
 * connection ({@linkcode FakeConn}).
 */

import assert from "node:assert/strict";
import { LineReader } from "../lib/wire/line_reader.ts";
import { type Proc, startWorker } from "./_harness.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One accepted worker connection, seen from the manager's side. */
export class FakeConn {
  #conn: Deno.Conn;
  #reader: LineReader;
  /** Every line received, for failure messages. */
  received: string[] = [];

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#reader = new LineReader(conn);
  }

  async send(text: string | Uint8Array): Promise<void> {
    const p = typeof text === "string" ? encoder.encode(text) : text;
    let off = 0;
    while (off < p.length) off += await this.#conn.write(p.subarray(off));
  }

  /** The next line, or `null` at EOF; throws after `ms`. */
  async line(ms = 15_000): Promise<string | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`No line from the worker in ${ms} ms; got:\n${this.received.join("\n")}`),
          ),
        ms,
      );
    });
    try {
      const l = await Promise.race([this.#reader.readLine(), timeout]);
      if (l !== null) this.received.push(l);
      return l;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads lines until one matches, skipping `info`/`alive`/`resource` chatter. */
  async expect(pattern: RegExp | string): Promise<string> {
    for (;;) {
      const l = await this.line();
      if (l === null) {
        throw new Error(
          `The worker closed the connection while we waited for ${pattern}; got:\n${
            this.received.join("\n")
          }`,
        );
      }
      if (typeof pattern === "string" ? l === pattern : pattern.test(l)) return l;
      if (!/^(info |alive$|resource )/.test(l)) {
        throw new Error(`Expected ${pattern}, got '${l}'; so far:\n${this.received.join("\n")}`);
      }
    }
  }

  async body(n: number): Promise<string> {
    return decoder.decode(await this.#reader.readExact(n));
  }

  /** Waits for the worker to close the connection (skipping any other lines). */
  async closed(): Promise<void> {
    while ((await this.line()) !== null) { /* drain */ }
  }

  async handshake(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.line();
      if (l === null) throw new Error(`EOF during handshake: ${lines.join("\n")}`);
      lines.push(l);
      if (l.startsWith("info worker-end-time")) return lines;
    }
  }

  /** `send_results` and the results up to `end`: [header, stdout][]. */
  async results(): Promise<[string, string][]> {
    await this.expect("available_results");
    await this.send("send_results -1\n");
    const out: [string, string][] = [];
    for (;;) {
      const l = await this.expect(/^(result |end$)/);
      if (l === "end") return out;
      const len = Number(l.split(" ")[3]);
      out.push([l, await this.body(len)]);
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    }
  }
}

/** A listener on 127.0.0.1 port 0 plus the worker dialling it. */
export class Scenario {
  listener: Deno.TcpListener;
  worker!: Proc;
  workdir = "";
  conns: FakeConn[] = [];

  constructor() {
    this.listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  }

  static start(workdir: string, args: string[] = []): Scenario {
    const s = new Scenario();
    s.workdir = workdir;
    s.worker = startWorker(s.listener.addr.port, {
      args: [
        "--single-shot",
        "--cores=2",
        "--memory=1000",
        "--disk=1000",
        "-s",
        workdir,
        "-d",
        "all",
        ...args,
      ],
    });
    return s;
  }

  async accept(): Promise<FakeConn> {
    const c = new FakeConn(await this.listener.accept());
    this.conns.push(c);
    await c.handshake();
    return c;
  }

  /** The workspace directory (the only `worker-*` entry of the work dir). */
  async workspace(): Promise<string> {
    for await (const e of Deno.readDir(this.workdir)) {
      if (e.name.startsWith("worker-")) return `${this.workdir}/${e.name}`;
    }
    throw new Error("no workspace");
  }

  async exitCode(): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the worker did not exit:\n${this.worker.log()}`)),
        20_000,
      );
    });
    try {
      return (await Promise.race([this.worker.status, timeout])).code;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The worker exited 0 and left nothing in the work directory. */
  async assertCleanExit(): Promise<void> {
    assert.equal(await this.exitCode(), 0, this.worker.log());
    const left = [];
    for await (const e of Deno.readDir(this.workdir)) left.push(e.name);
    assert.deepEqual(left, [], `left behind in the work dir: ${left.join(", ")}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const c of this.conns) c.close();
    this.listener.close();
    await this.worker?.[Symbol.asyncDispose]();
  }
}

/** A task block running `cmd`, with `extra` lines before its `end`. */
export function task(id: number, cmd: string, extra = ""): string {
  return `task ${id}\ncmd ${encoder.encode(cmd).length}\n${cmd}${extra}end\n`;
}
