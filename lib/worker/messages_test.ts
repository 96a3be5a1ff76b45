import assert from "node:assert/strict";
import { handshake, localIdentity, newWorkerId, resourceReport, resultHeader } from "./messages.ts";

Deno.test("handshake() matches the real worker's, line for line", () => {
  const text = handshake(
    {
      hostname: "vm",
      os: "Linux",
      arch: "x86_64",
      workerId: "worker-1cea708ade0363038827c1a3df75344f",
    },
    { cores: 1, memory: 512, disk: 1000, gpus: 0 },
  );
  assert.equal(
    text,
    "workqueue 9 vm Linux x86_64 8.0.0\n" +
      "info worker-id worker-1cea708ade0363038827c1a3df75344f\n" +
      "alive\n" +
      "resource workers 1 1 1\n" +
      "resource disk 1000 1000 1000\n" +
      "resource memory 512 512 512\n" +
      "resource gpus 0 0 0\n" +
      "resource cores 1 1 1\n" +
      "resource tag 0\n" +
      "info end_of_resource_update 0\n" +
      "info tasks_running 0\n" +
      "info worker-end-time 0\n",
  );
});

Deno.test("resourceReport() carries the tag", () => {
  assert.match(resourceReport({ cores: 2, memory: 1, disk: 1, gpus: 0 }, 7), /\nresource tag 7\n/);
});

Deno.test("resultHeader() is status, exit, length, usec, id", () => {
  assert.equal(
    resultHeader({ id: 12, status: 40, exit: 0, stdoutPath: "", stdoutLength: 0, usec: 0 }),
    "result 40 0 0 0 12\n",
  );
});

Deno.test("newWorkerId() and localIdentity() are well formed", () => {
  assert.match(newWorkerId(), /^worker-[0-9a-f]{32}$/);
  assert.notEqual(newWorkerId(), newWorkerId());
  const id = localIdentity();
  assert.doesNotMatch(id.hostname, /\s/);
  assert.ok(id.os.length > 0 && id.arch.length > 0);
});
