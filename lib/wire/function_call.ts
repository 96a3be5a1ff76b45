/**
 * Function calls between our manager and our worker: how a call travels
 * inside an ordinary task, and what comes back.
 *
 * ```
 * task 12
 * cmd <N>
 * wq-deno-call <library key> <function>⏎<arguments: a JSON array (function_value.ts)>
 * infile <cache name> .wq-lib.<library key>.json 1   (the library bundle, cached)
 * ...
 * result 0 0 <len> <usec> 12                        (pushed on the fast path)
 * {"value":…} or {"error":{"name":…,"message":…,"stack":…}}   (the task's stdout)
 * ```
 *
 * - **Only our worker gets calls**: one that offered the fast path at
 *   version 2 or more (`fast_path.ts`, {@linkcode FUNCTION_CALLS_VERSION}).
 *   CCTools' workers never offer it, and the scheduler skips them for calls.
 * - **The library bundle** ({@linkcode LibraryBundle}) is one cached input:
 *   the library's name, settings and files. It goes once per worker; the
 *   worker starts the library from it on the first call and keeps it running.
 * - **The result** is the task's stdout: an {@linkcode CallEnvelope}, exit
 *   code 0 for a value and 1 for an error. A call whose library process died
 *   while it ran comes back `FORSAKEN`, which the manager retries.
 *
 * @module
 */

/** The first word of a call's command. */
export const CALL_COMMAND = "wq-deno-call";

/** The fast path's version from which a worker runs function calls. */
export const FUNCTION_CALLS_VERSION = 2;

const LIBRARY_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const LIBRARY_KEY = /^[A-Za-z0-9_-]{1,64}\.[0-9a-f]{16}$/;
const FUNCTION_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;

/**
 * Checks a library's name: 1 to 64 of `[A-Za-z0-9_-]`.
 *
 * @param name The name.
 * @returns The name.
 * @throws {TypeError} If it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(checkLibraryName("scoring"), "scoring");
 * assert.throws(() => checkLibraryName("a b"), /library name 'a b'/);
 * ```
 */
export function checkLibraryName(name: unknown): string {
  if (typeof name !== "string" || !LIBRARY_NAME.test(name)) {
    throw new TypeError(
      `Cannot use library name '${String(name)}': it must be 1 to 64 of [A-Za-z0-9_-]`,
    );
  }
  return name;
}

/**
 * Checks a function's name: a JavaScript identifier of at most 128 characters.
 *
 * @param name The name.
 * @returns The name.
 * @throws {TypeError} If it is not one.
 */
export function checkFunctionName(name: unknown): string {
  if (typeof name !== "string" || !FUNCTION_NAME.test(name)) {
    throw new TypeError(
      `Cannot call function '${String(name)}': its name must be a JavaScript identifier`,
    );
  }
  return name;
}

/** A library's key: `<name>.<16 hex digits of its content's hash>`. */
export function libraryKey(name: string, hashHex: string): string {
  return `${checkLibraryName(name)}.${hashHex.slice(0, 16)}`;
}

/** The sandbox name of a library's bundle. */
export function bundleName(key: string): string {
  return `.wq-lib.${key}.json`;
}

/** A call, as its command says. */
export interface CallCommand {
  /** The library's key. */
  key: string;
  /** The function's name. */
  fn: string;
  /** The arguments: the JSON text of an array (function_value.ts). */
  args: string;
  /**
   * Whether the call has files of its own (inputs or outputs besides the
   * bundle): the worker then moves them into a directory the library may
   * use, and back (`files` after the function's name).
   */
  files?: boolean;
}

/**
 * A call's command.
 *
 * @param call The library key, the function and the arguments' text.
 * @returns The command.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const cmd = encodeCallCommand({ key: "m.0123456789abcdef", fn: "add", args: "[1,2]" });
 * assert.equal(cmd, "wq-deno-call m.0123456789abcdef add\n[1,2]");
 * assert.deepEqual(parseCallCommand(cmd), { key: "m.0123456789abcdef", fn: "add", args: "[1,2]" });
 * assert.equal(parseCallCommand("echo hi"), undefined);
 * ```
 */
export function encodeCallCommand(call: CallCommand): string {
  return `${CALL_COMMAND} ${call.key} ${call.fn}${call.files ? " files" : ""}\n${call.args}`;
}

/**
 * Whether a task's command is a call's (one cheap test, for the scheduler).
 *
 * @param command A task's command.
 * @returns Whether it starts with `wq-deno-call `.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isCallCommand("wq-deno-call m.0123456789abcdef f\n[]"), true);
 * assert.equal(isCallCommand("echo wq-deno-call"), false);
 * ```
 */
export function isCallCommand(command: string): boolean {
  return command.startsWith(CALL_PREFIX);
}

const CALL_PREFIX = CALL_COMMAND + " ";

/**
 * The call a command names, or `undefined` if it is not a call's command.
 *
 * @param command A task's command.
 * @returns The call.
 */
export function parseCallCommand(command: string): CallCommand | undefined {
  if (!command.startsWith(CALL_COMMAND + " ")) return undefined;
  const nl = command.indexOf("\n");
  if (nl < 0) return undefined;
  const words = command.slice(CALL_COMMAND.length + 1, nl).split(" ");
  const files = words.length === 3 && words[2] === "files";
  if (
    (words.length !== 2 && !files) || !LIBRARY_KEY.test(words[0]) || !FUNCTION_NAME.test(words[1])
  ) {
    return undefined;
  }
  const args = command.slice(nl + 1);
  if (!args.startsWith("[")) return undefined;
  return files
    ? { key: words[0], fn: words[1], args, files }
    : { key: words[0], fn: words[1], args };
}

