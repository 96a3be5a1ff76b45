/**
 * TLS with the certificate CCTools' users have: `openssl req -x509` without
 * extensions, which is self-signed, names no host (no subjectAltName) and
 * is marked as a CA. Deno's TLS client refuses it even as a trusted root;
 * our worker trusts it by fingerprint (`--ssl-fingerprint`), or given to
 * `--ssl-ca`. A wrong fingerprint is refused before a byte of the protocol
 * is sent, and `--ssl-insecure` verifies nothing, loudly.
 */

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { runStatusTool } from "./_catalog.ts";
import { requireBinary, startWorker, type TempDir, tempDir, until } from "./_harness.ts";

/** `openssl req -x509` as CCTools' users run it: CA:TRUE, no subjectAltName. */
async function makeCaFlaggedCert(
  dir: TempDir,
  name = "cert",
): Promise<{ cert: string; key: string }> {
  const cert = `${dir.path}/${name}.pem`;
  const key = `${dir.path}/${name}-key.pem`;
  const openssl = requireBinary("openssl", "apt-get install -y openssl");
  await openssl_(openssl, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=wq-manager",
    "-days",
    "1",
    "-keyout",
    key,
    "-out",
    cert,
  ]);
  const text = await openssl_(openssl, ["x509", "-noout", "-text", "-in", cert]);
  assert.match(text, /CA:TRUE/, "openssl req -x509 marks its certificate as a CA");
  return { cert, key };
}

/** What openssl says the certificate's SHA-256 fingerprint is (`AB:CD:…`). */
async function opensslFingerprint(cert: string): Promise<string> {
  const out = await openssl_(requireBinary("openssl"), [
    "x509",
    "-noout",
    "-fingerprint",
    "-sha256",
    "-in",
    cert,
  ]);
  const m = /Fingerprint=([0-9A-F:]+)/i.exec(out);
  assert.ok(m, out);
  return m[1].toUpperCase();
}

async function openssl_(bin: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(bin, { args, stdout: "piped", stderr: "piped" }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

/** A manager whose log lines are kept. */
function manager(options: ConstructorParameters<typeof WorkQueue>[0]) {
  const log: string[] = [];
  const wq = new WorkQueue({ port: 0, ...options, logger: (_l, m) => log.push(m) });
  return { wq, text: () => log.join("\n") };
}

/** Submits one task and waits for it; asserts that it ran. */
async function runOneTask(wq: WorkQueue, context: () => string): Promise<void> {
  wq.submit(new Task("echo over-tls"));
  const t = await wq.wait(60);
  assert.ok(t, `no task back\n${context()}`);
  assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, `${t.failure}\n${context()}`);
  assert.equal(t.output, "over-tls\n");
}

Deno.test("TLS fingerprint: the manager logs it as openssl shows it; --ssl-fingerprint (with or without colons, any case) runs tasks; --ssl-ca on the same CA-flagged certificate too", async () => {
  await using dir = await tempDir("wq-tls-fp-");
  const tls = await makeCaFlaggedCert(dir);
  const fp = await opensslFingerprint(tls.cert);
  const m = manager({ ssl: tls });
  await using wq = m.wq;
  assert.match(
    m.text(),
    new RegExp(`listening with TLS; the certificate's SHA-256 fingerprint is sha256:${fp} `),
  );

  for (
    const args of [
      ["--ssl-fingerprint", `sha256:${fp}`],
      ["--ssl-fingerprint", fp.replaceAll(":", "").toLowerCase()],
      // another pin besides: any one of them will do
      ["--ssl-fingerprint", "00".repeat(32), "--ssl-fingerprint", fp],
      ["--ssl-ca", tls.cert],
    ]
  ) {
    await using worker = startWorker(wq.port, { args: [...args, "--single-shot", "-t", "60"] });
    const context = () =>
      `${args.join(" ")}\n--- manager:\n${m.text()}\n--- worker:\n${worker.log()}`;
    await runOneTask(wq, context);
  }

  // The status tool takes the same options.
  for (const args of [["--ssl-fingerprint", fp], ["--ssl-ca", tls.cert]]) {
    const status = await runStatusTool(["--json", ...args, "127.0.0.1", String(wq.port)]);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).length, 1, status.stdout);
  }
  const wrong = await runStatusTool([
    "--ssl-fingerprint",
    "ab".repeat(32),
    "127.0.0.1",
    String(wq.port),
  ]);
  assert.equal(wrong.code, 1, wrong.stdout);
  assert.match(
    wrong.stderr,
    new RegExp(
      `Cannot trust the manager's certificate: its SHA-256 fingerprint is sha256:${fp}, expected sha256:(AB:){31}AB \\(--ssl-fingerprint\\)`,
    ),
  );
});

