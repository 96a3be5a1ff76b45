import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { parseCommand } from "../wire/commands.ts";
import { readerOf, SPLITS } from "./_testing.ts";
import { receiveDir, receivePut } from "./receive_files.ts";
import { Workspace } from "./workspace.ts";

/** The parsed top-level `put` line, as the session hands it over. */
function put(line: string) {
  const c = parseCommand(line);
  assert.equal(c.kind, "put");
  return c as Extract<typeof c, { kind: "put" }>;
}

/** The parsed top-level `dir` line. */
function dir(line: string) {
  const c = parseCommand(line);
  assert.equal(c.kind, "dir");
  return c as Extract<typeof c, { kind: "dir" }>;
}

async function withWorkspace(fn: (ws: Workspace, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(await Workspace.create(dir), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const split of SPLITS) {
  Deno.test(`receivePut() streams a body into the cache (${split})`, async () => {
    await withWorkspace(async (ws) => {
      const r = readerOf("hello worldnext\n", split);
      await receivePut(r, put("put my%20file 11 0640"), { workspace: ws });
      assert.equal(await Deno.readTextFile(`${ws.cacheDir}/my file`), "hello world");
      assert.equal((await Deno.stat(`${ws.cacheDir}/my file`)).mode! & 0o777, 0o640);
      assert.equal(await r.readLine(), "next");
      // A second put replaces it.
      await receivePut(readerOf("x"), put("put my%20file 1 777"), { workspace: ws });
      assert.equal(await Deno.readTextFile(`${ws.cacheDir}/my file`), "x");
      assert.deepEqual([...Deno.readDirSync(ws.transferDir)], []);
    });
  });

  Deno.test(`receiveDir() builds a tree with files, symlinks and subdirs (${split})`, async () => {
    await withWorkspace(async (ws) => {
      const stream =
        "dir sub\nput b.txt 5 0644\nbbbb\nend\nput a%20b.txt 4 0600\naaa\nsymlink ln 5\na.txtdir empty\nend\nend\nafter\n";
      const r = readerOf(stream, split);
      await receiveDir(r, dir("dir tree"), { workspace: ws });
      const t = `${ws.cacheDir}/tree`;
      assert.equal(await Deno.readTextFile(`${t}/sub/b.txt`), "bbbb\n");
      assert.equal(await Deno.readTextFile(`${t}/a b.txt`), "aaa\n");
      assert.equal(await Deno.readLink(`${t}/ln`), "a.txt");
      assert.ok((await Deno.stat(`${t}/empty`)).isDirectory);
      assert.equal(await r.readLine(), "after");
    });
  });
}

Deno.test("receivePut() and receiveDir() refuse unsafe names and leave nothing behind", async () => {
  await withWorkspace(async (ws, tmp) => {
    // Unsafe top-level names stop at the parse (lib/wire/files_test.ts has the cases).
    assert.throws(() => put("put ..%2Fevil 3 0644"), ProtocolError);
    const truncated = receivePut(readerOf("ab"), put("put a 3 0644"), { workspace: ws });
    await assert.rejects(truncated, Error);
    for (
      const body of [
        "put ../x 1 0644\nxend\n",
        "dir ..\nend\nend\n",
        "bogus\nend\n",
        "put a 1 0644\nx",
      ]
    ) {
      await assert.rejects(
        receiveDir(readerOf(body), dir("dir d"), { workspace: ws }),
        Error,
        body,
      );
    }
    assert.deepEqual([...Deno.readDirSync(ws.cacheDir)], []);
    assert.deepEqual([...Deno.readDirSync(ws.transferDir)], []);
    assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), [ws.root.split("/").pop()]);
  });
});

Deno.test("receiveDir() bounds the nesting depth", async () => {
  await withWorkspace(async (ws) => {
    const deep = "dir d\n".repeat(100) + "end\n".repeat(101);
    await assert.rejects(receiveDir(readerOf(deep), dir("dir top"), { workspace: ws }), /deeper/);
  });
});

Deno.test("receiveDir() refuses an entry name given twice, so no entry replaces or writes through another", async () => {
  await withWorkspace(async (ws) => {
    for (
      const body of [
        "put a 1 0644\nxput a 1 0644\nyend\n",
        "symlink a 4\n/tmpput a 1 0644\nxend\n",
        "symlink a 4\n/tmpdir a\nput b 1 0644\nxend\nend\n",
        "dir a\nend\nput a 1 0644\nxend\n",
      ]
    ) {
      await assert.rejects(
        receiveDir(readerOf(body), dir("dir d"), { workspace: ws }),
        (e: Error) => e instanceof ProtocolError && /already has 'a'/.test(e.message),
        body,
      );
    }
    assert.deepEqual([...Deno.readDirSync(ws.cacheDir)], []);
    assert.deepEqual([...Deno.readDirSync(ws.transferDir)], []);
  });
});
