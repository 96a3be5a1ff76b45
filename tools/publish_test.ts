import assert from "node:assert/strict";
import { ROOT } from "./entrypoints.ts";

Deno.test("deno publish --dry-run accepts the package (no slow types, only relative and node: imports)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /Dry run complete/);
});
