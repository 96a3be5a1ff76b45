/**
 * The checks a task file's local files get before anything is submitted:
 * every input exists, and no output would overwrite another task's output,
 * an input, the task file or the results file.
 *
 * @module
 */

import type { FileTask } from "./task_file.ts";

/** Files of the run that no task may write. */
export interface ProtectedFiles {
  /** The file's name in messages, as the user gave it (`-` for stdin). */
  name: string;
  /** The task file's absolute path, if it is a file. */
  taskFile?: string;
  /** The absolute path of the results file (`--out`), if any. */
  out?: string;
}

function fail(task: FileTask, name: string, what: string): Error {
  return new Error(`${name}:${task.line}: Cannot read task: ${what}`);
}

/**
 * Finds the first file of the run that would be overwritten: the task file
 * or an input by the results file (`--out`), or by an output the output of
 * an earlier line, an input of any line, the task file or the results file.
 * Paths are compared as written, after resolution (not through symbolic
 * links).
 *
 * @param tasks The tasks, in file order.
 * @param files The run's own files.
 * @returns The message, or `undefined` when outputs are all distinct.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTaskFile } from "./task_file.ts";
 * import { fileConflict } from "./check_files.ts";
 *
 * const text = '{"command": "a", "outputs": ["r.txt"]}\n{"command": "b", "outputs": ["r.txt"]}\n';
 * const tasks = parseTaskFile(text, { name: "t.txt", dir: "/d" });
 * assert.equal(
 *   fileConflict(tasks, { name: "t.txt" }),
 *   "t.txt:2: Cannot read task: output '/d/r.txt' is also the output of line 1",
 * );
 * ```
 */
export function fileConflict(tasks: FileTask[], files: ProtectedFiles): string | undefined {
  const inputs = new Map<string, number>();
  for (const t of tasks) {
    for (const i of t.task.inputs) if (i.kind === "file") inputs.set(i.local, t.line);
  }
  if (files.out !== undefined) {
    const why = files.out === files.taskFile
      ? "is the task file"
      : inputs.has(files.out)
      ? `is an input of line ${inputs.get(files.out)}`
      : undefined;
    if (why !== undefined) return `Cannot use option '--out': '${files.out}' ${why}`;
  }
  const outputs = new Map<string, number>();
  for (const t of tasks) {
    for (const { local } of t.task.outputs) {
      const why = local === files.taskFile
        ? "is the task file"
        : local === files.out
        ? "is the results file (--out)"
        : outputs.has(local)
        ? `is also the output of line ${outputs.get(local)}`
        : inputs.has(local)
        ? `is an input of line ${inputs.get(local)}`
        : undefined;
      if (why !== undefined) return fail(t, files.name, `output '${local}' ${why}`).message;
      outputs.set(local, t.line);
    }
  }
  return undefined;
}

/**
 * Checks the files of a run: nothing would be overwritten ({@linkcode fileConflict})
 * and every local input exists (each path looked at once).
 *
 * @param tasks The tasks, in file order.
 * @param files The run's own files.
 * @throws {Error} With `NAME:LINE: Cannot read task: ...` for the first problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTaskFile } from "./task_file.ts";
 * import { checkTaskFiles } from "./check_files.ts";
 *
 * const tasks = parseTaskFile('{"command": "wc x", "inputs": ["x"]}\n', {
 *   name: "t.txt",
 *   dir: "/nonexistent",
 * });
 * await assert.rejects(checkTaskFiles(tasks, { name: "t.txt" }), {
 *   message: "t.txt:1: Cannot read task: input '/nonexistent/x' does not exist",
 * });
 * ```
 */
export async function checkTaskFiles(tasks: FileTask[], files: ProtectedFiles): Promise<void> {
  const conflict = fileConflict(tasks, files);
  if (conflict !== undefined) throw new Error(conflict);
  const seen = new Set<string>();
  for (const t of tasks) {
    for (const input of t.task.inputs) {
      if (input.kind !== "file" || seen.has(input.local)) continue;
      try {
        await Deno.stat(input.local);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) {
          throw fail(t, files.name, `input '${input.local}' does not exist`);
        }
        const why = e instanceof Error ? e.message : String(e);
        throw fail(t, files.name, `input '${input.local}' cannot be read (${why})`);
      }
      seen.add(input.local);
    }
  }
}
