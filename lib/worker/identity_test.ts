import assert from "node:assert/strict";
import { localIdentity, newWorkerId } from "./identity.ts";

Deno.test("newWorkerId() and localIdentity() are well formed", () => {
  assert.match(newWorkerId(), /^worker-[0-9a-f]{32}$/);
  assert.notEqual(newWorkerId(), newWorkerId());
  const id = localIdentity();
  assert.doesNotMatch(id.hostname, /\s/);
  assert.ok(id.os.length > 0 && id.arch.length > 0);
});
