import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { encodeCommand, parseCommand } from "./commands.ts";
import {
  agreedFastPath,
  encodeFastPathAnswer,
  encodeFastPathOffer,
  FAST_PATH_VERSION,
  parseFastPathAnswer,
  parseFastPathOffer,
} from "./fast_path.ts";
import { encodeHandshake, parseWorkerMessage } from "./worker_messages.ts";

Deno.test("the fast path's offer round-trips as an ordinary info line", () => {
  for (const v of [1, 2, 17, 999_999]) {
    const line = encodeFastPathOffer(v);
    assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"), line);
    const m = parseWorkerMessage(line.slice(0, -1));
    assert.equal(m?.kind, "info");
    if (m?.kind !== "info") return;
    assert.equal(parseFastPathOffer(m.field, m.value), v);
  }
  assert.equal(encodeFastPathOffer(), `info wq-deno-fastpath ${FAST_PATH_VERSION}\n`);
});

Deno.test("a malformed offer is no offer, and never an error", () => {
  for (const value of ["0", "-1", "x", "1.5", "01", "1234567"]) {
    assert.equal(parseFastPathOffer("wq-deno-fastpath", value), undefined, value);
  }
  assert.equal(parseFastPathOffer("worker-id", "1"), undefined);
});

Deno.test("the fast path's answer round-trips through encodeCommand() and parseCommand()", () => {
  for (const version of [1, 2, 999_999]) {
    const line = encodeCommand({ kind: "fast_path", version });
    assert.equal(line, encodeFastPathAnswer(version));
    assert.deepEqual(parseCommand(line.slice(0, -1)), { kind: "fast_path", version });
    assert.equal(parseFastPathAnswer(line.slice(0, -1)), version);
  }
});

Deno.test("a malformed answer is a protocol error; a bad version cannot be encoded", () => {
  for (
    const line of [
      "wq-deno-fastpath",
      "wq-deno-fastpath 0",
      "wq-deno-fastpath x",
      "wq-deno-fastpath 1 2",
    ]
  ) {
    assert.throws(() => parseCommand(line), ProtocolError, line);
  }
  for (const v of [0, -1, 1.5, 1_000_000, NaN]) {
    assert.throws(() => encodeFastPathAnswer(v), RangeError);
    assert.throws(() => encodeFastPathOffer(v), RangeError);
  }
});

Deno.test("agreedFastPath() takes the lower version", () => {
  assert.equal(agreedFastPath(1), 1);
  assert.equal(agreedFastPath(FAST_PATH_VERSION + 5), FAST_PATH_VERSION);
});

Deno.test("encodeHandshake() puts the offer just before worker-end-time, and only when asked", () => {
  const id = { hostname: "h", os: "Linux", arch: "x86_64", workerId: "worker-00" };
  const total = { cores: 2, memory: 512, disk: 1000, gpus: 0 };
  const plain = encodeHandshake(id, total, 11);
  assert.ok(!plain.includes("wq-deno-fastpath"));
  const offered = encodeHandshake(id, total, 11, { fastPath: 1 });
  assert.equal(
    offered,
    plain.replace("info worker-end-time 0\n", "info wq-deno-fastpath 1\ninfo worker-end-time 0\n"),
  );
});
