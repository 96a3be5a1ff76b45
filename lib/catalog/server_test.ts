// The catalog server over real loopback sockets, in process.

import assert from "node:assert/strict";
import dgram from "node:dgram";
import { deflateSync } from "node:zlib";
import { type CatalogAddress, queryCatalog, sendCatalogUpdate } from "./client.ts";
import { type CatalogServer, type CatalogServerOptions, serveCatalog } from "./server.ts";

async function until(pred: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  let delay = 5;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
}

function start(options: CatalogServerOptions = {}): Promise<CatalogServer> {
  return serveCatalog({ port: 0, hostname: "127.0.0.1", ...options });
}

function addr(s: CatalogServer): CatalogAddress {
  return { host: "127.0.0.1", port: s.port };
}

/** Sends datagrams from `from` (any loopback address) to the server's UDP port. */
function sendDatagrams(port: number, payloads: Uint8Array[], from = "127.0.0.1"): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket("udp4");
    sock.on("error", reject);
    sock.bind({ address: from, port: 0 }, async () => {
      try {
        for (const p of payloads) {
          await new Promise<void>((res, rej) =>
            sock.send(p, port, "127.0.0.1", (e) => e ? rej(e) : res())
          );
        }
        sock.close(() => resolve());
      } catch (e) {
        sock.close();
        reject(e);
      }
    });
  });
}

/** Writes `bytes` to TCP port and closes (a CCTools TCP update). */
async function sendTcp(port: number, bytes: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
  } finally {
    conn.close();
  }
}

/** Sends a raw request and returns the raw reply. */
async function raw(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    return new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
  } finally {
    try {
      conn.close();
    } catch {
      // the readable stream closed it
    }
  }
}

const enc = new TextEncoder();
const json = (o: unknown) => enc.encode(JSON.stringify(o));

Deno.test("serveCatalog() takes JSON, nvpair and zlib over UDP and JSON over TCP", async () => {
  await using s = await start();
  assert.equal(s.updatePort, s.port + 1);
  await sendDatagrams(s.port, [
    json({ type: "wq_master", project: "json-udp", port: 1, name: "ignored-on-loopback" }),
    enc.encode("type wq_master\nproject nvpair-udp\nport 2\ntasks_waiting 5\n"),
    new Uint8Array([
      0x1a,
      ...deflateSync(json({ type: "wq_master", project: "zlib-udp", port: 3 })),
    ]),
  ]);
  await sendTcp(s.updatePort, json({ type: "wq_master", project: "json-tcp", port: 4 }));
  assert.deepEqual(
    await sendCatalogUpdate([addr(s)], { type: "wq_master", project: "client", port: 5 }),
    [],
  );
  assert.deepEqual(
    await sendCatalogUpdate([addr(s)], { type: "wq_master", project: "client-tcp", port: 6 }, {
      tcp: true,
    }),
    [],
  );
  await until(() => s.stats().updates_accepted === 6, "six updates");
  const records = await queryCatalog(addr(s));
  assert.deepEqual(records.map((r) => r.project).sort(), [
    "client",
    "client-tcp",
    "json-tcp",
    "json-udp",
    "nvpair-udp",
    "zlib-udp",
  ]);
  for (const r of records) {
    assert.equal(r.name, "localhost");
    assert.equal(r.address, "127.0.0.1");
    assert.equal(typeof r.lastheardfrom, "number");
  }
  assert.equal(records.find((r) => r.project === "nvpair-udp")?.tasks_waiting, 5);
  assert.equal(s.stats().updates_received, 6);
});

Deno.test("serveCatalog() answers in CCTools' exact format, sorted by name", async () => {
  await using s = await start();
  await sendDatagrams(s.port, [json({ type: "b", port: 2 })], "127.0.0.1");
  await sendDatagrams(s.port, [json({ type: "a", port: 1, name: "zzz" })], "127.0.0.1");
  await until(() => s.stats().records === 2, "two records");
  const reply = await raw(s.port, "GET /query.json HTTP/1.1\r\nHost: x\r\n\r\n");
  const [head, body] = [
    reply.slice(0, reply.indexOf("\n\n") + 2),
    reply.slice(reply.indexOf("\n\n") + 2),
  ];
  assert.match(
    head,
    /^HTTP\/1\.1 200 OK\nDate: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\nServer: wq-catalog\nConnection: close\nAccess-Control-Allow-Origin: \*\nContent-type: text\/plain\n\n$/,
  );
  assert.ok(!reply.includes("\r"), "bare LF");
  assert.ok(body.startsWith("[\n{") && body.endsWith("}\n]\n"), body);
  const lines = body.split("\n");
  assert.equal(lines.length, 5, "[, two records, ], and the final newline");
  assert.ok(lines[1].endsWith("},") && !lines[2].endsWith(","));
  const records = JSON.parse(body);
  assert.deepEqual(Object.keys(records[0]).slice(0, 3), ["name", "lastheardfrom", "address"]);
  // both are "localhost" (loopback): same name, then ordered by key (port)
  assert.deepEqual(records.map((r: { port: number }) => r.port), [1, 2]);

  const text = await raw(s.port, "GET /query.text HTTP/1.0\n\n");
  assert.match(
    text,
    /\n\nname localhost\nlastheardfrom \d+\naddress 127\.0\.0\.1\ntype a\nport 1\n\nname localhost\n/,
  );
  assert.ok(text.endsWith("port 2\n\n"));

  await using none = await start();
  const empty = await raw(none.port, "GET /query.json HTTP/1.1\r\n\r\n");
  assert.ok(empty.endsWith("\n\n[\n\n]\n"), empty);
});