Deno.test("TLS fingerprint: a wrong fingerprint is refused in one line naming both, before any byte of the protocol is sent", async () => {
  await using dir = await tempDir("wq-tls-fp-wrong-");
  const tls = await makeCaFlaggedCert(dir);
  const fp = await opensslFingerprint(tls.cert);
  // A raw TLS listener in the manager's place, counting what it receives after the handshake.
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(tls.cert),
    key: await Deno.readTextFile(tls.key),
  });
  const port = (listener.addr as Deno.NetAddr).port;
  const other = "12".repeat(32);
  await using worker = startWorker(port, { args: ["--ssl-fingerprint", other, "-t", "60"] });
  const received = await bytesReceived(listener);
  assert.equal(received, 0, `the worker sent ${received} bytes\n${worker.log()}`);
  const expected = other.toUpperCase().match(/../g)!.join(":");
  await until(
    () => /Cannot trust/.test(worker.log()),
    `the worker to refuse the certificate\n${worker.log()}`,
  );
  assert.match(
    worker.log(),
    new RegExp(
      `manager 127\\.0\\.0\\.1:${port}: Cannot trust the manager's certificate: its SHA-256 fingerprint is sha256:${fp}, expected sha256:${expected} \\(--ssl-fingerprint\\); retrying in`,
    ),
  );

  // The control: with the right fingerprint, the same listener does receive the worker's first line.
  worker.kill("SIGTERM");
  await worker.status; // no retry of the refused worker reaches the listener
  await using right = startWorker(port, { args: ["--ssl-fingerprint", fp, "-t", "60"] });
  assert.ok(await bytesReceived(listener) > 0, right.log());
  listener.close();
});

/** Accepts one connection and counts the bytes it sends after the TLS handshake, until it closes. */
async function bytesReceived(listener: Deno.TlsListener): Promise<number> {
  using conn = await listener.accept();
  let total = 0;
  const buf = new Uint8Array(4096);
  try {
    await conn.handshake();
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      total += n;
      if (total > 0) break; // the worker would wait for an answer
    }
  } catch (e) {
    // The worker closes without a close_notify, maybe before the server's
    // side of the handshake is done.
    assert.ok(
      e instanceof Deno.errors.UnexpectedEof || e instanceof Deno.errors.ConnectionReset,
      String(e),
    );
  }
  return total;
}

