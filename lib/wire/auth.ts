/**
 * CCTools' password authentication (`link_auth_password`, protocol spec
 * §2.1), shared by the manager, the worker and the status client.
 *
 * Both sides run the same steps, each writing its line of a step without
 * waiting for the peer's:
 *
 * 1. `auth password sha1`, and require the same line back;
 * 2. a random challenge line, and read the peer's;
 * 3. `hex(SHA1(password + " " + peer_challenge))`, and read the peer's answer;
 * 4. `ok` if the peer's answer matches our challenge, else `failure`;
 * 5. read the peer's verdict. Both verdicts must be `ok`.
 *
 * The password is raw bytes: with `-P FILE`, the whole file, trailing
 * newline included. It never crosses the wire; an observer sees only the
 * challenges and their hashes.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { ConnectionClosedError, ProtocolError } from "../errors.ts";
import { type ByteSink, type ByteSource, writeAll } from "./line_reader.ts";
import { clip } from "./protocol.ts";
import { startsLikeTls, TLS_MISMATCH } from "./tls_sniff.ts";

/** The first line of the exchange, sent by both sides. */
export const AUTH_IDENT = "auth password sha1";
/** The longest line of the exchange, terminator included (CCTools' LINK_AUTH_LINE_MAX). */
export const AUTH_LINE_MAX = 1024;

/** Where the peer's lines come from; a {@linkcode LineReader} is one. */
export interface LineSource {
  /** The next line without its LF, or `null` at end of stream. */
  readLine(): Promise<string | null>;
}

/** Options of {@linkcode authenticate}. */
export interface AuthOptions {
  /** The shared password, as bytes (a string is taken as UTF-8). */
  password: Uint8Array | string;
  /**
   * The peer's lines, when the caller already reads the connection through
   * a buffered reader that it goes on using afterwards. Default: read the
   * connection one byte at a time, so that nothing after the exchange is
   * consumed.
   */
  lines?: LineSource;
  /** Give up after this many milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** How the peer is named in errors. Default `the peer`. */
  peer?: string;
}

/** How an exchange that ran to its end came out. */
export interface AuthOutcome {
  /** Both sides proved they hold the same password. */
  ok: boolean;
  /** The peer answered our challenge correctly: it holds our password. */
  peerKnowsPassword: boolean;
  /** The peer accepted our answer to its challenge. */
  peerAcceptedUs: boolean;
}

const encoder = new TextEncoder();

/**
 * Runs the exchange on a connection.
 *
 * @param conn The connection (only written to when `options.lines` is given).
 * @param options The password, the line source, the timeout and the peer's name.
 * @returns The outcome; `ok` is true only if both verdicts are `ok`.
 * @throws {ProtocolError} If the peer does not authenticate (its first line
 * is something else), sends an over-long line, or does not answer in time.
 * @throws {ConnectionClosedError} If the peer closes the connection meanwhile.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // Two ends of an in-memory pipe, authenticating to each other.
 * function pipe() {
 *   const queue: Uint8Array[] = [];
 *   let wake = () => {};
 *   return {
 *     write(p: Uint8Array) {
 *       queue.push(p.slice());
 *       wake();
 *       return Promise.resolve(p.length);
 *     },
 *     async read(p: Uint8Array) {
 *       while (queue.length === 0) await new Promise<void>((r) => wake = r);
 *       const head = queue[0];
 *       const n = Math.min(p.length, head.length);
 *       p.set(head.subarray(0, n));
 *       if (n === head.length) queue.shift();
 *       else queue[0] = head.subarray(n);
 *       return n;
 *     },
 *   };
 * }
 * const ab = pipe(), ba = pipe();
 * const a = { read: (p: Uint8Array) => ba.read(p), write: (p: Uint8Array) => ab.write(p) };
 * const b = { read: (p: Uint8Array) => ab.read(p), write: (p: Uint8Array) => ba.write(p) };
 * const [x, y] = await Promise.all([
 *   authenticate(a, { password: "s3cret\n" }),
 *   authenticate(b, { password: "s3cret\n" }),
 * ]);
 * assert.equal(x.ok, true);
 * assert.equal(y.ok, true);
 * ```
 */
