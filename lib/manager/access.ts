/**
 * The manager's side of "who gets in": the listener (plain TCP or TLS), and
 * the admission of each accepted connection (TLS handshake, then the
 * password exchange) before its first line is read.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { authenticate } from "../wire/auth.ts";
import { pemFingerprints, showFingerprint } from "../wire/fingerprint.ts";
import type { FrameWriter } from "../wire/frame_writer.ts";
import type { LineReader } from "../wire/line_reader.ts";

/**
 * TLS for the manager's port. Each value is a PEM file's path, or the PEM
 * text itself (anything containing `-----BEGIN `).
 */
export interface SslOptions {
  /** The certificate chain (PEM), server certificate first. */
  cert: string;
  /** The private key (PEM: PKCS#8, RSA or EC). */
  key: string;
}

/**
 * Checks and converts a password given to the manager.
 *
 * @param password Text (taken as UTF-8) or bytes.
 * @param what What is being set, for the error.
 * @returns The password's bytes.
 * @throws {TypeError} If it is neither a string nor bytes.
 * @throws {RangeError} If it is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(passwordBytes("s3cret", "password"), new TextEncoder().encode("s3cret"));
 * ```
 */
export function passwordBytes(password: string | Uint8Array, what: string): Uint8Array {
  if (typeof password !== "string" && !(password instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot set ${what}: expected a string or a Uint8Array, got ${typeof password}`,
    );
  }
  const bytes = typeof password === "string" ? new TextEncoder().encode(password) : password;
  if (bytes.length === 0) throw new RangeError(`Cannot set ${what}: it is empty`);
  return bytes.slice();
}

/** Where and how the manager listens. */
export interface ListenerOptions {
  /** The address. */
  hostname: string;
  /** The port (0: any free port). */
  port: number;
  /** TLS certificate and key, if the port speaks TLS. */
  ssl?: SslOptions;
  /** Told the SHA-256 fingerprint of the server's certificate (`sha256:AB:CD:…`) once listening with TLS. */
  onCertificate?: (fingerprint: string) => void;
}

/**
 * Opens the manager's listener.
 *
 * @param options Address, port and TLS.
 * @returns A TCP or TLS listener.
 * @throws {Deno.errors.AddrInUse} If the port is taken (with the port in the message).
 * @throws {Error} If a TLS file cannot be read or the certificate and key are not usable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * using listener = openListener({ hostname: "127.0.0.1", port: 0 });
 * assert.notEqual((listener.addr as Deno.NetAddr).port, 0);
 * ```
 */
export function openListener(options: ListenerOptions): Deno.Listener {
  const { hostname, port, ssl } = options;
  try {
    if (!ssl) return Deno.listen({ hostname, port, transport: "tcp" });
    const cert = pem(ssl.cert, "ssl.cert");
    const key = pem(ssl.key, "ssl.key");
    let listener: Deno.TlsListener;
    try {
      listener = Deno.listenTls({ hostname, port, cert, key });
    } catch (e) {
      if (e instanceof Deno.errors.AddrInUse) throw e;
      throw new Error(
        `Cannot listen with TLS: the certificate or key is not usable: ${(e as Error).message}`,
        { cause: e },
      );
    }
    const [first] = pemFingerprints(cert);
    if (first !== undefined) options.onCertificate?.(showFingerprint(first));
    return listener;
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new Deno.errors.AddrInUse(
        `Cannot listen on ${hostname}:${port}: the address is in use`,
        { cause: e },
      );
    }
    throw e;
  }
}

/** PEM text, or the content of the PEM file it names. */
function pem(value: string, what: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(`Cannot use ${what}: expected a PEM file's path or PEM text`);
  }
  if (value.includes("-----BEGIN ")) return value;
  let text: string;
  try {
    text = Deno.readTextFileSync(value);
  } catch (e) {
    throw new Error(`Cannot read ${what} file '${value}': ${(e as Error).message}`, { cause: e });
  }
  if (!text.includes("-----BEGIN ")) {
    throw new Error(`Cannot use ${what} file '${value}': it holds no PEM block`);
  }
  return text;
}

/** What {@linkcode admit} needs. */
export interface AdmitOptions {
  /** The connection's reader, which the caller goes on using. */
  reader: LineReader;
  /** The connection's one writer: the exchange's lines go through it too. */
  writer: FrameWriter;
  /** The password peers must prove they hold, if any. */
  password?: Uint8Array;
  /** Bound on the TLS handshake and the exchange, each. */
  timeoutMs: number;
}

/**
 * Lets a freshly accepted connection in, or says why not: completes the
 * TLS handshake of a TLS connection, then runs the password exchange when
 * the manager has a password. Each connection is admitted on its own, so a
 * slow peer delays only itself.
 *
 * @param conn The accepted connection.
 * @param options The reader, the password and the time bound.
 * @throws {Error} A sentence fit for the log: a failed TLS handshake, a
 * wrong password, a peer that did not authenticate.
 *
 * @example
 * ```ts ignore
 * const reader = new LineReader(conn, { maxLine: MAX_LINE });
 * const writer = new FrameWriter(conn, () => conn.close());
 * await admit(conn, { reader, writer, password, timeoutMs: 30_000 });
 * const first = await reader.readLine(); // the worker's handshake, or a status query
 * ```
 */
export async function admit(conn: Deno.Conn, options: AdmitOptions): Promise<void> {
  if (isTls(conn)) {
    try {
      await conn.handshake();
    } catch (e) {
      const msg = (e as Error).message;
      const hint = /InvalidContentType|corrupt message/i.test(msg)
        ? " (a worker or client without TLS?)"
        : /UnknownCA|unexpected end of file/i.test(msg)
        ? " (a worker or client that does not trust this certificate?)"
        : "";
      throw new ProtocolError(`Cannot start TLS: ${msg}${hint}`, { cause: e });
    }
  }
  if (!options.password) return;
  const { writer } = options;
  const through = {
    read: (p: Uint8Array) => conn.read(p),
    async write(p: Uint8Array): Promise<number> {
      writer.send(p);
      await writer.flushed();
      if (writer.error) throw writer.error;
      return p.length;
    },
  };
  const outcome = await authenticate(through, {
    password: options.password,
    lines: options.reader,
    timeoutMs: options.timeoutMs,
  });
  if (!outcome.ok) {
    throw new ProtocolError(
      outcome.peerKnowsPassword
        ? "Cannot authenticate: the peer refused our password"
        : "Cannot authenticate: the peer presented the wrong password",
    );
  }
}

function isTls(conn: Deno.Conn): conn is Deno.TlsConn {
  return typeof (conn as Partial<Deno.TlsConn>).handshake === "function";
}