Deno.test("TLS fingerprint: --ssl-ca with another certificate and plain --ssl are refused with the fingerprint or a hint; --ssl-insecure runs tasks and warns", async () => {
  await using dir = await tempDir("wq-tls-fp-other-");
  const tls = await makeCaFlaggedCert(dir);
  const fp = await opensslFingerprint(tls.cert);
  const otherCert = await makeCaFlaggedCert(dir, "other");
  const m = manager({ ssl: tls });
  await using wq = m.wq;
  const retry = ["-t", "60", "-i", "0.2"];
  await using strangerCa = startWorker(wq.port, { args: ["--ssl-ca", otherCert.cert, ...retry] });
  await using plain = startWorker(wq.port, { args: ["--ssl", ...retry] });
  await until(
    () =>
      /Cannot trust the manager's certificate \(SHA-256 fingerprint sha256:[0-9A-F:]+\): it is neither one of the certificates given to --ssl-ca nor signed by one/
        .test(strangerCa.log()) &&
      /Cannot start TLS with the manager: invalid peer certificate: .*--ssl-fingerprint\)/.test(
        plain.log(),
      ),
    `both workers to be refused\n--- other CA:\n${strangerCa.log()}\n--- plain:\n${plain.log()}`,
  );
  assert.ok(strangerCa.log().includes(`sha256:${fp}`), strangerCa.log());
  assert.equal(wq.stats.workersJoined, 0);

  await using insecure = startWorker(wq.port, {
    args: ["--ssl-insecure", "--single-shot", "-t", "60"],
  });
  await runOneTask(wq, () => `${m.text()}\n--- worker:\n${insecure.log()}`);
  assert.match(
    insecure.log(),
    new RegExp(
      `NOT verifying the manager's certificate \\(--ssl-insecure; its SHA-256 fingerprint is sha256:${fp}\\)`,
    ),
  );
});

Deno.test("TLS fingerprint: bad values and contradicting options are one-line errors", async () => {
  for (
    const [args, message] of [
      [
        ["--ssl-fingerprint", "AB:CD"],
        /Cannot parse option '--ssl-fingerprint': expected a SHA-256 fingerprint .*got 'AB:CD'/,
      ],
      [
        ["--ssl-insecure", "--ssl-fingerprint", "ab".repeat(32)],
        /Cannot use --ssl-insecure with --ssl-ca or --ssl-fingerprint/,
      ],
    ] as const
  ) {
    await using w = startWorker(9, { args: [...args, "-t", "5"] });
    assert.equal((await w.status).code, 1, w.log());
    assert.equal(w.log().trim().split("\n").length, 1, w.log());
    assert.match(w.log(), message);
    const s = await runStatusTool([...args, "127.0.0.1", "9"]);
    assert.equal(s.code, 1, s.stdout);
    assert.match(s.stderr, message);
  }
});

Deno.test("TLS --ssl-ca with a private CA: a certificate it signed is trusted if it names the host, refused if not", async () => {
  await using dir = await tempDir("wq-tls-ca-");
  const d = dir.path;
  const openssl = requireBinary("openssl");
  const ca = await makeCaFlaggedCert(dir, "ca");
  /** A certificate signed by the CA, naming `san`. */
  async function signed(name: string, san: string) {
    await openssl_(openssl, [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${d}/${name}-key.pem`,
      "-out",
      `${d}/${name}.csr`,
    ]);
    await Deno.writeTextFile(`${d}/${name}.cnf`, `subjectAltName=${san}\n`);
    await openssl_(openssl, [
      "x509",
      "-req",
      "-in",
      `${d}/${name}.csr`,
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      "-days",
      "1",
      "-extfile",
      `${d}/${name}.cnf`,
      "-out",
      `${d}/${name}.pem`,
    ]);
    return { cert: `${d}/${name}.pem`, key: `${d}/${name}-key.pem` };
  }
  const good = manager({ ssl: await signed("good", "IP:127.0.0.1") });
  await using gwq = good.wq;
  await using worker = startWorker(gwq.port, {
    args: ["--ssl-ca", ca.cert, "--single-shot", "-t", "60"],
  });
  await runOneTask(gwq, () => `${good.text()}\n--- worker:\n${worker.log()}`);

  const elsewhere = manager({ ssl: await signed("elsewhere", "DNS:elsewhere.example") });
  await using ewq = elsewhere.wq;
  await using refused = startWorker(ewq.port, {
    args: ["--ssl-ca", ca.cert, "-t", "60", "-i", "0.2"],
  });
  await until(
    () => /Cannot trust the manager's certificate/.test(refused.log()),
    "the worker to refuse the certificate",
  );
  assert.match(
    refused.log(),
    /it is not one of the certificates given to --ssl-ca, and though signed by one, it does not name '127\.0\.0\.1'/,
  );
  assert.equal(ewq.stats.workersJoined, 0);
});
