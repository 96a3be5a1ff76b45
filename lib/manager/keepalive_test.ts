import assert from "node:assert/strict";
import { type KeepaliveBooks, keepaliveStep, WRITE_PROGRESS_BYTES } from "./keepalive.ts";

const limits = { intervalMs: 1000, timeoutMs: 1000 };

function books(): KeepaliveBooks {
  return {
    connectedAt: 0,
    pending: new Set(),
    lastHeard: 0,
    checkSentAt: 0,
    trafficRead: 0,
    trafficWritten: 0,
  };
}

Deno.test("keepaliveStep() checks a quiet worker, then drops it when the check goes unanswered", () => {
  const w = books();
  assert.equal(keepaliveStep(w, { now: 500, read: 0, written: 0, ...limits }).kind, "none");
  assert.equal(keepaliveStep(w, { now: 1500, read: 0, written: 0, ...limits }).kind, "check");
  assert.equal(w.checkSentAt, 1500);
  // The check itself is written: a few bytes are no sign of life.
  assert.equal(keepaliveStep(w, { now: 2000, read: 0, written: 6, ...limits }).kind, "none");
  assert.deepEqual(keepaliveStep(w, { now: 2600, read: 0, written: 6, ...limits }), {
    kind: "remove",
    reason: "no answer to a keepalive check within 1 s",
  });
});

Deno.test("keepaliveStep() takes bytes coming in as a sign of life, even with a check unanswered", () => {
  const w = books();
  assert.equal(keepaliveStep(w, { now: 1500, read: 0, written: 0, ...limits }).kind, "check");
  // A long output body arrives; the answer to the check waits behind it.
  for (let now = 2000, read = 1; now < 10_000; now += 1000, read += 1 << 20) {
    assert.equal(keepaliveStep(w, { now, read, written: 6, ...limits }).kind, "none", `at ${now}`);
    assert.equal(w.checkSentAt, 0);
  }
});

Deno.test("keepaliveStep() takes a run of bytes going out as a sign of life, but not a trickle", () => {
  const w = books();
  let written = 0;
  for (let now = 1000; now < 10_000; now += 1000) {
    written += WRITE_PROGRESS_BYTES; // an input body that the worker reads
    assert.equal(keepaliveStep(w, { now, read: 0, written, ...limits }).kind, "none", `at ${now}`);
  }
  // The body is done, or stuck: checked, then dropped.
  assert.equal(keepaliveStep(w, { now: 11_000, read: 0, written, ...limits }).kind, "check");
  assert.equal(
    keepaliveStep(w, { now: 11_500, read: 0, written: written + 100, ...limits }).kind,
    "none",
  );
  assert.equal(
    keepaliveStep(w, { now: 12_100, read: 0, written: written + 100, ...limits }).kind,
    "remove",
  );
});

Deno.test("keepaliveStep() drops a worker that does not finish its handshake in time, whatever it sends", () => {
  const w = { ...books(), pending: new Set(["workers"]) };
  assert.equal(keepaliveStep(w, { now: 900, read: 100, written: 0, ...limits }).kind, "none");
  assert.deepEqual(keepaliveStep(w, { now: 1100, read: 200, written: 0, ...limits }), {
    kind: "remove",
    reason: "no complete handshake within 1 s",
  });
});
