import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ConnectionClosedError, ProtocolError } from "../errors.ts";
import { AUTH_IDENT, authenticate, describeAuthFailure } from "./auth.ts";
import { LineReader } from "./line_reader.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One direction of an in-memory connection. */
class Pipe {
  #queue: Uint8Array[] = [];
  #wake: (() => void) | undefined;
  #closed = false;
  write(p: Uint8Array): Promise<number> {
    this.#queue.push(p.slice());
    this.#wake?.();
    return Promise.resolve(p.length);
  }
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#queue.length === 0) {
      if (this.#closed) return null;
      await new Promise<void>((r) => this.#wake = r);
    }
    const head = this.#queue[0];
    const n = Math.min(p.length, head.length);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#queue.shift();
    else this.#queue[0] = head.subarray(n);
    return n;
  }
}

/** Two connected ends. */
function connected() {
  const ab = new Pipe(), ba = new Pipe();
  const end = (rx: Pipe, tx: Pipe) => ({
    read: (p: Uint8Array) => rx.read(p),
    write: (p: Uint8Array) => tx.write(p),
    close: () => tx.close(),
  });
  return [end(ba, ab), end(ab, ba)] as const;
}

/** A peer that plays a script: `send` steps are written, `read` steps get the next line. */
async function script(
  conn: ReturnType<typeof connected>[number],
  steps: ({ send: () => string } | { read: (line: string) => void })[],
): Promise<void> {
  const r = new LineReader(conn);
  for (const s of steps) {
    if ("send" in s) await conn.write(enc.encode(s.send()));
    else s.read((await r.readLine()) ?? "<eof>");
  }
}

function sha1(s: string): string {
  return createHash("sha1").update(s).digest("hex");
}

Deno.test("authenticate() succeeds when both sides hold the same password", async () => {
  const [a, b] = connected();
  const [x, y] = await Promise.all([
    authenticate(a, { password: "s3cret\n" }),
    authenticate(b, { password: enc.encode("s3cret\n") }),
  ]);
  assert.deepEqual(x, { ok: true, peerKnowsPassword: true, peerAcceptedUs: true });
  assert.deepEqual(y, { ok: true, peerKnowsPassword: true, peerAcceptedUs: true });
});

Deno.test("authenticate() fails on both sides when the passwords differ (a trailing newline counts)", async () => {
  const [a, b] = connected();
  const [x, y] = await Promise.all([
    authenticate(a, { password: "s3cret\n" }),
    authenticate(b, { password: "s3cret" }),
  ]);
  const failed = { ok: false, peerKnowsPassword: false, peerAcceptedUs: false };
  assert.deepEqual(x, failed);
  assert.deepEqual(y, failed);
  assert.equal(
    describeAuthFailure(x, "the manager"),
    "the manager refused our password, and the manager's password is different",
  );
});

Deno.test("authenticate() answers the manager's challenge of trace 03 as CCTools' worker did", async () => {
  // Trace 03: manager password 's3cret'; the worker answered this challenge
  // with 01be540c44cf618fccee139e2f2ee2c728757634.
  const managerChallenge = "`hRguKfma`QpbNx^^aUam^zt[jvycuamULNVwZHjn[fMIxQbXaWc]PsSj\\qRd`V";
  const [worker, manager] = connected();
  let ident = "", ours = "", answer = "", verdict = "";
  const played = script(manager, [
    { send: () => `${AUTH_IDENT}\n` },
    { read: (l) => ident = l },
    { send: () => `${managerChallenge}\n` },
    { read: (l) => ours = l },
    { send: () => `${sha1(`s3cret ${ours}`)}\n` },
    { read: (l) => answer = l },
    { send: () => answer === "01be540c44cf618fccee139e2f2ee2c728757634" ? "ok\n" : "failure\n" },
    { read: (l) => verdict = l },
  ]);
  const outcome = await authenticate(worker, { password: "s3cret", peer: "the manager" });
  await played;
  assert.equal(ident, AUTH_IDENT);
  assert.equal(answer, "01be540c44cf618fccee139e2f2ee2c728757634");
  assert.equal(verdict, "ok");
  assert.deepEqual(outcome, { ok: true, peerKnowsPassword: true, peerAcceptedUs: true });
});

