/**
 * TLS to a manager whose certificate Deno's own TLS client refuses: one
 * trusted exactly (`--ssl-fingerprint`, or a certificate given to
 * `--ssl-ca`, whatever its CA flag and names), or not verified at all
 * (`--ssl-insecure`). `Deno.startTls` cannot show the peer's certificate
 * and refuses a CA certificate as a server's (`CaUsedAsEndEntity`), so this
 * runs node:tls over the dialed connection, with verification left to
 * {@linkcode judgeCertificate}, which decides before a byte of the
 * protocol is sent.
 *
 * @module
 */

import { isIP } from "node:net";
import { Duplex } from "node:stream";
import * as tls from "node:tls";
import { pemFingerprints, showFingerprint } from "./fingerprint.ts";
import type { ByteSink, ByteSource } from "./line_reader.ts";

/** Which certificates the client trusts for the manager. */
export interface TlsTrust {
  /**
   * PEM certificates (`--ssl-ca`). Each is trusted exactly, whatever its CA
   * flag and names, and as a CA: a certificate it signed is trusted if it
   * names the host. Without it, and without the options below, Deno's
   * default roots are used (Mozilla's, or the system's with
   * `DENO_TLS_CA_STORE=system`).
   */
  caCerts?: string[];
  /** SHA-256 fingerprints (`AB:CD:…`, see `parseFingerprint`) of certificates trusted exactly. */
  fingerprints?: string[];
  /** Verify nothing (`--ssl-insecure`, as CCTools' worker). Never a default. */
  insecure?: boolean;
}

/**
 * Whether a trust needs node:tls and our own check: anything but Deno's
 * default roots.
 *
 * @param trust What the client trusts.
 * @returns `false` for `{}` (`--ssl` alone), which `Deno.startTls` verifies.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(needsOwnCheck({}), false);
 * assert.equal(needsOwnCheck({ insecure: true }), true);
 * ```
 */
export function needsOwnCheck(trust: TlsTrust): boolean {
  return Boolean(trust.insecure || trust.fingerprints?.length || trust.caCerts?.length);
}

/** A secured connection: what the protocol needs of a socket. */
export interface ClientConn extends ByteSource, ByteSink {
  /** Closes the connection (again is harmless). */
  close(): void;
}

/** What the TLS handshake showed of the manager's certificate. */
export interface PeerCertificate {
  /** SHA-256 of its DER bytes, `AB:CD:…`. */
  fingerprint: string;
  /** Whether it chains to `caCerts` and names the host (node:tls's `authorized`). */
  authorized: boolean;
  /** Why not, as node:tls says (e.g. `ERR_TLS_CERT_ALTNAME_INVALID`). */
  authorizationError?: string;
}

/** The verdict of {@linkcode judgeCertificate}. */
export type Verdict = { ok: true; warning?: string } | { ok: false; reason: string };

/**
 * Decides whether to trust the manager's certificate.
 *
 * @param trust What the client trusts.
 * @param cert What the handshake showed.
 * @param hostname The host dialed, for the reason.
 * @returns Trusted (with a warning to log for `insecure`), or a one-line reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = Array(32).fill("AA").join(":"), b = Array(32).fill("BB").join(":");
 * const cert = { fingerprint: a, authorized: false };
 * assert.deepEqual(judgeCertificate({ fingerprints: [a] }, cert, "h"), { ok: true });
 * const no = judgeCertificate({ fingerprints: [b] }, cert, "h");
 * assert.ok(!no.ok && no.reason.includes(`sha256:${a}`) && no.reason.includes(`sha256:${b}`));
 * ```
 */
export function judgeCertificate(
  trust: TlsTrust,
  cert: PeerCertificate,
  hostname: string,
): Verdict {
  const pins = trust.fingerprints ?? [];
  const given = (trust.caCerts ?? []).flatMap(pemFingerprints);
  if (pins.includes(cert.fingerprint) || given.includes(cert.fingerprint)) return { ok: true };
  const actual = showFingerprint(cert.fingerprint);
  if (trust.caCerts?.length && cert.authorized) return { ok: true };
  if (trust.insecure) {
    return {
      ok: true,
      warning:
        `NOT verifying the manager's certificate (--ssl-insecure; its SHA-256 fingerprint is ${actual}): anyone who can answer at this address can run commands here`,
    };
  }
  if (!trust.caCerts?.length) {
    const expected = pins.length === 1
      ? showFingerprint(pins[0])
      : `one of ${pins.map(showFingerprint).join(", ")}`;
    return {
      ok: false,
      reason:
        `Cannot trust the manager's certificate: its SHA-256 fingerprint is ${actual}, expected ${expected} (--ssl-fingerprint)`,
    };
  }
  const why = caProblem(cert.authorizationError, hostname);
  return {
    ok: false,
    reason: `Cannot trust the manager's certificate (SHA-256 fingerprint ${actual}): ${why}${
      pins.length ? ", and no --ssl-fingerprint matches it" : ""
    }`,
  };
}