Deno.test("serveCatalog() filters with /query/<base64 JX>, and answers 400 to a bad filter", async () => {
  await using s = await start();
  await sendDatagrams(s.port, [
    json({ type: "wq_master", project: "m", port: 1 }),
    json({ type: "wq_manager", project: "n", port: 2 }),
    json({ type: "chirp", port: 3 }),
  ]);
  await until(() => s.stats().records === 3, "three records");
  const q = (expr: string) =>
    queryCatalog(addr(s), { filter: expr }).then((rs) => rs.map((r) => r.port));
  assert.deepEqual(await q("true"), [1, 2, 3]);
  assert.deepEqual(await q('true and type=="wq_manager" or type=="wq_master"'), [1, 2]);
  assert.deepEqual(await q('type=="chirp"'), [3]);
  assert.deepEqual(await q("port > 1 && port < 3"), [2]);
  // the absolute form CCTools' http client may send
  const abs = await raw(
    s.port,
    `GET http://127.0.0.1:${s.port}/query/${btoa('type=="chirp"')} HTTP/1.1\r\n\r\n`,
  );
  assert.deepEqual(
    JSON.parse(abs.slice(abs.indexOf("\n\n"))).map((r: { port: number }) => r.port),
    [3],
  );
  for (const bad of ['type=="x" or', "type=='x'", "((("]) {
    const reply = await raw(s.port, `GET /query/${btoa(bad)} HTTP/1.1\r\n\r\n`);
    assert.match(reply, /^HTTP\/1\.1 400 Bad Request\n/, bad);
  }
  assert.match(
    await raw(s.port, "GET /query/!!!notbase64 HTTP/1.1\r\n\r\n"),
    /^HTTP\/1\.1 400 Bad Request\n/,
  );
  assert.match(await raw(s.port, "GET /nothing HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 404 Not Found\n/);
  assert.match(await raw(s.port, "POST /query.json HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 405 /);
  const head = await raw(s.port, "HEAD /query.json HTTP/1.1\r\n\r\n");
  assert.ok(head.startsWith("HTTP/1.1 200 OK\n") && head.endsWith("\n\n"), head);
  assert.equal(s.stats().queries_bad, 5, "four bad filters and a POST");
});

Deno.test("serveCatalog() drops malformed and oversized updates with a counter", async () => {
  await using s = await start({ maxUpdateBytes: 1000 });
  const big = json({ type: "x", pad: "a".repeat(2000) });
  await sendDatagrams(s.port, [
    enc.encode("garbage{"),
    enc.encode("[1,2]"),
    new Uint8Array([0x1a, 9, 9, 9]),
    big,
    new Uint8Array([0x1a, ...deflateSync(big)]), // small datagram, too big inflated
    json({ type: "ok", port: 1 }),
  ]);
  await sendTcp(s.updatePort, big);
  await sendTcp(s.updatePort, enc.encode("{not json"));
  await until(() => {
    const st = s.stats();
    return st.updates_accepted + st.dropped_malformed + st.dropped_oversized === 8;
  }, "eight updates handled");
  const st = s.stats();
  assert.equal(st.dropped_malformed, 4);
  assert.equal(st.dropped_oversized, 3);
  assert.equal(st.updates_accepted, 1);
  const stats = await raw(s.port, "GET /stats.json HTTP/1.1\r\n\r\n");
  const served = JSON.parse(stats.slice(stats.indexOf("\n\n")));
  assert.equal(served.type, "catalog_stats");
  assert.equal(served.dropped_malformed, 4);
  assert.deepEqual((await queryCatalog(addr(s))).map((r) => r.type), ["ok"]);
});

Deno.test("serveCatalog() limits each source's rate; other sources still get through", async () => {
  await using s = await start({ updateRate: 0.001, updateBurst: 5 });
  const flood = Array.from({ length: 40 }, (_, i) => json({ type: "flood", port: i }));
  await sendDatagrams(s.port, flood, "127.0.0.2");
  await until(() => s.stats().updates_received === 40, "the flood to arrive");
  await sendDatagrams(
    s.port,
    [json({ type: "wq_master", project: "legit", port: 9 })],
    "127.0.0.1",
  );
  await until(() => s.stats().updates_accepted === 6, "the legitimate update");
  const st = s.stats();
  assert.equal(st.dropped_flood, 35);
  const records = await queryCatalog(addr(s));
  assert.equal(records.filter((r) => r.type === "flood").length, 5);
  assert.equal(records.find((r) => r.project === "legit")?.address, "127.0.0.1");
  // TCP updates count against the same bucket: 127.0.0.1 has 4 tokens left
  for (let i = 0; i < 5; i++) {
    await sendTcp(s.updatePort, json({ type: "tcp", port: 100 + i })).catch((e) => {
      if (!(e instanceof Deno.errors.BrokenPipe || e instanceof Deno.errors.ConnectionReset)) {
        throw e;
      }
    });
  }
  await until(() => s.stats().updates_received === 46, "the TCP updates");
  await until(() => s.stats().updates_accepted === 10, "four TCP updates stored");
  assert.equal(s.stats().dropped_flood, 36);
});

Deno.test("serveCatalog() expires records after the lifetime, or a record's shorter one", async () => {
  await using s = await start({ lifetimeSeconds: 3600 });
  await sendDatagrams(s.port, [
    json({ type: "short", port: 1, lifetime: 0.2 }),
    json({ type: "long", port: 2 }),
  ]);
  await until(() => s.stats().updates_accepted === 2, "two updates");
  await until(
    async () => (await queryCatalog(addr(s))).length === 1,
    "the short-lived record to expire",
  );
  assert.deepEqual((await queryCatalog(addr(s))).map((r) => r.type), ["long"]);
  assert.equal(s.stats().expired, 1);

  await using short = await start({ lifetimeSeconds: 0.3 });
  await sendDatagrams(short.port, [json({ type: "x", port: 1 })]);
  await until(() => short.stats().updates_accepted === 1, "one update");
  await until(async () => (await queryCatalog(addr(short))).length === 0, "the record to expire");
});

Deno.test("serveCatalog() times out a silent client without holding up other queries", async () => {
  await using s = await start({ requestTimeoutMs: 300 });
  const slow = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  await slow.write(enc.encode("GET /query.json HT")); // and then nothing
  await until(() => s.stats().connections_open === 1, "the slow connection");
  assert.deepEqual(await queryCatalog(addr(s)), [], "answered while the slow client waits");
  const got = await slow.read(new Uint8Array(100)).catch((e) => e);
  assert.equal(got, null, "the server closed the slow connection");
  slow.close();
  await until(() => s.stats().http_timeouts === 1, "the timeout to be counted");
});

Deno.test("serveCatalog() bounds concurrent connections and request heads", async () => {
  await using s = await start({ maxConnections: 2, maxRequestBytes: 512 });
  const idle = [
    await Deno.connect({ hostname: "127.0.0.1", port: s.port }),
    await Deno.connect({ hostname: "127.0.0.1", port: s.port }),
  ];
  await until(() => s.stats().connections_open === 2, "two open connections");
  const refused = await raw(s.port, "GET /query.json HTTP/1.1\r\n\r\n");
  assert.match(refused, /^HTTP\/1\.1 503 Service Unavailable\n/);
  assert.equal(s.stats().queries_refused, 1);
  for (const c of idle) c.close();
  await until(() => s.stats().connections_open === 0, "the idle connections to close");
  const long = await raw(s.port, "GET /query.json HTTP/1.1\r\n" + "X: y\r\n".repeat(200) + "\r\n");
  assert.match(long, /^HTTP\/1\.1 400 Bad Request\n/);
  assert.deepEqual(await queryCatalog(addr(s)), []);
});

Deno.test("serveCatalog() serves the dashboard at / with a strict CSP and no external resources", async () => {
  await using s = await start();
  const page = await raw(s.port, "GET / HTTP/1.1\r\n\r\n");
  assert.match(page, /\nContent-type: text\/html; charset=utf-8\n/);
  assert.match(page, /\nContent-Security-Policy: default-src 'none';/);
  const body = page.slice(page.indexOf("\n\n") + 2);
  assert.ok(body.startsWith("<!DOCTYPE html>"));
  assert.ok(!/(src|href)="(https?:)?\/\//.test(body), "nothing loaded from elsewhere");
  assert.ok(!body.includes("innerHTML"), "record fields go in as text only");
});

Deno.test("serveCatalog() stops on close() and on abort", async () => {
  const s = await start();
  const port = s.port;
  await s.close();
  assert.equal(await s.closed(), undefined);
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
  const ac = new AbortController();
  const t = await start({ signal: ac.signal });
  ac.abort();
  assert.equal(await t.closed(), undefined);
  await assert.rejects(serveCatalog({ port: 70000 }), RangeError);
});
