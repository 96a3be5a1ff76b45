import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { readerOf, SPLITS } from "./_testing.ts";
import {
  encodeGetReplyEntry,
  encodeUploadEntry,
  type GetReplyEntry,
  parseGetReplyEntry,
  parseUploadEntry,
  type UploadEntry,
} from "./files.ts";

const NAMES = [
  "a.txt",
  "my file.txt",
  "100%",
  "in%20file.txt", // a literal %20: encoded as %2520
  "a+b",
  "q'u\"o<t>e\\s",
  "ünï✓",
  "tab\there",
  "{|}~",
  "..a",
  "a..b",
];

Deno.test("an upload entry round-trips, whatever its name", () => {
  for (const name of NAMES) {
    const entries: UploadEntry[] = [
      { kind: "put", name, length: 5, mode: 0o644 },
      { kind: "put", name, length: 0, mode: 0o755 },
      { kind: "symlink", name, length: 7 },
      { kind: "dir", name },
    ];
    for (const e of entries) {
      const line = encodeUploadEntry(e);
      assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"), line);
      assert.equal(line.split(" ").length, e.kind === "dir" ? 2 : e.kind === "put" ? 4 : 3, line);
      assert.deepEqual(parseUploadEntry(line.slice(0, -1)), e, name);
    }
  }
  assert.deepEqual(parseUploadEntry(encodeUploadEntry({ kind: "end" }).slice(0, -1)), {
    kind: "end",
  });
});

Deno.test("upload names are decoded once, as CCTools' worker does (put_name_is_url_decoded)", () => {
  // Trace 06: the real worker stored 'put file-0-bbbb-my%20file.txt' as 'my file.txt'.
  assert.deepEqual(parseUploadEntry("put file-0-bbbb-my%20file.txt 6 0644"), {
    kind: "put",
    name: "file-0-bbbb-my file.txt",
    length: 6,
    mode: 0o644,
  });
  // A C manager's mode without the leading 0, and our own encoding of a cache name.
  assert.deepEqual(parseUploadEntry("put buffer-2-7f2d 12 777"), {
    kind: "put",
    name: "buffer-2-7f2d",
    length: 12,
    mode: 0o777,
  });
  assert.equal(
    encodeUploadEntry({ kind: "put", name: "file-0-fc91-in.txt", length: 18, mode: 0o100644 }),
    "put file-0-fc91-in.txt 18 0644\n",
  );
});

Deno.test("parseUploadEntry() refuses unsafe names and bad fields, and passes other lines by", () => {
  for (
    const line of [
      "put ../evil 3 0644",
      "put ..%2Fevil 3 0644",
      "put %2E%2E 3 0644",
      "put . 3 0644",
      "put  3 0644",
      "put a%00b 3 0644",
      "dir a%2Fb",
      "dir ..",
      "dir",
      "symlink a/b 3",
      "put a -3 0644",
      "put a 3 rw",
      "put a 3",
      "put a x 0644",
      "symlink a -1",
    ]
  ) {
    assert.throws(() => parseUploadEntry(line), ProtocolError, line);
  }
  assert.equal(parseUploadEntry("bogus 1"), undefined);
  assert.equal(parseUploadEntry("file a 3"), undefined);
  assert.deepEqual(parseUploadEntry("end of dir"), { kind: "end" }, "'end' is read by its word");
});

Deno.test("a get reply entry round-trips, with spaces in its path", () => {
  const paths = ["out", "out/my file.txt", "out/sub dir/a b", "out/100%", "x/ünï", "o/ 1 2 3"];
  for (const path of paths) {
    const entries: GetReplyEntry[] = [
      { kind: "file", path, length: 0 },
      { kind: "file", path, length: 2 ** 40 },
      { kind: "dir", path },
      { kind: "missing", path, errno: 2 },
      { kind: "missing", path, errno: 13 },
      { kind: "symlink", path, length: 4 },
    ];
    for (const e of entries) {
      assert.deepEqual(parseGetReplyEntry(encodeGetReplyEntry(e).slice(0, -1)), e, path);
    }
  }
  assert.deepEqual(parseGetReplyEntry("end"), { kind: "end" });
});

Deno.test("parseGetReplyEntry() reads the real worker's reply (trace 01) and refuses what cannot be followed", () => {
  const req = "file-8-3926f86ff36dd3d97607a9a9a6217b0a-outdir";
  assert.deepEqual(parseGetReplyEntry(`dir ${req}/sub 0`), { kind: "dir", path: `${req}/sub` });
  assert.deepEqual(parseGetReplyEntry(`missing ${req} 2`), {
    kind: "missing",
    path: req,
    errno: 2,
  });
  for (
    const line of [
      "end ",
      "end 0",
      "file a -1",
      "file a 99999999999999999",
      "symlink a -2",
      "file a",
      "file  ",
      "bogus a 1",
      "result 0 0 0 0 1",
      "",
    ]
  ) {
    assert.throws(() => parseGetReplyEntry(line), ProtocolError, JSON.stringify(line));
  }
});

for (const split of SPLITS) {
  Deno.test(`a dir upload stream reads back entry by entry (${split})`, async () => {
    // Trace 01's recursive put, with a symlink and an empty directory added.
    const entries: [UploadEntry, string?][] = [
      [{ kind: "dir", name: "sub" }],
      [{ kind: "put", name: "b.txt", length: 5, mode: 0o644 }, "bbbb\n"],
      [{ kind: "end" }],
      [{ kind: "put", name: "a b.txt", length: 4, mode: 0o600 }, "aaa\n"],
      [{ kind: "symlink", name: "ln", length: 5 }, "a.txt"],
      [{ kind: "dir", name: "empty" }],
      [{ kind: "end" }],
      [{ kind: "end" }],
    ];
    const text = entries.map(([e, body]) => encodeUploadEntry(e) + (body ?? "")).join("");
    const r = readerOf(text + "after\n", split, 7);
    for (const [e, body] of entries) {
      const line = await r.readLine();
      assert.deepEqual(parseUploadEntry(line!), e);
      if (body !== undefined) {
        assert.equal(new TextDecoder().decode(await r.readExact(body.length)), body);
      }
    }
    assert.equal(await r.readLine(), "after");
  });
}
