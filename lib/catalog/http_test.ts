import assert from "node:assert/strict";
import { ctimeDate, parseRequestLine, readRequest, responseHead } from "./http.ts";

/** A byte source that hands out `chunks` one read at a time. */
function source(...chunks: string[]) {
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  return {
    read(p: Uint8Array): Promise<number | null> {
      const next = bytes.shift();
      if (!next) return Promise.resolve(null);
      if (next.length > p.length) {
        p.set(next.subarray(0, p.length));
        bytes.unshift(next.subarray(p.length));
        return Promise.resolve(p.length);
      }
      p.set(next);
      return Promise.resolve(next.length);
    },
  };
}

Deno.test("parseRequestLine() takes origin-form, absolute-form and HTTP/0.9 lines", () => {
  assert.deepEqual(parseRequestLine("GET /query/dHJ1ZQ== HTTP/1.1"), {
    method: "GET",
    path: "/query/dHJ1ZQ==",
  });
  assert.deepEqual(parseRequestLine("GET http://127.0.0.1:9097/query.json HTTP/1.0"), {
    method: "GET",
    path: "/query.json",
  });
  assert.deepEqual(parseRequestLine("GET http://host HTTP/1.1"), { method: "GET", path: "/" });
  assert.deepEqual(parseRequestLine("GET /query.text"), { method: "GET", path: "/query.text" });
  for (const bad of ["", "GET", "get / HTTP/1.1", "GET query HTTP/1.1", "GET / HTTP/1.1 extra"]) {
    assert.throws(() => parseRequestLine(bad), SyntaxError, bad);
  }
});

Deno.test("readRequest() waits for the blank line, whole or split byte by byte", async () => {
  const req = "GET /query/dHJ1ZQ== HTTP/1.1\r\nConnection: close\r\nHost: 127.0.0.1\r\n\r\n";
  assert.equal((await readRequest(source(req), 4096)).path, "/query/dHJ1ZQ==");
  assert.equal((await readRequest(source(...req.split("")), 4096)).path, "/query/dHJ1ZQ==");
  assert.equal((await readRequest(source("GET /a HTTP/1.0\n", "\n"), 4096)).path, "/a");
  assert.equal((await readRequest(source("GET /old\n"), 4096)).path, "/old", "HTTP/0.9");
});

Deno.test("readRequest() bounds the head and rejects a truncated one", async () => {
  const long = "GET /x HTTP/1.1\r\n" + "X-Pad: aaaaaaaaaa\r\n".repeat(100);
  await assert.rejects(readRequest(source(long), 256), RangeError);
  await assert.rejects(readRequest(source("GET /x HTTP/1.1\r\nHost: a\r\n"), 4096), SyntaxError);
  await assert.rejects(readRequest(source("NOT A REQUEST\n\n"), 4096), SyntaxError);
});

Deno.test("responseHead() uses bare LF and CCTools' headers", () => {
  const head = responseHead("200 OK", { now: new Date(Date.UTC(2026, 10, 4, 9, 2, 3)) });
  assert.equal(
    head,
    "HTTP/1.1 200 OK\nDate: Wed Nov  4 09:02:03 2026\nServer: wq-catalog\nConnection: close\n" +
      "Access-Control-Allow-Origin: *\nContent-type: text/plain\n\n",
  );
  assert.ok(!head.includes("\r"));
  assert.equal(ctimeDate(new Date(Date.UTC(2026, 10, 24, 14, 42, 30))), "Tue Nov 24 14:42:30 2026");
});