export async function authenticate(
  conn: ByteSource & ByteSink,
  options: AuthOptions,
): Promise<AuthOutcome> {
  const password = typeof options.password === "string"
    ? encoder.encode(options.password)
    : options.password;
  const peer = options.peer ?? "the peer";
  const timeoutMs = options.timeoutMs ?? 30_000;
  const lines = options.lines ?? unbufferedLines(conn);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ProtocolError(
            `Cannot authenticate: ${peer} did not answer within ${timeoutMs / 1000} s`,
          ),
        ),
      timeoutMs,
    );
  });
  // Every await below races this, so its rejection is always observed; the
  // catch only keeps it from counting as unhandled between two awaits.
  expired.catch(() => {});
  const within = <T>(p: Promise<T>): Promise<T> => Promise.race([p, expired]);
  const send = (line: string) => within(writeAll(conn, encoder.encode(`${line}\n`)));
  const read = async (what: string): Promise<string> => {
    const line = await within(lines.readLine());
    if (line === null) {
      throw new ConnectionClosedError(
        `Cannot authenticate: ${peer} closed the connection before sending its ${what}`,
      );
    }
    if (line.length >= AUTH_LINE_MAX) {
      throw new ProtocolError(
        `Cannot authenticate: ${peer}'s ${what} is longer than ${AUTH_LINE_MAX} bytes`,
      );
    }
    return line;
  };
  try {
    await send(AUTH_IDENT);
    let ident: string | null;
    try {
      ident = await within(lines.readLine());
    } catch (e) {
      if (e instanceof ConnectionClosedError) throw notUsingPassword(peer, e);
      throw e;
    }
    if (ident === null) throw notUsingPassword(peer);
    if (ident !== AUTH_IDENT) {
      throw new ProtocolError(
        `Cannot authenticate: ${peer} did not start password authentication; its first line was '${
          clip(ident)
        }'${hintFor(ident)}`,
      );
    }
    const mine = challenge();
    await send(mine);
    const theirs = await read("challenge");
    await send(answer(password, theirs));
    const expected = encoder.encode(answer(password, mine));
    const got = encoder.encode(await read("answer"));
    const peerKnowsPassword = got.length === expected.length && timingSafeEqual(got, expected);
    await send(peerKnowsPassword ? "ok" : "failure");
    const peerAcceptedUs = (await read("verdict")) === "ok";
    return { ok: peerKnowsPassword && peerAcceptedUs, peerKnowsPassword, peerAcceptedUs };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Says in words why an exchange failed, from our side.
 *
 * @param outcome A failed outcome of {@linkcode authenticate}.
 * @param peer How to name the peer, e.g. `the manager`.
 * @returns A sentence such as "the manager refused our password, and its password is different".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const why = describeAuthFailure(
 *   { ok: false, peerKnowsPassword: false, peerAcceptedUs: false },
 *   "the manager",
 * );
 * assert.equal(why, "the manager refused our password, and the manager's password is different");
 * ```
 */
export function describeAuthFailure(outcome: AuthOutcome, peer: string): string {
  const refused = `${peer} refused our password`;
  const different = `${peer}'s password is different`;
  if (!outcome.peerAcceptedUs && !outcome.peerKnowsPassword) return `${refused}, and ${different}`;
  if (!outcome.peerAcceptedUs) return refused;
  if (!outcome.peerKnowsPassword) return `${different} (it answered our challenge wrongly)`;
  return `${peer} accepted the password`;
}

/** SHA1(password + " " + challenge) as 40 lowercase hex digits. */
function answer(password: Uint8Array, challenge: string): string {
  return createHash("sha1").update(password).update(" ").update(challenge).digest("hex");
}

/** 64 random hex digits (CCTools sends 63 characters from 'H'..'z'; the peer treats it as opaque). */
function challenge(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function notUsingPassword(peer: string, cause?: Error): Error {
  return new ConnectionClosedError(
    `Cannot authenticate: ${peer} closed the connection without authenticating (does it use a password?)`,
    { cause },
  );
}

/** A guess at what kind of peer sent this first line instead of authenticating. */
function hintFor(line: string): string {
  const word = line.split(" ")[0];
  if (word === "workqueue") return " (a worker started without a password)";
  if (/^(queue|worker|task|wable|resources)_status$/.test(word) || word === "GET") {
    return " (a status query without the password)";
  }
  return "";
}

/**
 * Lines read one byte at a time, never past the LF of the last line
 * asked for, with the bound {@linkcode AUTH_LINE_MAX}.
 */
function unbufferedLines(src: ByteSource): LineSource {
  const one = new Uint8Array(1);
  const line = new Uint8Array(AUTH_LINE_MAX);
  let atStart = true;
  return {
    async readLine(): Promise<string | null> {
      let n = 0;
      for (;;) {
        const got = await src.read(one);
        if (got === null) {
          if (n === 0) return null;
          throw new ConnectionClosedError(
            `Cannot read line: the stream ended after ${n} bytes of an unfinished line`,
          );
        }
        if (got === 0) continue;
        if (one[0] === 0x0a) break;
        if (n === AUTH_LINE_MAX) {
          throw new ProtocolError(`Cannot read line: it is longer than ${AUTH_LINE_MAX} bytes`);
        }
        if (one[0] !== 0x0d) line[n++] = one[0];
        if (atStart && n === 2) {
          atStart = false;
          if (startsLikeTls(line)) throw new ProtocolError(`Cannot read line: ${TLS_MISMATCH}`);
        }
      }
      atStart = false;
      return new TextDecoder().decode(line.subarray(0, n));
    },
  };
}
