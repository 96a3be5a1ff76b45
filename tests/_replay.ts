/**
 * Replaying the manager's side of a recorded session (tests/fixtures/p11/)
 * against our worker, and reading the worker's side of the recording in
 * the same shape, so that the two can be compared.
 */

import type { FakeConn } from "./_fake_manager.ts";

/** What a worker said in a session, in comparable form. */
export interface WorkerSide {
  /** `cache-update …` lines, and `cache-invalid …` lines with their text after an LF. */
  cache: string[];
  /** `[result line without its usec field, stdout]`. */
  results: [string, string][];
  /** Each `get` reply's entries, sorted (`file P N:body`, `dir P 0`, `missing P E`). */
  gets: string[][];
}

/** `result S E L USEC ID` → `result S E L ID`. */
export function withoutUsec(line: string): string {
  const w = line.split(" ");
  return [...w.slice(0, 4), w[5]].join(" ");
}

/**
 * Sends the recorded manager's bytes, stopping at each `send_results` (sent
 * once the worker says `available_results`) and each `get` to read the reply.
 *
 * @param c The connection (after the handshake).
 * @param script The manager's side, with substitutions made.
 * @returns What the worker said.
 */
export async function replay(c: FakeConn, script: string): Promise<WorkerSide> {
  const side: WorkerSide = { cache: [], results: [], gets: [] };
  let pending = "";
  for (const l of script.split(/(?<=\n)/)) {
    if (l === "send_results -1\n") {
      await c.send(pending);
      pending = "";
      await next(c, /^available_results$/, side);
      await c.send(l);
      for (;;) {
        const r = await next(c, /^(result |end$)/, side);
        if (r === "end") break;
        side.results.push([withoutUsec(r), await c.body(Number(r.split(" ")[3]))]);
      }
    } else if (l.startsWith("get ")) {
      await c.send(pending + l);
      pending = "";
      const entries: string[] = [];
      for (;;) {
        const e = await next(c, /^(file |dir |missing |end$)/, side);
        if (e === "end") break;
        entries.push(e.startsWith("file ") ? `${e}:${await c.body(Number(e.split(" ")[2]))}` : e);
      }
      side.gets.push(entries.sort());
    } else {
      pending += l;
    }
  }
  await c.send(pending);
  return side;
}

/** The next line matching `want`, collecting cache messages and skipping chatter. */
async function next(c: FakeConn, want: RegExp, side: WorkerSide): Promise<string> {
  for (;;) {
    const l = await c.line();
    if (l === null) {
      throw new Error(`The worker closed the connection; got:\n${c.received.join("\n")}`);
    }
    if (want.test(l)) return l;
    if (l.startsWith("cache-update ")) {
      side.cache.push(l);
    } else if (l.startsWith("cache-invalid ")) {
      side.cache.push(`${l}\n${await c.body(Number(l.split(" ")[2]))}`);
    } else if (!/^(info |alive$|resource )/.test(l)) {
      throw new Error(`Expected ${want}, got '${l}'; so far:\n${c.received.join("\n")}`);
    }
  }
}

/**
 * Reads the recorded worker's side (after its handshake) into the same shape.
 *
 * @param text The `*.worker_to_manager.raw.txt` file.
 * @returns What that worker said.
 */
export function recordedWorkerSide(text: string): WorkerSide {
  const side: WorkerSide = { cache: [], results: [], gets: [] };
  let at = 0;
  const line = () => {
    const end = text.indexOf("\n", at);
    const l = text.slice(at, end);
    at = end + 1;
    return l;
  };
  const body = (n: number) => {
    const b = text.slice(at, at + n);
    at += n;
    return b;
  };
  let entries: string[] | undefined;
  while (at < text.length) {
    const l = line();
    if (l.startsWith("cache-update ")) side.cache.push(l);
    else if (l.startsWith("cache-invalid ")) {
      side.cache.push(`${l}\n${body(Number(l.split(" ")[2]))}`);
    } else if (l.startsWith("result ")) {
      side.results.push([withoutUsec(l), body(Number(l.split(" ")[3]))]);
    } else if (l.startsWith("file ")) {
      (entries ??= []).push(`${l}:${body(Number(l.split(" ")[2]))}`);
    } else if (l.startsWith("dir ") || l.startsWith("missing ")) (entries ??= []).push(l);
    else if (l === "end" && entries) {
      side.gets.push(entries.sort());
      entries = undefined;
    }
  }
  return side;
}
