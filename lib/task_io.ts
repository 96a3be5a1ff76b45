/**
 * `TaskFiles`: the files of a task, what it reads and what it writes, and
 * the `specify*` methods that declare them. `Task` extends it; the rules
 * for names, caching and directories are in `task_files.ts`.
 *
 * @module
 */

import {
  addInput,
  addOutput,
  type DirectoryOptions,
  emptyDirectory,
  type FileOptions,
  inputBuffer,
  inputCommand,
  inputFile,
  type InputSpec,
  inputUrl,
  outputFile,
  type OutputFileOptions,
  type OutputSpec,
} from "./task_files.ts";
import { TaskOutcome } from "./task_outcome.ts";

// Shared, never-mutated defaults: a task allocates its lists only when it gets an entry.
const NO_INPUTS: readonly InputSpec[] = Object.freeze([]);
const NO_OUTPUTS: readonly OutputSpec[] = Object.freeze([]);

/**
 * The input and output files of a {@linkcode Task}, which extends this
 * class. Applications make `Task`s, never this class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task } from "./task.ts";
 * const t = new Task("sort < in.txt > out.txt").specifyInputFile("in.txt").specifyOutputFile("out.txt");
 * assert.ok(t instanceof TaskFiles);
 * assert.deepEqual(t.outputs.map((o) => o.remote), ["out.txt"]);
 * ```
 */
export class TaskFiles extends TaskOutcome {
  #inputs: InputSpec[] | undefined;
  #outputs: OutputSpec[] | undefined;

  /** The inputs, in declaration order. */
  get inputs(): readonly InputSpec[] {
    return this.#inputs ?? NO_INPUTS;
  }

  /** The outputs, in declaration order. */
  get outputs(): readonly OutputSpec[] {
    return this.#outputs ?? NO_OUTPUTS;
  }

  /**
   * Sends a local file (or directory tree) to the sandbox.
   *
   * @param localName The path on the manager's machine.
   * @param remoteName Its name in the sandbox; defaults to the base name.
   * @param options `cache` (default `true`).
   * @returns This task.
   * @throws {TypeError} If a name is unsafe or the remote name is taken.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Task } from "./task.ts";
   * const t = new Task("wc -l < in.txt");
   * t.specifyInputFile("/data/in.txt", "in.txt", { cache: false });
   * assert.deepEqual(t.inputs, [
   *   { kind: "file", local: "/data/in.txt", remote: "in.txt", cache: false },
   * ]);
   * assert.throws(() => t.specifyInputFile("/data/other.txt", "in.txt"), TypeError); // name taken
   * ```
   */
  specifyInputFile(localName: string, remoteName?: string, options: FileOptions = {}): this {
    const spec = inputFile(localName, { remote: remoteName, cache: options.cache });
    this.#inputs = addInput(this.#inputs, spec);
    return this;
  }

  /**
   * Writes literal data into a file of the sandbox.
   *
   * @param data The contents.
   * @param remoteName Its name in the sandbox.
   * @param options `cache` (default `true`: identical buffers are sent once per worker).
   * @returns This task.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Task } from "./task.ts";
   * const t = new Task("cat params.txt").specifyInputBuffer("steps=100\n", "params.txt");
   * const data = new TextEncoder().encode("steps=100\n");
   * assert.deepEqual(t.inputs, [{ kind: "buffer", data, remote: "params.txt", cache: true }]);
   * ```
   */
  specifyInputBuffer(
    data: string | Uint8Array,
    remoteName: string,
    options: FileOptions = {},
  ): this {
    const spec = inputBuffer(data, { remote: remoteName, cache: options.cache });
    this.#inputs = addInput(this.#inputs, spec);
    return this;
  }

