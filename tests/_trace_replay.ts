// Replays the worker side of a recorded protocol-11 session (tests/fixtures/p11/, copied from
// the CCTools 7.17 traces) against our manager, through a FakeWorker.

import type { FakeWorker } from "./_fake_worker.ts";

const FIXTURES = new URL("./fixtures/p11/", import.meta.url);
const decoder = new TextDecoder();

/** One message of the worker's recorded stream: a line and, for some, its body. */
export interface Recorded {
  line: string;
  body?: Uint8Array;
}

/** Reads a fixture file. */
export function fixture(name: string): Promise<Uint8Array> {
  return Deno.readFile(new URL(name, FIXTURES));
}

/** Splits a worker's recorded stream into messages, with the bodies of result, file and cache-invalid. */
export function parseWorkerStream(bytes: Uint8Array): Recorded[] {
  const out: Recorded[] = [];
  let at = 0;
  while (at < bytes.length) {
    const nl = bytes.indexOf(10, at);
    const line = decoder.decode(bytes.subarray(at, nl));
    at = nl + 1;
    const len = /^(?:result \d+ \d+ (\d+) |file \S+ (\d+)$|cache-invalid \S+ (\d+)$)/.exec(line);
    const n = len ? Number(len[1] ?? len[2] ?? len[3]) : 0;
    out.push(n > 0 ? { line, body: bytes.subarray(at, at + n) } : { line });
    at += n;
  }
  return out;
}

/** The lines of a manager's recorded stream that must match, normalized (see {@linkcode normalize}). */
export function managerLines(bytes: Uint8Array, keep: RegExp): string[] {
  return decoder.decode(bytes).split("\n").filter((l) => keep.test(l)).map(normalize);
}

/**
 * A line with what may differ between two managers made equal: the counter in
 * `url-N-`/`cmd-N-` names of non-cached inputs (`url-0-` stays), and file and buffer
 * names (ours hash other things) as `file-*`, `buffer-*`; a put's mode is dropped.
 */
export function normalize(line: string): string {
  return line
    .replace(/\b(url|cmd)-[1-9]\d*-/g, "$1-N-")
    .replace(/\b(file|buffer)-\S+/g, "$1-*")
    .replace(/^(put \S+ \d+) \S+$/, "$1");
}

const encoder = new TextEncoder();

/**
 * Plays a worker's recorded messages after its handshake, in turns: after
 * each task block, up to `available_results`; after `send_results`, up to
 * `end`; after a `get`, up to `end`, renaming the recorded entries to the
 * name asked for. Cache names `url-N-<md5>`/`cmd-N-<md5>` become the ones
 * our manager sent with the same md5. Returns when the connection ends.
 */
export async function replay(w: FakeWorker, recorded: Recorded[]): Promise<void> {
  let i = recorded.findIndex((m) => m.line.startsWith("info worker-end-time")) + 1;
  for (;;) {
    const got = await w.expect(/^(task \d+|send_results -1|get \S+ 1)$/);
    if (got === null) return;
    let until: RegExp;
    let rename = (s: string) => s;
    if (got.startsWith("task")) {
      await w.expect(/^end$/);
      until = /^available_results$/;
    } else if (got.startsWith("send")) {
      until = /^end$/;
    } else {
      until = /^end$/;
      const recordedName = /^(?:file|dir|missing) (\S+?)(?:\/\S*)? /.exec(recorded[i].line)![1];
      const ours = got.split(" ")[1];
      rename = (s) => s.replaceAll(recordedName, ours);
    }
    const parts: Uint8Array[] = [];
    for (;;) {
      const m = recorded[i++];
      if (m === undefined) throw new Error(`Cannot replay: the recording ended before ${until}`);
      const line = rename(m.line).replace(
        /\b(url|cmd)-\d+-([0-9a-f]{32})\b/g,
        (name, kind, md5) =>
          w.transcript.findLast((l) => l.includes(`-${md5}`))?.match(
            new RegExp(`${kind}-\\d+-${md5}`),
          )?.[0] ?? name,
      );
      parts.push(encoder.encode(line + "\n"));
      if (m.body) parts.push(m.body);
      if (until.test(m.line)) break;
    }
    await w.send(decoder.decode(concat(parts)));
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
