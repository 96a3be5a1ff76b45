import assert from "node:assert/strict";
import { FrameWriter } from "../wire/frame_writer.ts";
import { ConnComm } from "./comm.ts";

function recordingComm() {
  const calls: string[] = [];
  const comm = new ConnComm({
    schedule: () => calls.push("schedule"),
    staged: (task, _d, staged) => calls.push(`staged ${task.id} ${"missing" in staged}`),
    deliver: (task) => calls.push(`deliver ${task.id}`),
    log: (level, m) => calls.push(`${level}: ${m}`),
  });
  return { comm, calls };
}

Deno.test("ConnComm runs one scheduling pass per tick, then flushes each writer once", async () => {
  const { comm, calls } = recordingComm();
  const written: string[] = [];
  const sink = {
    write(p: Uint8Array) {
      written.push(new TextDecoder().decode(p));
      calls.push("write");
      return Promise.resolve(p.length);
    },
  };
  const writer = new FrameWriter(sink, () => {}, { defer: comm.defer });
  comm.attach(1, { writer, close: () => calls.push("close 1") });
  comm.askForScheduling();
  comm.send(1, { kind: "check" });
  comm.askForScheduling();
  comm.send(1, { kind: "exit" });
  comm.send(2, { kind: "exit" }); // not connected: dropped
  assert.deepEqual(calls, []);
  await new Promise<void>((resolve) => queueMicrotask(resolve)); // the end of the tick
  await writer.flushed();
  assert.deepEqual(calls, ["schedule", "write"]);
  assert.deepEqual(written, ["check\nexit\n"]);
  comm.closeWorker(1);
  comm.detach(1);
  comm.closeWorker(1);
  assert.deepEqual(calls.slice(2), ["close 1"]);
});

Deno.test("ConnComm gives events to its subscribers until they leave", () => {
  const { comm } = recordingComm();
  const seen: string[] = [];
  const off = comm.subscribe((e) => seen.push(e.type));
  comm.emit({ type: "queue-closed" });
  off();
  comm.emit({ type: "queue-closed" });
  assert.deepEqual(seen, ["queue-closed"]);
});
