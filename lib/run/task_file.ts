/**
 * Task files: one task per line, either a shell command or a JSON object
 * (a line that starts with `{`); blank lines and `#` comments are skipped.
 * Every problem names the file and the line.
 *
 * @module
 */

import { Task } from "../../mod.ts";
import { taskFromJson } from "./task_json.ts";

/** One task of a task file and where it came from. */
export interface FileTask {
  /** Its line in the task file, from 1. */
  line: number;
  /** The task, not yet submitted. */
  task: Task;
}

/** What a task file is read against. */
export interface TaskFileOptions {
  /** The file's name in messages, as the user gave it (`-` for stdin). */
  name: string;
  /** The absolute directory that relative local paths resolve against. */
  dir: string;
  /** `maxRetries` of a task that sets none; default the library's (0: retry forever). */
  maxRetries?: number;
}

function withLine(e: unknown, where: string): Error {
  if (!(e instanceof Error)) return new Error(`${where}: ${String(e)}`, { cause: e });
  const Kind = e instanceof SyntaxError
    ? SyntaxError
    : e instanceof RangeError
    ? RangeError
    : e instanceof TypeError
    ? TypeError
    : Error;
  return new Kind(`${where}: ${e.message}`, { cause: e });
}

function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new SyntaxError(
      `Cannot read task: a line that starts with '{' is JSON, and this is not valid JSON (${why}); ` +
        `a shell command that starts with '{' goes in {"command": "..."}`,
      { cause: e },
    );
  }
}

/**
 * Reads a task file into tasks, in file order.
 *
 * @param text The file's contents.
 * @param options Its name for messages, its directory, and the default `maxRetries`.
 * @returns The tasks with their line numbers; at least one.
 * @throws {SyntaxError} For a JSON line that does not parse, or a file without a task.
 * @throws {TypeError} For a JSON task with a missing, unknown or mistyped field.
 * @throws {RangeError} For a JSON task with a number out of range.
 * Each message starts with `NAME:LINE: `.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTaskFile } from "./task_file.ts";
 *
 * const text = '# two tasks\necho one\n\n{"command": "echo two", "tag": "b"}\n';
 * const tasks = parseTaskFile(text, { name: "tasks.txt", dir: "/data" });
 * assert.deepEqual(tasks.map((t) => [t.line, t.task.command]), [[2, "echo one"], [4, "echo two"]]);
 * assert.throws(() => parseTaskFile('{"command": 5}\n', { name: "t.txt", dir: "/" }), {
 *   message: "t.txt:1: Cannot read task: 'command' must be a non-empty string, got 5",
 * });
 * ```
 */
export function parseTaskFile(text: string, options: TaskFileOptions): FileTask[] {
  const tasks: FileTask[] = [];
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    try {
      const task = line.startsWith("{") ? taskFromJson(parseJson(line), options) : new Task(line);
      if (!line.startsWith("{") && options.maxRetries !== undefined) {
        task.specifyMaxRetries(options.maxRetries);
      }
      tasks.push({ line: i + 1, task });
    } catch (e) {
      throw withLine(e, `${options.name}:${i + 1}`);
    }
  });
  if (tasks.length === 0) {
    throw new SyntaxError(
      `${options.name}: Cannot read tasks: the file has no task, only blank lines and comments`,
    );
  }
  return tasks;
}
