import assert from "node:assert/strict";
import {
  bundleName,
  checkPermissions,
  encodeCallCommand,
  libraryKey,
  parseBundle,
  parseCallCommand,
} from "./function_call.ts";

const KEY = libraryKey("stats", "0123456789abcdef0123");

Deno.test("a call's command round-trips, and other commands are not calls", () => {
  assert.equal(KEY, "stats.0123456789abcdef");
  const call = { key: KEY, fn: "mean", args: '[[1,2],"a b\\nc"]' };
  assert.deepEqual(parseCallCommand(encodeCallCommand(call)), call);
  const withFiles = { ...call, files: true };
  assert.match(encodeCallCommand(withFiles), /^wq-deno-call stats\.[0-9a-f]{16} mean files\n/);
  assert.deepEqual(parseCallCommand(encodeCallCommand(withFiles)), withFiles);
  for (
    const cmd of [
      "wq-deno-call",
      `wq-deno-call ${KEY} mean`, // no arguments line
      `wq-deno-call ${KEY} mean\n{}`, // arguments not a list
      `wq-deno-call stats mean\n[]`, // a name, not a key
      `wq-deno-call ${KEY} 1x\n[]`,
      `wq-deno-call ${KEY} mean extra\n[]`,
      `wq-deno-call ${KEY} mean files more\n[]`,
      "echo wq-deno-call",
    ]
  ) {
    assert.equal(parseCallCommand(cmd), undefined, cmd);
  }
});

Deno.test("checkPermissions() keeps what is granted and names what is wrong", () => {
  assert.deepEqual(checkPermissions(undefined), {});
  assert.deepEqual(
    checkPermissions({ read: true, write: ["/tmp/x"], net: false, env: [], run: ["/bin/true"] }),
    { read: true, write: ["/tmp/x"], run: ["/bin/true"] },
  );
  assert.throws(() => checkPermissions({ all: true }), /permission 'all'/);
  assert.throws(() => checkPermissions({ read: "yes" }), /permission 'read'/);
  assert.throws(() => checkPermissions({ read: [""] }), /permission 'read'/);
  assert.throws(() => checkPermissions([]), /expected an object/);
});

Deno.test("parseBundle() checks the shape and refuses paths that leave the sandbox", () => {
  const good = {
    name: "stats",
    key: KEY,
    entry: "a.ts",
    slots: 1,
    permissions: {},
    files: { "a.ts": "", "sub/b.ts": "" },
  };
  assert.deepEqual(parseBundle(JSON.stringify(good)), good);
  for (const path of ["../x.ts", "/etc/x", "a//b", "sub/../../x"]) {
    const bad = { ...good, files: { ...good.files, [path]: "" } };
    assert.throws(() => parseBundle(JSON.stringify(bad)), /unsafe path/, path);
  }
  assert.throws(() => parseBundle(JSON.stringify({ ...good, entry: "c.ts" })), /not among/);
  assert.throws(() => parseBundle(JSON.stringify({ ...good, slots: 0 })), /bad slots/);
  assert.equal(bundleName(KEY), `.wq-lib.${KEY}.json`);
});
