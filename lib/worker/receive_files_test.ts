import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { readerOf, SPLITS } from "./_testing.ts";
import { parseMode, receiveDir, receivePut } from "./receive_files.ts";
import { Workspace } from "./workspace.ts";

async function withWorkspace(fn: (ws: Workspace, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(await Workspace.create(dir), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("parseMode() reads octal like %o", () => {
  assert.equal(parseMode("0644", "l"), 0o644);
  assert.equal(parseMode("777", "l"), 0o777);
  assert.throws(() => parseMode("0x1", "l"), ProtocolError);
  assert.throws(() => parseMode("8", "l"), ProtocolError);
  assert.throws(() => parseMode(undefined, "l"), ProtocolError);
});

for (const split of SPLITS) {
  Deno.test(`receivePut() streams a body into the cache (${split})`, async () => {
    await withWorkspace(async (ws) => {
      const r = readerOf("hello worldnext\n", split);
      await receivePut(r, ws, "put my%20file 11 0640");
      assert.equal(await Deno.readTextFile(`${ws.cacheDir}/my file`), "hello world");
      assert.equal((await Deno.stat(`${ws.cacheDir}/my file`)).mode! & 0o777, 0o640);
      assert.equal(await r.readLine(), "next");
      // A second put replaces it.
      await receivePut(readerOf("x"), ws, "put my%20file 1 777");
      assert.equal(await Deno.readTextFile(`${ws.cacheDir}/my file`), "x");
      assert.deepEqual([...Deno.readDirSync(ws.transferDir)], []);
    });
  });

  Deno.test(`receiveDir() builds a tree with files, symlinks and subdirs (${split})`, async () => {
    await withWorkspace(async (ws) => {
      const stream =
        "dir sub\nput b.txt 5 0644\nbbbb\nend\nput a%20b.txt 4 0600\naaa\nsymlink ln 5\na.txtdir empty\nend\nend\nafter\n";
      const r = readerOf(stream, split);
      await receiveDir(r, ws, "dir tree");
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
  await withWorkspace(async (ws, dir) => {
    for (
      const line of [
        "put ../evil 3 0644",
        "put ..%2Fevil 3 0644",
        "put %2E%2E 3 0644",
        "put . 3 0644",
      ]
    ) {
      await assert.rejects(receivePut(readerOf("abc"), ws, line), ProtocolError, line);
    }
    await assert.rejects(receivePut(readerOf("abc"), ws, "put a -3 0644"), ProtocolError);
    await assert.rejects(receivePut(readerOf("abc"), ws, "put a 3 rw"), ProtocolError);
    await assert.rejects(receivePut(readerOf("ab"), ws, "put a 3 0644"), Error); // truncated
    for (
      const body of [
        "put ../x 1 0644\nxend\n",
        "dir ..\nend\nend\n",
        "bogus\nend\n",
        "put a 1 0644\nx",
      ]
    ) {
      await assert.rejects(receiveDir(readerOf(body), ws, "dir d"), Error, body);
    }
    await assert.rejects(receiveDir(readerOf("end\n"), ws, "dir a%2Fb"), ProtocolError);
    assert.deepEqual([...Deno.readDirSync(ws.cacheDir)], []);
    assert.deepEqual([...Deno.readDirSync(ws.transferDir)], []);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [ws.root.split("/").pop()]);
  });
});

Deno.test("receiveDir() bounds the nesting depth", async () => {
  await withWorkspace(async (ws) => {
    const deep = "dir d\n".repeat(100) + "end\n".repeat(101);
    await assert.rejects(receiveDir(readerOf(deep), ws, "dir top"), /deeper/);
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
        receiveDir(readerOf(body), ws, "dir d"),
        (e: Error) => e instanceof ProtocolError && /already has 'a'/.test(e.message),
        body,
      );
    }
    assert.deepEqual([...Deno.readDirSync(ws.cacheDir)], []);
    assert.deepEqual([...Deno.readDirSync(ws.transferDir)], []);
  });
});
