/**
 * Payloads and checks shared by the tests that move files through the test
 * proxy (tests/connection_cut_test.ts, tests/keepalive_transfer_test.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname } from "node:path";
import { exists } from "./_harness.ts";

/** One mebibyte. */
export const MiB = 1024 * 1024;
/** The size of the large inputs and outputs. */
export const BIG = 20 * MiB;

/** Deterministic pseudo-random bytes (xorshift32), so a cut body cannot look whole by chance. */
export function noise(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, size >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return out;
}

/** The SHA-256 of some bytes, in hex. */
export async function sha256(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Our worker's arguments: a work dir, a 60 s timeout, fixed resources,
 * protocol 11, and `extra`. The protocol is fixed because a cut right after
 * the handshake looks like a refusal of the dialect, which would make a
 * worker in `auto` redial with protocol 9 instead of ending its single shot.
 */
export function workerArgs(workdir: string, extra: string[] = [], cores = 1): string[] {
  const size = ["--cores", String(cores), "--memory", "1000", "--disk", "2000"];
  return ["-s", workdir, "-t", "60", "--protocol", "11", ...size, ...extra];
}

/** The names in a directory, sorted. */
export async function listDir(path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(path)) names.push(e.name);
  return names.sort();
}

/** Nothing is at an output's final path, and no temporary file is left beside it. */
export async function assertNothingLanded(final: string): Promise<void> {
  assert.equal(await exists(final), false, `'${final}' exists`);
  const dir = dirname(final);
  assert.deepEqual(await exists(dir) ? await listDir(dir) : [], [], `files left in '${dir}'`);
}
