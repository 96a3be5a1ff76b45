/**
 * The queue's libraries of functions (`wq.installLibrary()`): each is read
 * once from disk into a bundle (`lib/wire/function_call.ts`), which every
 * call of it carries as a cached input, so that it reaches each worker once.
 *
 * The module's local imports go with it: every relative specifier
 * (`./x.ts`, `../y.js`) of a static `import`/`export … from`, or of an
 * `import("…")` with a string literal, is followed, file by file. Other
 * files it reads (data) are listed in `files`. Remote and `npm:` imports are
 * not sent: the library's process resolves them on the worker.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { errorMessage } from "../errors.ts";
import { type FunctionCall, kBoundKey } from "../function_call.ts";
import {
  bundleName,
  checkLibraryName,
  checkPermissions,
  encodeCallCommand,
  type LibraryBundle,
  libraryKey,
  type LibraryPermissions,
} from "../wire/function_call.ts";

/** What `wq.installLibrary()` takes. */
export interface LibraryOptions {
  /** The library's name, which calls use: 1 to 64 of `[A-Za-z0-9_-]`. */
  name: string;
  /** Its module: a local TypeScript or JavaScript file (a path or a `file:` URL). */
  module: string | URL;
  /** How many calls its process runs at once on a worker (default 1). */
  slots?: number;
  /** What it may do beyond its own sandbox (default: nothing). */
  permissions?: LibraryPermissions;
  /** Other local files it needs beside its imports (paths, relative to the module's directory or absolute). */
  files?: string[];
}

/** An installed library, as `wq.installLibrary()` returns it. */
export interface LibraryInfo {
  /** Its name. */
  readonly name: string;
  /** Its key on workers: `<name>.<16 hex digits of the hash of its content>`. */
  readonly key: string;
  /** The files that travel, relative to their common directory; the module first. */
  readonly files: readonly string[];
  /** How many calls it runs at once on a worker. */
  readonly slots: number;
  /** What it may do beyond its sandbox. */
  readonly permissions: Readonly<LibraryPermissions>;
  /** The size of its bundle, in bytes. */
  readonly bytes: number;
}

const IMPORTS = [
  /(?:^|[\s;}])(?:import|export)\s[^;"'`]*?\bfrom\s*["'](\.\.?\/[^"'\n]+)["']/g,
  /(?:^|[\s;}])import\s*["'](\.\.?\/[^"'\n]+)["']/g,
  /\bimport\s*\(\s*["'](\.\.?\/[^"'\n]+)["']\s*\)/g,
];

/** The relative specifiers a module's text imports. */
function localImports(source: string): string[] {
  const out = new Set<string>();
  for (const re of IMPORTS) for (const m of source.matchAll(re)) out.add(m[1]);
  return [...out];
}

function readFile(name: string, path: string, why: string): Uint8Array {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    throw new TypeError(
      `Cannot install library '${name}': ${why} '${path}' cannot be read: ${errorMessage(e)}`,
    );
  }
}

/**
 * Reads a library from disk: its module, what the module imports locally,
 * and its other files.
 *
 * @param options The library.
 * @returns What it is, and its bundle's bytes.
 * @throws {TypeError} For a bad option, or a file that cannot be read.
 * @throws {RangeError} For `slots` out of range.
 */
export function loadLibrary(options: LibraryOptions): { info: LibraryInfo; bytes: Uint8Array } {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Cannot install library: expected an options object, got ${options}`);
  }
  for (const k of Object.keys(options)) {
    if (!["name", "module", "slots", "permissions", "files"].includes(k)) {
      throw new TypeError(`Cannot install library: unknown option '${k}'`);
    }
  }
  const name = checkLibraryName(options.name);
  const slots = options.slots ?? 1;
  if (!Number.isSafeInteger(slots) || slots < 1 || slots > 1024) {
    throw new RangeError(
      `Cannot install library '${name}': slots must be an integer from 1 to 1024, got ${slots}`,
    );
  }
  const permissions = checkPermissions(options.permissions);
  const m = options.module;
  if (!(m instanceof URL) && (typeof m !== "string" || m === "")) {
    throw new TypeError(`Cannot install library '${name}': module must be a path or a file: URL`);
  }
  const entry = resolve(m instanceof URL || m.startsWith("file:") ? fileURLToPath(m) : m);
  // The module and its local imports, breadth first.
  const contents = new Map<string, Uint8Array>();
  const todo = [entry];
  while (todo.length > 0) {
    const path = todo.shift()!;
    if (contents.has(path)) continue;
    const bytes = readFile(name, path, path === entry ? "its module" : "imported file");
    contents.set(path, bytes);
    if (!/\.[cm]?[jt]sx?$/.test(path)) continue;
    for (const spec of localImports(new TextDecoder().decode(bytes))) {
      todo.push(resolve(dirname(path), spec.split(/[?#]/)[0]));
    }
  }
  for (const f of options.files ?? []) {
    if (typeof f !== "string" || f === "") {
      throw new TypeError(`Cannot install library '${name}': files must be paths, got '${f}'`);
    }
    const path = isAbsolute(f) ? f : resolve(dirname(entry), f);
    if (!contents.has(path)) contents.set(path, readFile(name, path, "file"));
  }
  let root = dirname(entry);
  for (const p of contents.keys()) while (relative(root, p).startsWith("..")) root = dirname(root);
  const files: Record<string, string> = {};
  for (const [p, bytes] of contents) {
    files[relative(root, p)] = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      .toString("base64");
  }
  const body = { name, entry: relative(root, entry), slots, permissions, files };
  const hash = createHash("sha256").update(JSON.stringify(body)).digest("hex");
  const bundle: LibraryBundle = { ...body, key: libraryKey(name, hash) };
  const bytes = new TextEncoder().encode(JSON.stringify(bundle));
  return {
    info: {
      name,
      key: bundle.key,
      files: Object.keys(files),
      slots,
      permissions,
      bytes: bytes.length,
    },
    bytes,
  };
}

/** The libraries installed on one queue, by name. */
export class Libraries {
  #byName = new Map<string, { info: LibraryInfo; bytes: Uint8Array }>();

  /**
   * Installs (or replaces) a library; later submissions of its calls use it.
   *
   * @param options The library.
   * @returns What was installed.
   */
  install(options: LibraryOptions): LibraryInfo {
    const lib = loadLibrary(options);
    this.#byName.set(lib.info.name, lib);
    return lib.info;
  }

  /**
   * Makes a call ready to submit: its command names the library's key, and
   * the library's bundle is one of its inputs (cached).
   *
   * @param call The call.
   * @throws {TypeError} If its library is not installed, or was installed
   * again since the call was first submitted.
   */
  bind(call: FunctionCall): void {
    const lib = this.#byName.get(call.library);
    if (!lib) {
      throw new TypeError(
        `Cannot submit call of ${call.library}.${call.functionName}: no library '${call.library}' is installed (wq.installLibrary)`,
      );
    }
    const { key } = lib.info;
    if (call[kBoundKey] === key) return;
    if (call[kBoundKey] !== undefined) {
      throw new TypeError(
        `Cannot submit call of ${call.library}.${call.functionName} again: its library was installed anew since; make a new FunctionCall`,
      );
    }
    const files = call.inputs.length > 0 || call.outputs.length > 0;
    call.command = encodeCallCommand({ key, fn: call.functionName, args: call.argsJson, files });
    call.specifyInputBuffer(lib.bytes, bundleName(key), { cache: true });
    call[kBoundKey] = key;
  }
}