/** What a library may do beyond its sandbox: each maps to Deno's `--allow-<name>` flag. */
export interface LibraryPermissions {
  /** Paths it may read besides its sandbox, or `true` for all. */
  read?: boolean | string[];
  /** Paths it may write besides its sandbox, or `true` for all. */
  write?: boolean | string[];
  /** Hosts (`host` or `host:port`) it may reach, or `true` for all. */
  net?: boolean | string[];
  /** Environment variables it may read, or `true` for all. */
  env?: boolean | string[];
  /** Programs it may run, or `true` for all. */
  run?: boolean | string[];
  /** System information it may read (`hostname`, `osRelease`, …), or `true` for all. */
  sys?: boolean | string[];
}

const PERMISSIONS = ["read", "write", "net", "env", "run", "sys"] as const;

/**
 * Checks a library's permissions.
 *
 * @param p The permissions (`undefined`: none beyond the sandbox).
 * @returns A copy holding only what was granted.
 * @throws {TypeError} For an unknown permission, or a value that is not a
 * boolean or a list of non-empty strings without commas.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(checkPermissions({ read: ["/etc/hosts"], net: false }), { read: ["/etc/hosts"] });
 * assert.throws(() => checkPermissions({ ffi: true }), /permission 'ffi'/);
 * assert.throws(() => checkPermissions({ net: ["a,b"] }), /permission 'net'/);
 * ```
 */
export function checkPermissions(p: unknown): LibraryPermissions {
  if (p === undefined) return {};
  if (p === null || typeof p !== "object" || Array.isArray(p)) {
    throw new TypeError(`Cannot use permissions: expected an object, got ${JSON.stringify(p)}`);
  }
  const out: LibraryPermissions = {};
  for (const [k, v] of Object.entries(p)) {
    if (!(PERMISSIONS as readonly string[]).includes(k)) {
      throw new TypeError(
        `Cannot use permission '${k}': it must be one of ${PERMISSIONS.join(", ")}`,
      );
    }
    const ok = typeof v === "boolean" ||
      (Array.isArray(v) && v.every((s) => typeof s === "string" && s !== "" && !s.includes(",")));
    if (!ok) {
      throw new TypeError(
        `Cannot use permission '${k}': expected true, false or a list of non-empty names without commas, got ${
          JSON.stringify(v)
        }`,
      );
    }
    if (v === false || (Array.isArray(v) && v.length === 0)) continue;
    out[k as keyof LibraryPermissions] = v === true ? true : [...v];
  }
  return out;
}

/** A library as it travels to workers (one cached input, JSON). */
export interface LibraryBundle {
  /** The library's name. */
  name: string;
  /** Its key (`<name>.<hash>`). */
  key: string;
  /** The module's path among `files`. */
  entry: string;
  /** How many calls it runs at once. */
  slots: number;
  /** What it may do beyond its sandbox. */
  permissions: LibraryPermissions;
  /** Its files: relative path → content in base64. */
  files: Record<string, string>;
}

/**
 * Reads a bundle, checking its shape and its paths (relative, without `..`).
 *
 * @param text The bundle's JSON.
 * @returns The bundle.
 * @throws {SyntaxError} If it is not a well-formed bundle.
 */
export function parseBundle(text: string): LibraryBundle {
  const b = JSON.parse(text) as LibraryBundle;
  const bad = (why: string): never => {
    throw new SyntaxError(`Cannot read library bundle: ${why}`);
  };
  if (typeof b !== "object" || b === null) bad("it is not an object");
  if (typeof b.key !== "string" || !LIBRARY_KEY.test(b.key)) bad("bad key");
  if (typeof b.name !== "string" || !LIBRARY_NAME.test(b.name)) bad("bad name");
  if (!Number.isSafeInteger(b.slots) || b.slots < 1) bad("bad slots");
  if (typeof b.files !== "object" || b.files === null) bad("no files");
  for (const path of Object.keys(b.files)) {
    if (
      path === "" || path.startsWith("/") || path.split("/").some((p) => p === ".." || p === "")
    ) {
      bad(`unsafe path '${path}'`);
    }
  }
  if (!(b.entry in b.files)) bad(`its module '${b.entry}' is not among its files`);
  checkPermissions(b.permissions);
  return b;
}

/** What a call's stdout holds: its value, or the error it threw. */
export type CallEnvelope =
  | { value: unknown }
  | { error: CallError };

/** An error a call threw, as it travels. */
export interface CallError {
  /** The error's name (`TypeError`, `NotCapable`, …). */
  name: string;
  /** Its message. */
  message: string;
  /** Its stack, if it had one. */
  stack?: string;
}

/**
 * An error as it travels (anything thrown, also a non-Error).
 *
 * @param e What was thrown.
 * @returns Its name, message and stack.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(callError(new RangeError("no")).name, "RangeError");
 * assert.deepEqual(callError("plain"), { name: "Error", message: "plain" });
 * ```
 */
export function callError(e: unknown): CallError {
  if (e instanceof Error) {
    const out: CallError = { name: e.name, message: e.message };
    if (typeof e.stack === "string") out.stack = e.stack;
    return out;
  }
  return { name: "Error", message: String(e) };
}
