/**
 * The client's side of "who gets in": after dialing a manager, start TLS
 * (if asked) and then the password exchange (if the client has one). Used
 * by the worker and by the status client.
 *
 * @module
 */

import { errorMessage } from "../errors.ts";
import { authenticate, describeAuthFailure } from "./auth.ts";
import { parseFingerprint } from "./fingerprint.ts";
import { type ClientConn, needsOwnCheck, startTrustedTls, type TlsTrust } from "./tls_trust.ts";

export type { ClientConn, TlsTrust };

/** Options of {@linkcode secureClient}. */
export interface SecureClientOptions {
  /** The host that was dialed: the manager's certificate must name it (DNS name or IP address). */
  hostname: string;
  /**
   * Speak TLS. With nothing in it, Deno's default roots are trusted
   * (Mozilla's, or the system's with `DENO_TLS_CA_STORE=system`); see
   * {@linkcode TlsTrust} for the rest.
   */
  tls?: TlsTrust;
  /** Authenticate with this password (CCTools' `-P FILE`: the whole file). */
  password?: Uint8Array;
  /** Bound on the TLS handshake and on the password exchange, each. Default 30 000 ms. */
  timeoutMs?: number;
  /** How the server is named in errors. Default `the manager`. */
  peer?: string;
  /** Gives up (closing the connection) when aborted. */
  signal?: AbortSignal;
  /** Where a warning goes: the certificate was not verified (`tls.insecure`). */
  warn?: (message: string) => void;
}

/**
 * Secures a freshly dialed connection: TLS first, then the password.
 * On failure the connection is closed.
 *
 * @param conn The TCP connection to the manager.
 * @param options Host name, TLS trust, password and timeout.
 * @returns The connection to use from now on. Nothing was sent on it but
 * the TLS handshake and the password exchange.
 * @throws {Error} `Cannot start TLS with the manager: ...`,
 * `Cannot trust the manager's certificate: ...` or
 * `Cannot authenticate: the manager refused our password ...`.
 *
 * @example
 * ```ts ignore
 * const tcp = await Deno.connect({ hostname: "127.0.0.1", port: 9123 });
 * const conn = await secureClient(tcp, {
 *   hostname: "127.0.0.1",
 *   tls: { caCerts: [await Deno.readTextFile("cert.pem")] },
 *   password: await Deno.readFile("pw.txt"),
 * });
 * ```
 */
export async function secureClient(
  conn: Deno.TcpConn,
  options: SecureClientOptions,
): Promise<ClientConn> {
  const peer = options.peer ?? "the manager";
  const timeoutMs = options.timeoutMs ?? 30_000;
  let current: ClientConn = conn;
  const onAbort = () => closeQuietly(current);
  options.signal?.addEventListener("abort", onAbort);
  try {
    options.signal?.throwIfAborted();
    if (options.tls && needsOwnCheck(options.tls)) {
      current = await startTrustedTls(conn, {
        hostname: options.hostname,
        trust: options.tls,
        timeoutMs,
        peer,
        warn: options.warn,
      });
    } else if (options.tls) {
      const tls = await Deno.startTls(conn, {
        hostname: options.hostname,
      });
      current = tls;
      await handshake(tls, { ...options, peer, timeoutMs });
    }
    if (options.password) {
      const outcome = await authenticate(current, {
        password: options.password,
        timeoutMs,
        peer,
      });
      if (!outcome.ok) {
        throw new Error(`Cannot authenticate: ${describeAuthFailure(outcome, peer)}`);
      }
    }
    return current;
  } catch (e) {
    closeQuietly(current);
    throw e;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** Completes the TLS handshake within the time bound, or says in words why not. */
async function handshake(
  tls: Deno.TlsConn,
  o: SecureClientOptions & { peer: string; timeoutMs: number },
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), o.timeoutMs);
  });
  try {
    const done = await Promise.race([tls.handshake(), expired]);
    if (done === "expired") {
      throw new Error(
        `${o.peer} did not complete a TLS handshake within ${
          o.timeoutMs / 1000
        } s (does it use TLS?)`,
      );
    }
  } catch (e) {
    throw new Error(`Cannot start TLS with ${o.peer}: ${tlsProblem(e, o)}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/** A TLS client error in words, with what to do about it. */
function tlsProblem(e: unknown, o: { peer: string; hostname: string }): string {
  const msg = errorMessage(e);
  if (/UnexpectedEof|unexpected end of file|reset|Connection.*closed/i.test(msg)) {
    return `${o.peer} closed the connection during the TLS handshake (does it use TLS?)`;
  }
  if (/InvalidContentType|corrupt message/i.test(msg)) {
    return `${o.peer} answered in plain text, not TLS (does it use TLS?)`;
  }
  if (/NotValidForName/i.test(msg)) {
    return `${msg} (the certificate does not name '${o.hostname}')`;
  }
  if (/certificate|UnknownIssuer|CaUsedAsEndEntity/i.test(msg)) {
    return `${msg} (trust the manager's certificate or its CA with --ssl-ca FILE, or the certificate by its fingerprint with --ssl-fingerprint)`;
  }
  return msg;
}

function closeQuietly(conn: ClientConn): void {
  try {
    conn.close();
  } catch (e) {
    if (!(e instanceof Deno.errors.BadResource)) throw e;
  }
}

/**
 * Reads a PEM file (a certificate, a CA or a key), with an error that
 * names the option it was given to.
 *
 * @param path The file.
 * @param option The option, e.g. `--ssl-ca`, for the error.
 * @returns The PEM text.
 * @throws {Error} `Cannot read ... given to OPTION: ...` if it cannot be read or holds no PEM block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "not a certificate\n");
 * await assert.rejects(readPemFile(path, "--ssl-ca"), /given to --ssl-ca: it holds no PEM block/);
 * await Deno.remove(path);
 * ```
 */
export async function readPemFile(path: string, option: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`Cannot read file '${path}' given to ${option}: ${fileProblem(e)}`, {
      cause: e,
    });
  }
  if (!text.includes("-----BEGIN ")) {
    throw new Error(`Cannot use file '${path}' given to ${option}: it holds no PEM block`);
  }
  return text;
}

