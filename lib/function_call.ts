/**
 * `FunctionCall`: a call of a function of a library installed with
 * `wq.installLibrary()`, run on one of our workers in the library's
 * long-lived process. It is a `Task`, so resources, tags, retries,
 * cancellation and `explain()` work as for any task.
 *
 * @module
 */

import { Task } from "./task.ts";
import {
  CALL_COMMAND,
  type CallError,
  checkFunctionName,
  checkLibraryName,
} from "./wire/function_call.ts";
import { decodeValue, encodeValue } from "./wire/function_value.ts";

export type { CallError } from "./wire/function_call.ts";

/** Where a call keeps the key of the library it was bound to at its first submit (not exported by mod.ts). */
export const kBoundKey: unique symbol = Symbol("wq.call.boundKey");

/**
 * The most bytes a call's arguments may take as they travel (8 MiB: they
 * go in the task's command, which workers read up to 16 MiB).
 */
export const CALL_MAX_ARGS_BYTES = 8 << 20;

/** How many infrastructure failures (a crashed library, a lost worker) a call survives by default. */
export const CALL_MAX_RETRIES = 3;

/**
 * A call of `functionName` of the library `library`, with `args`. The
 * arguments and the value travel as JSON with `Uint8Array`
 * (`lib/wire/function_value.ts`): a value that cannot travel is refused
 * here, naming the argument.
 *
 * The function gets `args`, and as `this` an object whose `dir` is the
 * call's own directory on the worker, holding the call's input and output
 * files (`undefined` for a call without files).
 *
 * By default a call asks for 1 core (and no memory or disk), and survives
 * {@linkcode CALL_MAX_RETRIES} failures of the infrastructure; `specify*`
 * and the fields of `Task` change that.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const call = new FunctionCall("geometry", "area", { w: 2, h: 3 });
 * assert.equal(call.library, "geometry");
 * assert.equal(call.functionName, "area");
 * assert.deepEqual(call.args, [{ w: 2, h: 3 }]);
 * assert.equal(call.resources.cores, 1);
 * assert.throws(() => new FunctionCall("geometry", "area", 10n), /argument 1 .* BigInt/);
 * assert.throws(() => new FunctionCall("geometry", "area", "x".repeat(9 << 20)), RangeError);
 * ```
 */
export class FunctionCall<R = unknown, D = unknown> extends Task<D> {
  /** The library's name. */
  readonly library: string;
  /** The function's name. */
  readonly functionName: string;
  /** The arguments' JSON: the array as it travels. */
  readonly argsJson: string;
  /** The library's key once submitted (`Libraries.bind()` in `lib/manager/libraries.ts`). */
  [kBoundKey]: string | undefined;
  #parsedFrom: string | undefined;
  #parsed: { value?: unknown; error?: CallError } | undefined;

  /**
   * @param library The name of an installed library.
   * @param functionName A function its module exports.
   * @param args The arguments.
   * @throws {TypeError} If a name is not valid, or an argument cannot travel.
   * @throws {RangeError} If the arguments take more than {@linkcode CALL_MAX_ARGS_BYTES}.
   */
  constructor(library: string, functionName: string, ...args: unknown[]) {
    checkLibraryName(library);
    checkFunctionName(functionName);
    const parts = args.map((a, i) =>
      encodeValue(a, `argument ${i + 1} of ${library}.${functionName}`)
    );
    const argsJson = `[${parts.join(",")}]`;
    const bytes = argsJson.length * 3 <= CALL_MAX_ARGS_BYTES
      ? 0
      : new TextEncoder().encode(argsJson).length;
    if (bytes > CALL_MAX_ARGS_BYTES) {
      throw new RangeError(
        `Cannot call ${library}.${functionName}: its arguments take ${bytes} bytes, more than ${CALL_MAX_ARGS_BYTES}; send large data as input files`,
      );
    }
    super(`${CALL_COMMAND} ${library} ${functionName}`);
    this.library = library;
    this.functionName = functionName;
    this.argsJson = argsJson;
    this.specifyCores(1);
    this.maxRetries = CALL_MAX_RETRIES;
  }

  /** The arguments, as the function receives them (decoded anew). */
  get args(): unknown[] {
    return decodeValue(this.argsJson) as unknown[];
  }

  #envelope(): { value?: unknown; error?: CallError } {
    const out = this.output;
    if (out !== this.#parsedFrom) {
      this.#parsedFrom = out;
      try {
        const e = decodeValue(out);
        this.#parsed = e !== null && typeof e === "object" ? e : {};
      } catch {
        this.#parsed = {};
      }
    }
    return this.#parsed!;
  }

  /** The function's value, once it returned; `undefined` otherwise. */
  get value(): R | undefined {
    if (!this.ok) return undefined;
    return this.#envelope().value as R;
  }

  /**
   * What the function threw (or why its library could not load): name,
   * message and stack; `null` once finished if it threw nothing.
   */
  get error(): CallError | null | undefined {
    if (this.returnStatus === undefined) return undefined;
    if (this.returnStatus !== 1) return null;
    return this.#envelope().error ?? null;
  }

  /** Why it failed: the error's stack (or name and message) if it threw; else as for a task. */
  override get failure(): string | null | undefined {
    const e = this.error;
    if (e) return e.stack ?? `${e.name}: ${e.message}`;
    return super.failure;
  }
}

/**
 * What `wq.run(call)` rejects with when the call did not return a value:
 * it threw (`error` holds its name, message and stack), or it did not run
 * to the end (cancelled, too many retries: see `call.failure`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new FunctionCallError(new FunctionCall("m", "f"));
 * assert.equal(e.name, "FunctionCallError");
 * ```
 */
export class FunctionCallError extends Error {
  /** The call, completed. */
  readonly call: FunctionCall;
  /** What the function threw, if it threw. */
  readonly error: CallError | null;

  /** @param call The completed call. */
  constructor(call: FunctionCall) {
    const e = call.error ?? null;
    const why = e ? `${e.name}: ${e.message}` : call.failure ?? call.outcome ?? "it did not run";
    super(`Call of ${call.library}.${call.functionName} failed: ${why}`, { cause: e ?? undefined });
    this.name = "FunctionCallError";
    this.call = call;
    this.error = e;
    if (e?.stack) this.stack = `${this.name}: ${this.message}\n(on the worker) ${e.stack}`;
  }
}

/**
 * The value of a completed call, as `wq.run(call)` gives it.
 *
 * @param call The call.
 * @returns Its value.
 * @throws {FunctionCallError} If it did not return one.
 */
export function callValue<R>(call: FunctionCall<R>): R {
  if (call.ok) return call.value as R;
  throw new FunctionCallError(call);
}
