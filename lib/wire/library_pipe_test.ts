import assert from "node:assert/strict";
import { callError } from "./function_call.ts";
import {
  encodeLibraryRequest,
  encodeLibraryResponse,
  parseLibraryRequest,
  parseLibraryResponse,
} from "./library_pipe.ts";

Deno.test("the library pipe's lines round-trip; other lines are not responses", () => {
  assert.deepEqual(
    parseLibraryRequest(encodeLibraryRequest({ id: 7, fn: "f", args: "[1]" }).trimEnd()),
    {
      id: 7,
      fn: "f",
      args: "[1]",
    },
  );
  assert.throws(
    () => encodeLibraryRequest({ id: 1, fn: "f", dir: "/a b", args: "[]" }),
    RangeError,
  );
  assert.equal(parseLibraryRequest("1 f [1]"), undefined);
  assert.deepEqual(parseLibraryResponse(encodeLibraryResponse(7, '{"value":1}').trimEnd()), {
    kind: "result",
    id: 7,
    envelope: '{"value":1}',
  });
  const err = callError(new TypeError("bad"));
  assert.deepEqual(parseLibraryResponse(`load-error ${JSON.stringify(err)}`), {
    kind: "load-error",
    error: err,
  });
  for (const line of ["", "7", "7 x", "x {}", "load-error {", "console output"]) {
    assert.equal(parseLibraryResponse(line), undefined, line);
  }
});
