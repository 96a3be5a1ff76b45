/**
 * Inputs the worker makes itself (a URL it fetches, a command it runs): how
 * they are named in a task's failure when the worker could not make them,
 * and the limit on workers lost while making them.
 *
 * A worker reports a failed input in one of three ways, by dialect:
 * - protocol 11: `cache-invalid <name>` with the reason, then the task's
 *   `result 1 …` (INPUT_MISSING); our worker also puts the reason in the
 *   result's stdout;
 * - protocol 9 (CCTools): it drops the connection when `url` or `thirdget`
 *   fails; after {@linkcode MADE_INPUT_LOSS_LIMIT} such losses the task
 *   fails rather than loop.
 *
 * @module
 */

import type { MadeInput } from "./staging.ts";

/**
 * How many times a task may lose its worker while that worker was making
 * one of its inputs (sent with the task, not already cached there) before
 * it fails as INPUT_MISSING.
 */
export const MADE_INPUT_LOSS_LIMIT = 3;

/** The longest reason from a worker kept in a failure. */
const MAX_REASON = 300;

/**
 * A made input, as a failure names it.
 *
 * @param input The input.
 * @returns `URL 'http://…'` or `command 'echo … > %%'`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const input = { kind: "url", name: "url-0-ab", remote: "a.txt", cache: true, url: "http://h/a" } as const;
 * assert.equal(describeMadeInput(input), "URL 'http://h/a' (a.txt)");
 * ```
 */
export function describeMadeInput(input: MadeInput): string {
  const source = input.kind === "url" ? `URL '${input.url}'` : `command '${input.command}'`;
  return `${source} (${input.remote})`;
}

/**
 * A worker's reason on one line, cut short.
 *
 * @param text What the worker said (curl's message, a command's output).
 * @returns The text with its line breaks as spaces, trimmed, at most 300 characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(oneLine("curl: (7) Failed\n to connect\n"), "curl: (7) Failed to connect");
 * ```
 */
export function oneLine(text: string): string {
  const flat = text.replace(/[\r\n\t]+\s*/g, " ").replace(/\s+/g, " ").trim();
  return flat.length > MAX_REASON ? `${flat.slice(0, MAX_REASON - 3)}...` : flat;
}

/** The first line of a text that is not blank, made one line by {@linkcode oneLine}. */
function firstLine(text: string): string {
  return oneLine(text.split("\n").find((l) => l.trim() !== "") ?? "");
}

/**
 * The failure of a task whose worker answered INPUT_MISSING: which input
 * it could not make and why, from its `cache-invalid` text when one
 * arrived, else from the result's stdout.
 *
 * @param made The task's made inputs on that worker.
 * @param why The worker's `cache-invalid` texts by cache name.
 * @param stdout The result's stdout.
 * @param worker The worker's label.
 * @returns The failure, or `undefined` if the task made no input there.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const input = { kind: "command", name: "cmd-7-ab", remote: "bad.txt", cache: false, command: "exit 3 # %%" } as const;
 * assert.equal(
 *   madeInputFailure([input], new Map([["cmd-7-ab", "cannot make it\n"]]), "", "w1 (127.0.0.1:5)"),
 *   "input command 'exit 3 # %%' (bad.txt) could not be made on worker w1 (127.0.0.1:5): cannot make it",
 * );
 * ```
 */
export function madeInputFailure(
  made: readonly MadeInput[],
  why: ReadonlyMap<string, string>,
  stdout: string,
  worker: string,
): string | undefined {
  if (made.length === 0) return undefined;
  const on = `could not be made on worker ${worker}`;
  const invalid = made.filter((i) => why.has(i.name));
  if (invalid.length > 0) {
    // The first line: our worker's says it all (the command's output follows it).
    return invalid.map((i) => `input ${describeMadeInput(i)} ${on}: ${firstLine(why.get(i.name)!)}`)
      .join("; ");
  }
  const reason = oneLine(stdout) || "the worker gave no reason";
  if (made.length === 1) return `input ${describeMadeInput(made[0])} ${on}: ${reason}`;
  return `one of the inputs ${made.map(describeMadeInput).join(", ")} ${on}: ${reason}`;
}

/**
 * The failure of a task that lost its worker too often while the worker
 * was making its inputs.
 *
 * @param made The inputs sent with the last dispatch.
 * @param losses How many times.
 * @param worker The last worker's label.
 * @returns The failure.
 */
export function madeInputLossFailure(
  made: readonly MadeInput[],
  losses: number,
  worker: string,
): string {
  return `worker ${worker} dropped the connection while making input ${
    made.map(describeMadeInput).join(" or ")
  } (${losses} workers lost so; a CCTools protocol-9 worker disconnects when a URL or command input fails)`;
}
