import assert from "node:assert/strict";
import { EventStream } from "./event_stream.ts";
import type { QueueEvent } from "./queue_event.ts";

const worker = { id: 1, host: "h:1", hostname: "h", cores: 1, memory: 1, disk: 1, gpus: 0 };

Deno.test("EventStream with types: only those events are buffered, and queue-closed still ends it", async () => {
  const events: QueueEvent[] = [
    { type: "worker-joined", worker },
    { type: "task-done", task: {} as never },
    { type: "worker-left", worker, reason: "lost", detail: undefined },
    { type: "queue-closed" },
  ];
  const again = new EventStream((fn) => {
    for (const e of events) queueMicrotask(() => fn(e));
    return () => {};
  }, { types: ["worker-joined", "worker-left"] });
  const got: string[] = [];
  for await (const e of again) got.push(e.type);
  assert.deepEqual(got, ["worker-joined", "worker-left", "queue-closed"]);
});

Deno.test("EventStream refuses an unknown type, naming it", () => {
  assert.throws(
    () =>
      new EventStream(() => () => {}, {
        types: ["task-finished" as QueueEvent["type"]],
      }),
    /unknown event type 'task-finished'/,
  );
});
