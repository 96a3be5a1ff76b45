import assert from "node:assert/strict";
import { detectResources } from "./detect_resources.ts";

Deno.test("detectResources() measures the machine and honours overrides", () => {
  const r = detectResources(Deno.cwd());
  assert.ok(r.cores >= 1 && r.memory > 0 && r.disk >= 0 && r.gpus >= 0);
  assert.deepEqual(detectResources(Deno.cwd(), { cores: 3, memory: 7, disk: 9, gpus: 2 }), {
    cores: 3,
    memory: 7,
    disk: 9,
    gpus: 2,
  });
});