  /**
   * An input the worker fetches from a URL itself, streaming it to disk.
   * A fetch that fails (transport error, HTTP error status) fails the task
   * with `INPUT_MISSING`, naming the URL and the reason.
   *
   * @param url The URL.
   * @param remoteName Its name in the sandbox.
   * @param options `cache` (default `true`: fetched once per worker).
   * @returns This task.
   * @throws {TypeError} If the URL is empty or not one line, or a name is unsafe or taken.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Task } from "./task.ts";
   * const t = new Task("wc -l < data.csv").specifyUrl("https://example.org/data.csv", "data.csv");
   * assert.deepEqual(t.inputs, [
   *   { kind: "url", url: "https://example.org/data.csv", remote: "data.csv", cache: true },
   * ]);
   * ```
   */
  specifyUrl(url: string, remoteName: string, options: FileOptions = {}): this {
    this.#inputs = addInput(this.#inputs, inputUrl(url, { remote: remoteName, ...options }));
    return this;
  }

  /**
   * An input the worker makes by running a shell command, in which `%%`
   * stands for the path of the file to create. A command that fails or
   * creates nothing fails the task with `INPUT_MISSING`, naming the command.
   *
   * @param command The command; it must contain `%%`.
   * @param remoteName Its name in the sandbox.
   * @param options `cache` (default `true`: made once per worker).
   * @returns This task.
   * @throws {TypeError} If the command has no `%%` or a line break, or a name is unsafe or taken.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Task } from "./task.ts";
   * const t = new Task("cat seq.txt").specifyFileCommand("seq 1 10 > %%", "seq.txt");
   * assert.equal(t.inputs[0].kind, "command");
   * assert.throws(() => t.specifyFileCommand("seq 1 10", "other.txt"), TypeError);
   * ```
   */
  specifyFileCommand(command: string, remoteName: string, options: FileOptions = {}): this {
    const spec = inputCommand(command, { remote: remoteName, ...options });
    this.#inputs = addInput(this.#inputs, spec);
    return this;
  }

  /**
   * Brings a file (or directory) of the sandbox back when the task ends.
   *
   * @param localName Where it lands on the manager's machine.
   * @param remoteName Its name in the sandbox; defaults to the base name.
   * @param options `cache` (default `false`); `watch` (default `false`):
   * append to the local file while the task runs.
   * @returns This task.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Task } from "./task.ts";
   * const t = new Task("date > now.txt").specifyOutputFile("results/now.txt", "now.txt");
   * assert.deepEqual(t.outputs, [{ local: "results/now.txt", remote: "now.txt", cache: false }]);
   * const u = new Task("make 2>&1 | tee build.log").specifyOutputFile("build.log", undefined, {
   *   watch: true,
   * });
   * assert.deepEqual(u.outputs, [
   *   { local: "build.log", remote: "build.log", cache: false, watch: true },
   * ]);
   * ```
   */
  specifyOutputFile(
    localName: string,
    remoteName?: string,
    options: OutputFileOptions = {},
  ): this {
    const spec = outputFile(localName, {
      remote: remoteName,
      cache: options.cache,
      watch: options.watch,
    });
    this.#outputs = addOutput(this.#outputs, spec);
    return this;
  }

  /**
   * Declares a directory: an input (its tree when `recursive`, else an empty
   * directory) or an output fetched back whole.
   *
   * @param localName The path on the manager's machine.
   * @param remoteName Its name in the sandbox; defaults to the base name.
   * @param options `type`, `recursive`, `cache`.
   * @returns This task.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Task } from "./task.ts";
   * const t = new Task("ls inputs > listing; mkdir out")
   *   .specifyDirectory("inputs", "inputs", { type: "input", recursive: true })
   *   .specifyDirectory("out", "out", { type: "output" });
   * assert.deepEqual(t.inputs, [{ kind: "file", local: "inputs", remote: "inputs", cache: true }]);
   * assert.deepEqual(t.outputs, [{ local: "out", remote: "out", cache: false }]);
   * ```
   */
  specifyDirectory(
    localName: string,
    remoteName: string | undefined,
    options: DirectoryOptions,
  ): this {
    if (options?.type !== "input" && options?.type !== "output") {
      throw new TypeError(
        `Cannot add directory: type must be 'input' or 'output', got '${options?.type}'`,
      );
    }
    if (options.type === "output") {
      return this.specifyOutputFile(localName, remoteName, { cache: options.cache });
    }
    if (options.recursive) return this.specifyInputFile(localName, remoteName, options);
    this.#inputs = addInput(this.#inputs, emptyDirectory(localName, { remote: remoteName }));
    return this;
  }
}
