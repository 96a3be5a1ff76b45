/**
 * How a function call's arguments and its value travel: JSON, with
 * `Uint8Array` and a top-level `undefined` tagged. Both ends use it: the
 * manager (`FunctionCall`), and the library process on the worker.
 *
 * - JSON's values pass as they are: `null`, booleans, finite numbers,
 *   strings, arrays, plain objects. A `Date` becomes its ISO string, as
 *   `JSON.stringify` makes it (through `toJSON`).
 * - A `Uint8Array` (a `Buffer` too) goes as `{"$wq:bytes":"<base64>"}` and
 *   comes back as a `Uint8Array`.
 * - `undefined` as the whole value goes as `{"$wq:undefined":1}`; inside an
 *   object a property that is `undefined` is left out, and inside an array
 *   it becomes `null`, as in JSON.
 * - Anything else is refused with a `TypeError` naming where it is: a
 *   `BigInt`, a function, a symbol, a `Map`, a `Set`, another typed array,
 *   an `ArrayBuffer`, a number that is not finite, a cycle, and a plain
 *   object with a `$wq:` key (the tags' room).
 *
 * @module
 */

import { Buffer } from "node:buffer";

const BYTES = "$wq:bytes";
const UNDEFINED = "$wq:undefined";
const UNDEFINED_JSON = `{"${UNDEFINED}":1}`;

/**
 * The text of a value.
 *
 * @param value The value.
 * @param what What it is, for the error message (e.g. "argument 2").
 * @returns Its JSON text, with the tags.
 * @throws {TypeError} If some part of it cannot travel.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeValue({ n: 1, b: new Uint8Array([1, 2]) }), '{"n":1,"b":{"$wq:bytes":"AQI="}}');
 * assert.equal(encodeValue(undefined), '{"$wq:undefined":1}');
 * assert.throws(() => encodeValue(new Map(), "argument 1"), /argument 1: it is a Map/);
 * ```
 */
export function encodeValue(value: unknown, what = "value"): string {
  if (value === undefined) return UNDEFINED_JSON;
  try {
    return JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
      const raw = this[key];
      if (raw instanceof Uint8Array) {
        return {
          [BYTES]: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64"),
        };
      }
      refuse(raw, v, key, what);
      return v;
    });
  } catch (e) {
    if (e instanceof TypeError && e.message.startsWith("Cannot encode")) throw e;
    throw new TypeError(`Cannot encode ${what}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
}

/** Throws for a part of a value that cannot travel. */
function refuse(raw: unknown, v: unknown, key: string, what: string): void {
  const where = key === "" ? what : `${what} (at key '${key}')`;
  const bad = (kind: string) => {
    throw new TypeError(`Cannot encode ${where}: it is ${kind}, which does not travel`);
  };
  switch (typeof raw) {
    case "bigint":
      return bad("a BigInt");
    case "function":
      return bad("a function");
    case "symbol":
      return bad("a symbol");
    case "number":
      if (!Number.isFinite(raw)) bad(`the number ${raw}`);
      return;
    case "object":
      if (raw === null || v !== raw) return;
      if (raw instanceof Map) bad("a Map");
      if (raw instanceof Set) bad("a Set");
      if (ArrayBuffer.isView(raw)) bad(`a ${raw.constructor.name}`);
      if (raw instanceof ArrayBuffer) bad("an ArrayBuffer");
      if (!Array.isArray(raw) && Object.keys(raw).some((k) => k.startsWith("$wq:"))) {
        bad("an object with a '$wq:' key (reserved for the tags)");
      }
  }
}

/**
 * The value of a text made by {@linkcode encodeValue}.
 *
 * @param text The JSON text.
 * @returns The value, with the tags turned back into `Uint8Array` and `undefined`.
 * @throws {SyntaxError} If the text is not JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(decodeValue('{"b":{"$wq:bytes":"AQI="}}'), { b: new Uint8Array([1, 2]) });
 * assert.equal(decodeValue('{"$wq:undefined":1}'), undefined);
 * ```
 */
export function decodeValue(text: string): unknown {
  if (text === UNDEFINED_JSON) return undefined;
  if (!text.includes('"$wq:')) return JSON.parse(text);
  return JSON.parse(text, (_key, v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    if (keys.length !== 1) return v;
    if (keys[0] === BYTES && typeof v[BYTES] === "string") {
      return new Uint8Array(Buffer.from(v[BYTES], "base64"));
    }
    if (keys[0] === UNDEFINED) return undefined;
    return v;
  });
}
