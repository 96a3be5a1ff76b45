/**
 * For tests of this directory: runs a Deno subprocess to its end and gives
 * its standard output, failing the test if it exits with an error.
 *
 * @module
 */

import assert from "node:assert/strict";

/**
 * Runs `deno <args>` from the repository's root.
 *
 * @param args The arguments after `deno` (`eval …` or `run …`).
 * @param env The environment (with `NO_COLOR`); `clearEnv` drops the rest.
 * @returns What it printed on stdout, trimmed.
 */
export async function denoOutput(
  args: string[],
  options: { env?: Record<string, string>; clearEnv?: boolean } = {},
): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: new URL("../..", import.meta.url),
    env: { NO_COLOR: "1", ...options.env },
    clearEnv: options.clearEnv ?? false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  assert.equal(out.code, 0, d.decode(out.stderr));
  return d.decode(out.stdout).trim();
}