Deno.test("authenticate() names a worker that did not authenticate", async () => {
  const [a, b] = connected();
  await b.write(enc.encode("workqueue 9 vm Linux x86_64 8.0.0\n"));
  await assert.rejects(
    authenticate(a, { password: "pw", peer: "the worker" }),
    (e: Error) =>
      e instanceof ProtocolError &&
      e.message ===
        "Cannot authenticate: the worker did not start password authentication; its first line was 'workqueue 9 vm Linux x86_64 8.0.0' (a worker started without a password)",
  );
});

Deno.test("authenticate() names a status query that did not authenticate", async () => {
  const [a, b] = connected();
  await b.write(enc.encode("queue_status\n"));
  await assert.rejects(
    authenticate(a, { password: "pw" }),
    /its first line was 'queue_status' \(a status query without the password\)/,
  );
});

Deno.test("authenticate() says the peer may not use a password when it closes at once", async () => {
  const [a, b] = connected();
  b.close();
  await assert.rejects(
    authenticate(a, { password: "pw", peer: "the manager" }),
    (e: Error) =>
      e instanceof ConnectionClosedError &&
      /the manager closed the connection without authenticating \(does it use a password\?\)/
        .test(e.message),
  );
});

Deno.test("authenticate() bounds the length of the peer's lines", async () => {
  const [a, b] = connected();
  await b.write(enc.encode(`${AUTH_IDENT}\n${"x".repeat(5000)}\n`));
  await assert.rejects(authenticate(a, { password: "pw" }), /longer than 1024 bytes/);
  // The same bound holds with a buffered reader.
  const [c, d] = connected();
  await d.write(enc.encode(`${AUTH_IDENT}\n${"x".repeat(2000)}\n`));
  await assert.rejects(
    authenticate(c, { password: "pw", lines: new LineReader(c) }),
    /challenge is longer than 1024 bytes/,
  );
});

Deno.test("authenticate() gives up on a silent peer after its timeout", async () => {
  const [a] = connected();
  await assert.rejects(
    authenticate(a, { password: "pw", timeoutMs: 50, peer: "the worker" }),
    /Cannot authenticate: the worker did not answer within 0.05 s/,
  );
});

Deno.test("authenticate() recognises a TLS peer on a plain connection", async () => {
  const [a, b] = connected();
  // A TLS alert record, as Deno's TLS server sends to a plain client.
  await b.write(new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32]));
  b.close();
  await assert.rejects(authenticate(a, { password: "pw" }), /the peer speaks TLS/);
});

Deno.test("authenticate() reads nothing past the peer's verdict", async () => {
  const [a, b] = connected();
  const peer = (async () => {
    const outcome = await authenticate(b, { password: "pw" });
    // The worker's handshake follows straight after its verdict.
    await b.write(enc.encode("workqueue 9 vm Linux x86_64 8.0.0\n"));
    return outcome;
  })();
  const lines = new LineReader(a);
  const outcome = await authenticate(a, { password: "pw", lines });
  assert.ok(outcome.ok && (await peer).ok);
  assert.equal(await lines.readLine(), "workqueue 9 vm Linux x86_64 8.0.0");
  // And the unbuffered default leaves the handshake for the session's reader.
  const [c, d] = connected();
  const other = authenticate(d, { password: "pw" }).then(async (o) => {
    await d.write(enc.encode("task 1\n"));
    return o;
  });
  assert.ok((await authenticate(c, { password: "pw" })).ok && (await other).ok);
  const buf = new Uint8Array(64);
  const n = await c.read(buf);
  assert.equal(dec.decode(buf.subarray(0, n ?? 0)), "task 1\n");
});