/** A client's TLS options as given on its command line. */
export interface TlsFlags {
  /** `--ssl`: speak TLS, trusting Deno's default roots. */
  ssl?: boolean;
  /** `--ssl-ca FILE`: trust the PEM certificates in FILE, exactly and as CAs. */
  sslCa?: string;
  /** `--ssl-fingerprint FP` (repeatable): trust exactly the certificate with this SHA-256 fingerprint. */
  sslFingerprint?: string[];
  /** `--ssl-insecure`: verify nothing. */
  sslInsecure?: boolean;
}

/**
 * Turns a client's TLS options into what {@linkcode secureClient} trusts,
 * reading the `--ssl-ca` file. Each of the others implies `--ssl`.
 *
 * @param flags The options given.
 * @returns What to trust, or `undefined` for no TLS.
 * @throws {RangeError} For a fingerprint that is not one.
 * @throws {TypeError} For `--ssl-insecure` with an option that verifies.
 * @throws {Error} If the `--ssl-ca` file cannot be read or holds no PEM block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(await readTlsTrust({}), undefined);
 * assert.deepEqual(await readTlsTrust({ ssl: true }), {});
 * const fp = "ab".repeat(32);
 * assert.deepEqual(await readTlsTrust({ sslFingerprint: [fp] }), {
 *   fingerprints: [Array(32).fill("AB").join(":")],
 * });
 * await assert.rejects(readTlsTrust({ sslInsecure: true, sslFingerprint: [fp] }), TypeError);
 * ```
 */
export async function readTlsTrust(flags: TlsFlags): Promise<TlsTrust | undefined> {
  const pins = flags.sslFingerprint ?? [];
  if (flags.sslInsecure && (pins.length > 0 || flags.sslCa !== undefined)) {
    throw new TypeError(
      "Cannot use --ssl-insecure with --ssl-ca or --ssl-fingerprint: it verifies nothing, they verify",
    );
  }
  const trust: TlsTrust = {};
  if (pins.length > 0) {
    trust.fingerprints = pins.map((p) => parseFingerprint(p, "--ssl-fingerprint"));
  }
  if (flags.sslCa !== undefined) trust.caCerts = [await readPemFile(flags.sslCa, "--ssl-ca")];
  if (flags.sslInsecure) trust.insecure = true;
  return flags.ssl || Object.keys(trust).length > 0 ? trust : undefined;
}

/**
 * Reads a password file as CCTools does for `-P FILE`: the whole content,
 * trailing newline included, as bytes.
 *
 * @param path The file.
 * @param option The option it was given to, for the error (e.g. `-P`).
 * @returns The password.
 * @throws {Error} `Cannot read password file ...` if it cannot be read or is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "s3cret\n");
 * // The whole file is the password, newline included.
 * assert.deepEqual(readPasswordFile(path, "-P"), new TextEncoder().encode("s3cret\n"));
 * await Deno.remove(path);
 * ```
 */
export function readPasswordFile(path: string, option: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    throw new Error(`Cannot read password file '${path}' given to ${option}: ${fileProblem(e)}`, {
      cause: e,
    });
  }
  if (bytes.length === 0) {
    throw new Error(`Cannot use password file '${path}' given to ${option}: it is empty`);
  }
  return bytes;
}

/** Why a file could not be read, in words. */
function fileProblem(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "it is a directory";
  return errorMessage(e);
}