/** node:tls's reason why a certificate does not chain to `--ssl-ca`, in words. */
function caProblem(code: string | undefined, hostname: string): string {
  switch (code) {
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `it is not one of the certificates given to --ssl-ca, and though signed by one, it does not name '${hostname}'`;
    case "CERT_HAS_EXPIRED":
      return "it has expired";
    case "CERT_NOT_YET_VALID":
      return "it is not valid yet";
    default:
      return `it is neither one of the certificates given to --ssl-ca nor signed by one (${
        code ?? "unknown reason"
      })`;
  }
}

/** Options of {@linkcode startTrustedTls}. */
export interface TrustedTlsOptions {
  /** The host that was dialed. */
  hostname: string;
  /** What to trust. */
  trust: TlsTrust;
  /** Bound on the handshake. */
  timeoutMs: number;
  /** How the server is named in errors. */
  peer: string;
  /** Where a warning goes (`--ssl-insecure`). */
  warn?: (message: string) => void;
}

/**
 * Runs the TLS handshake with node:tls over a dialed connection and judges
 * the certificate before returning: on a refusal nothing but the handshake
 * has been sent, and the connection is closed.
 *
 * @param tcp The dialed connection (consumed).
 * @param o Host, trust, time bound, the peer's name and where warnings go.
 * @returns The secured connection.
 * @throws {Error} The handshake failed (`Cannot start TLS with ...`) or the certificate is not trusted.
 */
export async function startTrustedTls(
  tcp: Deno.TcpConn,
  o: TrustedTlsOptions,
): Promise<ClientConn> {
  const sock = tls.connect({
    socket: Duplex.fromWeb({ readable: tcp.readable, writable: tcp.writable }),
    host: o.hostname, // the name node:tls checks the certificate against
    servername: isIP(o.hostname) ? undefined : o.hostname,
    ca: o.trust.caCerts?.length ? o.trust.caCerts : undefined,
    rejectUnauthorized: false, // judged below, before anything is sent
  });
  const conn = new NodeTlsConn(sock, tcp);
  try {
    await handshake(sock, o);
    const peer = sock.getPeerCertificate();
    const verdict = judgeCertificate(o.trust, {
      fingerprint: peer.fingerprint256,
      authorized: sock.authorized,
      authorizationError: sock.authorizationError?.toString(),
    }, o.hostname);
    if (!verdict.ok) throw new Error(verdict.reason);
    if (verdict.warning) o.warn?.(verdict.warning);
    conn.start();
    return conn;
  } catch (e) {
    conn.close();
    throw e;
  }
}

/** Waits for node:tls's handshake, or says in words why it failed. */
function handshake(sock: tls.TLSSocket, o: TrustedTlsOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (why: string, cause?: unknown) => {
      clearTimeout(timer);
      reject(new Error(`Cannot start TLS with ${o.peer}: ${why}`, { cause }));
    };
    const timer = setTimeout(
      () =>
        fail(
          `${o.peer} did not complete a TLS handshake within ${
            o.timeoutMs / 1000
          } s (does it use TLS?)`,
        ),
      o.timeoutMs,
    );
    sock.once("secureConnect", () => {
      clearTimeout(timer);
      resolve();
    });
    sock.once("error", (e: Error) => fail(handshakeProblem(e, o.peer), e));
    sock.once(
      "close",
      () => fail(`${o.peer} closed the connection during the TLS handshake (does it use TLS?)`),
    );
  });
}

function handshakeProblem(e: Error, peer: string): string {
  if (/disconnected before|socket hang up|ECONNRESET|UnexpectedEof|closed/i.test(e.message)) {
    return `${peer} closed the connection during the TLS handshake (does it use TLS?)`;
  }
  if (/wrong version|InvalidContentType|corrupt message|record/i.test(e.message)) {
    return `${peer} answered in plain text, not TLS (does it use TLS?)`;
  }
  return e.message;
}

/** A node:tls socket with Deno's `read()`/`write()` contract, read only when asked. */
class NodeTlsConn implements ClientConn {
  #sock: tls.TLSSocket;
  #tcp: Deno.TcpConn;
  #chunks: Uint8Array[] = [];
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(sock: tls.TLSSocket, tcp: Deno.TcpConn) {
    this.#sock = sock;
    this.#tcp = tcp;
  }

  /** Starts taking the data (after the certificate was judged). */
  start(): void {
    const notify = () => {
      this.#wake?.();
      this.#wake = undefined;
    };
    this.#sock.on("data", (b: Uint8Array) => {
      this.#chunks.push(b);
      this.#sock.pause();
      notify();
    });
    this.#sock.on("end", () => {
      this.#ended = true;
      notify();
    });
    this.#sock.on("close", () => {
      this.#ended = true;
      notify();
    });
    this.#sock.on("error", (e: Error) => {
      this.#error = e;
      notify();
    });
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      const woken = new Promise<void>((resolve) => this.#wake = resolve);
      this.#sock.resume();
      await woken;
    }
    const c = this.#chunks[0];
    const n = Math.min(p.length, c.length);
    p.set(c.subarray(0, n));
    if (n < c.length) this.#chunks[0] = c.subarray(n);
    else this.#chunks.shift();
    return n;
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#sock.write(p, (e) => e ? reject(e) : resolve(p.length));
    });
  }

  close(): void {
    this.#ended = true;
    this.#sock.destroy();
    try {
      this.#tcp.close();
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    }
    this.#wake?.();
  }
}
