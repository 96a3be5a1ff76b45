/**
 * Runs a command of the test environment's set-up to its end, with its
 * output captured, and fails with that output when it fails.
 *
 * @module
 */

/** Options for {@linkcode run}. */
export interface RunOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Text for its standard input (default: none). */
  stdin?: string;
  /** Throw when it exits non-zero (default true). */
  check?: boolean;
  /** Working directory. */
  cwd?: string;
}

/** What a finished command printed. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `argv` and waits for it.
 *
 * @param argv The program and its arguments.
 * @param options See {@linkcode RunOptions}.
 * @returns Its exit code and output.
 * @throws {Error} When it cannot start, or exits non-zero and `check` is on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { run } from "./run.ts";
 *
 * assert.equal((await run(["sh", "-c", "echo hi"])).stdout, "hi\n");
 * await assert.rejects(run(["sh", "-c", "echo oops >&2; exit 3"]), /exited with 3: oops/);
 * ```
 */
export async function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: options.env,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const d = new TextDecoder();
  const result = { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
  if (options.check !== false && out.code !== 0) {
    const text = (result.stderr + result.stdout).trim().split("\n").slice(-20).join("\n");
    throw new Error(`'${argv.join(" ")}' exited with ${out.code}: ${text}`);
  }
  return result;
}

/**
 * Whether a path exists (a dangling link counts).
 *
 * @param path The path.
 * @returns Whether it exists.
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
