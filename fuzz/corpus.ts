/**
 * The seed inputs of the fuzzer: the real protocol sessions recorded in the
 * spec's traces (`01_*.raw.txt` and the `04`, `05`, `05b`, `06` transcripts),
 * as chunks per direction. A chunk boundary is a point where the sender
 * waited for its peer.
 *
 * @module
 */

import { type Direction, frames, fromLatin1, latin1 } from "./frames.ts";

/**
 * Where the traces are, unless `WQ_SPEC_TRACES` says otherwise: `fuzz/traces/`,
 * copies of the recorded sessions of the protocol spec (see its README).
 */
export const DEFAULT_TRACES: string = new URL("./traces", import.meta.url).pathname;

/** One recorded session. */
export interface Session {
  /** File (and section) it came from. */
  name: string;
  /** What the worker sent, in chunks. */
  toManager: Uint8Array[];
  /** What the manager sent, in chunks. */
  toWorker: Uint8Array[];
}

/**
 * Decodes a Python bytes literal body (what is between the quotes of `b'…'`).
 *
 * @param s The escaped text.
 * @returns The bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(pyBytes("a\\nb\\x00\\'"), new Uint8Array([97, 10, 98, 0, 39]));
 * ```
 */
export function pyBytes(s: string): Uint8Array {
  const out: number[] = [];
  const simple: Record<string, number> = {
    n: 10,
    r: 13,
    t: 9,
    "\\": 92,
    "'": 39,
    '"': 34,
    "0": 0,
    a: 7,
    b: 8,
    f: 12,
    v: 11,
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== "\\") {
      out.push(s.charCodeAt(i) & 0xff);
      continue;
    }
    const e = s[++i];
    if (e === "x") {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e in simple) {
      out.push(simple[e]);
    } else {
      out.push(92, s.charCodeAt(i));
    }
  }
  return new Uint8Array(out);
}

const ENTRY = /^(W>M|M>W) (?:\(\d+ raw bytes\) )?b(['"])(.*)\2\s*$/;

/**
 * Parses a transcript (`W>M b'…'` / `M>W b'…'` lines, sections headed by
 * `==== name`) into sessions.
 *
 * @param text The transcript.
 * @param name Its file name.
 * @returns One session per section.
 */
export function parseTranscript(text: string, name: string): Session[] {
  const sessions: Session[] = [];
  let cur: Session = { name, toManager: [], toWorker: [] };
  let last: Direction | undefined;
  const flush = () => {
    if (cur.toManager.length || cur.toWorker.length) sessions.push(cur);
  };
  for (const line of text.split("\n")) {
    const sec = /^=+ (\S+)/.exec(line);
    if (sec) {
      flush();
      cur = { name: `${name}#${sec[1]}`, toManager: [], toWorker: [] };
      last = undefined;
      continue;
    }
    const m = ENTRY.exec(line);
    if (!m) continue;
    const dir: Direction = m[1] === "W>M" ? "toManager" : "toWorker";
    const bytes = pyBytes(m[3]);
    if (bytes.length === 0) continue;
    const chunks = cur[dir];
    if (last === dir && chunks.length > 0) {
      chunks[chunks.length - 1] = concat(chunks.at(-1)!, bytes);
    } else chunks.push(bytes);
    last = dir;
  }
  flush();
  return sessions;
}

/**
 * Splits a raw one-direction stream where its sender would wait: a worker
 * after its handshake, after `available_results` and after each `end`; a
 * manager before `send_results` and `get`.
 *
 * @param bytes The stream.
 * @param dir Who sent it.
 * @returns The chunks.
 */
export function splitRaw(bytes: Uint8Array, dir: Direction): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const f of frames(bytes, dir)) {
    if (dir === "toWorker" && /^(send_results|get) /.test(f.header) && f.start > from) {
      chunks.push(bytes.slice(from, f.start));
      from = f.start;
    }
    if (
      dir === "toManager" &&
      /^(available_results|end|info worker-end-time .*)$/.test(f.header)
    ) {
      chunks.push(bytes.slice(from, f.end));
      from = f.end;
    }
  }
  if (from < bytes.length) chunks.push(bytes.slice(from));
  return chunks;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Loads every session of the traces.
 *
 * @param dir The traces directory.
 * @returns The sessions (at least the five files named above).
 * @throws {Error} If a trace is missing.
 */
export function loadCorpus(dir: string = DEFAULT_TRACES): Session[] {
  const sessions: Session[] = [];
  const raw = (f: string) => Deno.readFileSync(`${dir}/${f}`);
  sessions.push({
    name: "01_worker_session.raw",
    toManager: splitRaw(raw("01_worker_session.worker_to_manager.raw.txt"), "toManager"),
    toWorker: splitRaw(raw("01_worker_session.manager_to_worker.raw.txt"), "toWorker"),
  });
  for (
    const f of [
      "04_minimal_manager_vs_real_worker.transcript.txt",
      "05_real_python_manager_vs_minimal_worker.transcript.txt",
      "05b_bare_handshake.transcript.txt",
      "06_worker_edge_cases.transcript.txt",
    ]
  ) {
    sessions.push(...parseTranscript(Deno.readTextFileSync(`${dir}/${f}`), f));
  }
  return sessions;
}

/**
 * Joins chunks into one stream.
 *
 * @param chunks The chunks.
 * @returns Their concatenation.
 */
export function join(chunks: Uint8Array[]): Uint8Array {
  return chunks.reduce(concat, new Uint8Array(0));
}

/** Text helpers re-exported for the targets. */
export { fromLatin1, latin1 };
