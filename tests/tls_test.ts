/**
 * TLS between our manager and our worker (Debian's CCTools is built
 * without TLS), with a self-signed certificate made by openssl: tasks with
 * files over TLS, the status tool over TLS, TLS with a password, and a
 * clear refusal on both sides when only one side speaks TLS.
 */

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { runStatusTool } from "./_catalog.ts";
import { read, requireBinary, startWorker, type TempDir, tempDir, until } from "./_harness.ts";

/** A self-signed certificate for 127.0.0.1 (CA:FALSE: rustls refuses a CA certificate as a server's). */
async function makeCert(dir: TempDir): Promise<{ cert: string; key: string }> {
  const cert = `${dir.path}/cert.pem`;
  const key = `${dir.path}/key.pem`;
  const out = await new Deno.Command(requireBinary("openssl", "apt-get install -y openssl"), {
    args: [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return { cert, key };
}

/** A manager whose log lines are kept. */
function manager(options: ConstructorParameters<typeof WorkQueue>[0]) {
  const log: string[] = [];
  const wq = new WorkQueue({ port: 0, ...options, logger: (_l, m) => log.push(m) });
  return { wq, text: () => log.join("\n") };
}

async function waitTasks(wq: WorkQueue, n: number, context: () => string): Promise<Task[]> {
  const done: Task[] = [];
  while (done.length < n) {
    const t = await wq.wait(60);
    assert.ok(t, `timed out with ${done.length} of ${n} tasks back\n${context()}`);
    done.push(t);
  }
  return done.sort((a, b) => a.id - b.id);
}

Deno.test("TLS: our worker --ssl --ssl-ca runs tasks with input and output files; the status tool asks over TLS", async () => {
  await using dir = await tempDir("wq-tls-");
  const tls = await makeCert(dir);
  const m = manager({ name: "tls-proj", ssl: tls });
  await using wq = m.wq;
  const d = dir.path;
  await Deno.writeTextFile(`${d}/data.txt`, "line one\nline two\n");
  await Deno.mkdir(`${d}/out`);
  const tasks = [1, 2, 3].map((i) => {
    const t = new Task(`cat data.txt param.txt | wc -l > count.txt; cat param.txt`);
    t.specifyInputFile(`${d}/data.txt`, "data.txt"); // cached, sent once
    t.specifyInputBuffer(`param ${i}\n`, "param.txt", { cache: false });
    t.specifyOutputFile(`${d}/out/count-${i}.txt`, "count.txt");
    wq.submit(t);
    return t;
  });
  // A peer that never starts its TLS handshake holds up no one.
  using _silent = await Deno.connect({ hostname: "127.0.0.1", port: wq.port });
  await using worker = startWorker(wq.port, {
    args: ["--ssl-ca", tls.cert, "--single-shot", "-t", "60"],
  });
  const context = () => `--- manager:\n${m.text()}\n--- worker:\n${worker.log()}`;
  const done = await waitTasks(wq, tasks.length, context);
  for (const [i, t] of done.entries()) {
    assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, `${t.failure}\n${context()}`);
    assert.equal(t.output, `param ${i + 1}\n`);
    assert.equal(await read(`${d}/out/count-${i + 1}.txt`), "3\n");
  }

  // The status tool over TLS sees the worker; without TLS it is refused clearly.
  const status = await runStatusTool([
    "-W",
    "--json",
    "--ssl-ca",
    tls.cert,
    "127.0.0.1",
    String(wq.port),
  ]);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(JSON.parse(status.stdout).length, 1, status.stdout);
  const plain = await runStatusTool(["127.0.0.1", String(wq.port)]);
  assert.equal(plain.code, 1, plain.stdout);
  assert.match(
    plain.stderr,
    /Cannot query manager 127\.0\.0\.1:\d+: the peer speaks TLS on a plain connection .*; give --ssl, --ssl-ca FILE or --ssl-fingerprint SHA256/,
  );
  const untrusted = await runStatusTool(["--ssl", "127.0.0.1", String(wq.port)]);
  assert.equal(untrusted.code, 1, untrusted.stdout);
  assert.match(
    untrusted.stderr,
    /invalid peer certificate: UnknownIssuer \(trust the manager's certificate or its CA/,
  );
});

Deno.test("TLS: a plain worker at a TLS manager, and a TLS worker at a plain manager, are refused clearly on both sides", async () => {
  await using dir = await tempDir("wq-tls-mismatch-");
  const tls = await makeCert(dir);

  const secure = manager({ ssl: { cert: await Deno.readTextFile(tls.cert), key: tls.key } });
  await using swq = secure.wq;
  await using plainWorker = startWorker(swq.port, { args: ["-t", "60", "-i", "0.2"] });
  await until(
    () =>
      /disconnected from manager 127\.0\.0\.1:\d+: .*the peer speaks TLS/.test(plainWorker.log()) &&
      /Cannot start TLS: .* \(a worker or client without TLS\?\)/.test(secure.text()),
    `both sides to report the plain worker\n--- manager:\n${secure.text()}\n--- worker:\n${plainWorker.log()}`,
  );

  const plain = manager({});
  await using pwq = plain.wq;
  await using tlsWorker = startWorker(pwq.port, {
    args: ["--ssl-ca", tls.cert, "-t", "60", "-i", "0.2"],
  });
  await using untrusting = startWorker(swq.port, { args: ["--ssl", "-t", "60", "-i", "0.2"] });
  await until(
    () =>
      /manager 127\.0\.0\.1:\d+: Cannot start TLS with the manager: .*\(does it use TLS\?\)/.test(
        tlsWorker.log(),
      ) &&
      /disconnected 127\.0\.0\.1:\d+: .*the peer speaks TLS/.test(plain.text()) &&
      /invalid peer certificate: UnknownIssuer \(trust the manager's certificate or its CA with --ssl-ca FILE, or the certificate by its fingerprint with --ssl-fingerprint\)/
        .test(untrusting.log()),
    `the TLS workers to be refused\n--- plain manager:\n${plain.text()}\n--- TLS worker:\n${tlsWorker.log()}\n--- untrusting worker:\n${untrusting.log()}`,
  );
  assert.equal(swq.stats.workersJoined + pwq.stats.workersJoined, 0);
});

Deno.test("TLS with a password: the right password runs a task inside TLS, a wrong one is refused", async () => {
  await using dir = await tempDir("wq-tls-pw-");
  const tls = await makeCert(dir);
  await Deno.writeTextFile(`${dir.path}/pw`, "tls-and-password\n");
  await Deno.writeTextFile(`${dir.path}/wrong`, "guess\n");
  const m = manager({ ssl: tls, password: "tls-and-password\n" });
  await using wq = m.wq;
  await using wrong = startWorker(wq.port, {
    args: ["--ssl-ca", tls.cert, "-P", `${dir.path}/wrong`, "-t", "60", "-i", "0.2"],
  });
  await until(
    () =>
      /Cannot authenticate: the manager refused our password/.test(wrong.log()) &&
      /Cannot authenticate: the peer presented the wrong password/.test(m.text()),
    `the wrong password to be refused\n--- manager:\n${m.text()}\n--- worker:\n${wrong.log()}`,
  );

  const t = new Task("cat in.txt; echo secret-output > out.txt");
  t.specifyInputBuffer("over tls\n", "in.txt");
  t.specifyOutputFile(`${dir.path}/out.txt`, "out.txt");
  wq.submit(t);
  await using good = startWorker(wq.port, {
    args: ["--ssl-ca", tls.cert, "-P", `${dir.path}/pw`, "--single-shot", "-t", "60"],
  });
  const [done] = await waitTasks(wq, 1, () => `${m.text()}\n--- worker:\n${good.log()}`);
  assert.equal(done.result, WORK_QUEUE_RESULT_SUCCESS, done.failure ?? undefined);
  assert.equal(done.output, "over tls\n");
  assert.equal(await read(`${dir.path}/out.txt`), "secret-output\n");
  assert.equal(wq.stats.workersJoined, 1);

  // The status tool needs both too.
  const port = String(wq.port);
  const both = await runStatusTool([
    "-W",
    "--json",
    "--ssl-ca",
    tls.cert,
    "-P",
    `${dir.path}/pw`,
    "127.0.0.1",
    port,
  ]);
  assert.equal(both.code, 0, both.stderr);
  assert.equal(JSON.parse(both.stdout).length, 1, both.stdout);
  const tlsOnly = await runStatusTool(["--ssl-ca", tls.cert, "127.0.0.1", port]);
  assert.equal(tlsOnly.code, 1, tlsOnly.stdout);
  assert.match(tlsOnly.stderr, /the manager requires a password \(give it with --password FILE\)/);
});

Deno.test("TLS options: unreadable or unusable files are clear errors", async () => {
  await using dir = await tempDir("wq-tls-bad-");
  assert.throws(
    () =>
      new WorkQueue({
        port: 0,
        ssl: { cert: `${dir.path}/nope.pem`, key: `${dir.path}/nope.pem` },
      }),
    /Cannot read ssl\.cert file '.*nope\.pem'/,
  );
  await Deno.writeTextFile(
    `${dir.path}/junk.pem`,
    "-----BEGIN CERTIFICATE-----\njunk\n-----END CERTIFICATE-----\n",
  );
  assert.throws(
    () =>
      new WorkQueue({
        port: 0,
        ssl: { cert: `${dir.path}/junk.pem`, key: `${dir.path}/junk.pem` },
      }),
    /Cannot listen with TLS: the certificate or key is not usable/,
  );
  await using w = startWorker(9, { args: ["--ssl-ca", `${dir.path}/missing.pem`, "-t", "5"] });
  assert.equal((await w.status).code, 1);
  assert.match(
    w.log(),
    /^wq-worker: Cannot read file '.*missing\.pem' given to --ssl-ca: no such file\n$/,
  );
});
