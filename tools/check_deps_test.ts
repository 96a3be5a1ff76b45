import assert from "node:assert/strict";
import { checkDeps } from "./check_deps.ts";

Deno.test("imports point one way: wire below manager and worker, which never import each other", async () => {
  assert.deepEqual(
    await checkDeps([
      "mod.ts",
      "worker/main.ts",
      "catalog/main.ts",
      "catalog/status.ts",
      "worker/submit.ts",
      "worker/pool.ts",
      "run/main.ts",
    ]),
    [],
  );
});
