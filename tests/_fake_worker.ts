// A hand-driven worker over a raw socket, for tests of how the manager
// treats what a real worker would not send (tests/frozen_worker_test.ts and others).

import { LineReader } from "../lib/wire/line_reader.ts";

const encoder = new TextEncoder();

/**
 * A hand-driven worker over a raw socket, to send what a real one would
 * not. A background loop reads every line (skipping `cmd` bodies) and, if
 * asked, answers keepalive checks at once.
 */
export class FakeWorker {
  readonly conn: Deno.TcpConn;
  /**
   * Every line received, in order, never consumed by `expect`; the body of
   * a protocol-9 `url` (the URL) is a line of its own here.
   */
  readonly transcript: string[] = [];
  readonly #lines: (string | null)[] = [];
  #wake: (() => void) | undefined;
  #error: unknown;

  private constructor(conn: Deno.TcpConn, answerChecks: boolean) {
    this.conn = conn;
    this.#pump(new LineReader(conn), answerChecks);
  }

  /**
   * Connects and sends a handshake: `options.handshake` as it is, or a
   * protocol-9 one (protocol `options.protocol`, default 9).
   */
  static async connect(
    port: number,
    options: { answerChecks: boolean; protocol?: number; handshake?: string },
  ): Promise<FakeWorker> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const w = new FakeWorker(conn, options.answerChecks);
    await w.send(
      options.handshake ??
        `workqueue ${
            options.protocol ?? 9
          } fake Linux x86_64 8.0.0\ninfo worker-id worker-fake\nalive\n` +
          "resource workers 1 1 1\nresource disk 1000 1000 1000\nresource memory 1000 1000 1000\n" +
          "resource gpus 0 0 0\nresource cores 1 1 1\nresource tag 0\n" +
          "info end_of_resource_update 0\ninfo tasks_running 0\ninfo worker-end-time 0\n",
    );
    return w;
  }

  async #pump(reader: LineReader, answerChecks: boolean): Promise<void> {
    try {
      for (;;) {
        const line = await reader.readLine();
        if (line !== null && answerChecks && line === "check") {
          await this.send("alive\n");
          continue;
        }
        this.#lines.push(line);
        if (line !== null) this.transcript.push(line);
        this.#wake?.();
        if (line === null) return;
        const cmd = /^cmd (\d+)$/.exec(line);
        if (cmd) await reader.readExact(Number(cmd[1]));
        const put = /^put \S+ (\d+) \S+$/.exec(line);
        if (put) await reader.copyTo(Number(put[1]), null);
        const url = /^url \S+ (\d+) /.exec(line);
        if (url) {
          const body = new TextDecoder().decode(await reader.readExact(Number(url[1])));
          this.#lines.push(body);
          this.transcript.push(body);
          this.#wake?.();
        }
      }
    } catch (e) {
      this.#error = e;
      this.#lines.push(null);
      this.#wake?.();
    }
  }

  async send(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }

  /** Takes lines until one matches and returns it; null once the stream ended. */
  async expect(pattern: RegExp): Promise<string | null> {
    for (;;) {
      while (this.#lines.length === 0) await new Promise<void>((r) => this.#wake = r);
      const line = this.#lines.shift()!;
      if (line === null) {
        this.#lines.unshift(null);
        return null;
      }
      if (pattern.test(line)) return line;
    }
  }

  /** Whether the peer closed the connection (EOF or a reset), after reading everything. */
  async closedByPeer(): Promise<boolean> {
    await this.expect(/^\0never$/);
    return this.#error === undefined || this.#error instanceof Deno.errors.ConnectionReset;
  }

  close(): void {
    try {
      this.conn.close();
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    }
  }
}
