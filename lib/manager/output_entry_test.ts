import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { MAX_SYMLINK_ENTRY, parseOutputEntry, relativeEntryPath } from "./output_entry.ts";

const REQ = "file-3-00ba29caee102c5fd3d95cb0a433d523-outdir";

Deno.test("parseOutputEntry() reads the entries of a real reply (trace 01)", () => {
  assert.deepEqual(parseOutputEntry(`dir ${REQ} 0`, REQ), { kind: "dir", rel: "" });
  assert.deepEqual(parseOutputEntry(`dir ${REQ}/sub 0`, REQ), { kind: "dir", rel: "sub" });
  assert.deepEqual(parseOutputEntry(`file ${REQ}/sub/b.txt 2`, REQ), {
    kind: "file",
    rel: "sub/b.txt",
    size: 2,
  });
  assert.deepEqual(parseOutputEntry(`file ${REQ}/a b.txt 0`, REQ), {
    kind: "file",
    rel: "a b.txt",
    size: 0,
  });
  assert.deepEqual(parseOutputEntry(`missing ${REQ} 2`, REQ), {
    kind: "missing",
    rel: "",
    errno: 2,
  });
});

Deno.test("parseOutputEntry() refuses paths outside the requested output and keeps the body length", () => {
  const cases: [string, RegExp][] = [
    [`file ${REQ}/../../etc/passwd 7`, /'\.\.' component/],
    [`file ${REQ}/a/../../x 7`, /'\.\.' component/],
    [`file ${REQ}/.. 7`, /'\.\.' component/],
    [`file /etc/passwd 7`, /not inside/],
    [`file ${REQ}//etc/passwd 7`, /absolute path/],
    [`file ${REQ}x/a 7`, /not inside/],
    [`file ../${REQ} 7`, /not inside/],
    [`file other 7`, /not inside/],
    [`file ${REQ}/ 7`, /empty/],
    [`file ${REQ}/. 7`, /sandbox itself/],
    [`file ${REQ}/a\0b 7`, /NUL/],
  ];
  for (const [line, why] of cases) {
    const e = parseOutputEntry(line, REQ);
    assert.equal(e.kind, "refused", line);
    if (e.kind !== "refused") continue;
    assert.match(e.reason, why, line);
    assert.equal(e.skip, 7, line);
  }
  const dir = parseOutputEntry(`dir ${REQ}/../up 0`, REQ);
  assert.ok(dir.kind === "refused" && dir.skip === 0);
  const miss = parseOutputEntry(`missing /etc/shadow 13`, REQ);
  assert.ok(miss.kind === "refused" && miss.skip === 0);
});

Deno.test("parseOutputEntry() refuses every symbolic link, skipping its target", () => {
  for (const target of ["/etc", "../..", "sub"]) {
    const e = parseOutputEntry(`symlink ${REQ}/link ${target.length}`, REQ);
    assert.ok(e.kind === "refused", target);
    assert.match(e.reason, /symbolic link/);
    assert.equal(e.skip, target.length);
  }
  assert.throws(
    () => parseOutputEntry(`symlink ${REQ}/l ${MAX_SYMLINK_ENTRY + 1}`, REQ),
    ProtocolError,
  );
});

Deno.test("parseOutputEntry() throws on lines it cannot follow", () => {
  for (
    const line of [
      "",
      "file",
      `file ${REQ}`,
      `file ${REQ} -1`,
      `file ${REQ} 99999999999999999`,
      `symlink ${REQ}/l -3`,
      `file ${REQ} 1x`,
      `fil ${REQ} 1`,
      `result 0 0 0 0 1`,
    ]
  ) {
    assert.throws(() => parseOutputEntry(line, REQ), ProtocolError, JSON.stringify(line));
  }
});

Deno.test("relativeEntryPath() keeps a prefix match to whole components", () => {
  assert.equal(relativeEntryPath("o", "o"), "");
  assert.equal(relativeEntryPath("o/a/b", "o"), "a/b");
  assert.ok(typeof relativeEntryPath("oa/b", "o") !== "string");
});
