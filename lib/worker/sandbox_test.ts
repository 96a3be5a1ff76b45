import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { SANDBOX_TMP, stageIn, stageOut } from "./sandbox.ts";
import type { TaskBlock } from "../wire/task_block.ts";
import { Workspace } from "./workspace.ts";

function spec(partial: Partial<TaskBlock>): TaskBlock {
  return { id: 1, command: "true", env: [], inputs: [], outputs: [], request: {}, ...partial };
}

Deno.test("stageIn() links files, rebuilds trees and makes empty dirs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ws = await Workspace.create(dir);
    await Deno.writeTextFile(`${ws.cacheDir}/f`, "F");
    await Deno.mkdir(`${ws.cacheDir}/tree/sub`, { recursive: true });
    await Deno.writeTextFile(`${ws.cacheDir}/tree/sub/x`, "X");
    await Deno.symlink("sub/x", `${ws.cacheDir}/tree/ln`);
    const sb = await stageIn(
      ws,
      spec({
        inputs: [
          { kind: "file", cachedName: "f", remoteName: "a/b/f.txt", flags: 0 },
          { kind: "file", cachedName: "f", remoteName: "a/b/f.txt", flags: 0 }, // twice: fine
          { kind: "file", cachedName: "tree", remoteName: "t", flags: 0 },
          { kind: "dir", remoteName: "empty/inner" },
        ],
      }),
    );
    assert.equal(sb, ws.sandboxPath(1));
    assert.equal(await Deno.readTextFile(`${sb}/a/b/f.txt`), "F");
    assert.equal((await Deno.stat(`${sb}/a/b/f.txt`)).nlink, 2); // hard link
    assert.equal(await Deno.readTextFile(`${sb}/t/sub/x`), "X");
    assert.equal(await Deno.readLink(`${sb}/t/ln`), "sub/x");
    assert.ok((await Deno.stat(`${sb}/empty/inner`)).isDirectory);
    assert.ok((await Deno.stat(`${sb}/${SANDBOX_TMP}`)).isDirectory);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stageIn() refuses a missing cache entry and parents that are not directories", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ws = await Workspace.create(dir);
    await assert.rejects(
      stageIn(
        ws,
        spec({ inputs: [{ kind: "file", cachedName: "nope", remoteName: "x", flags: 0 }] }),
      ),
      /not in the cache/,
    );
    await Deno.symlink("/tmp", `${ws.cacheDir}/escape`);
    await assert.rejects(
      stageIn(
        ws,
        spec({
          inputs: [
            { kind: "file", cachedName: "escape", remoteName: "d", flags: 0 },
            { kind: "dir", remoteName: "d/inside" },
          ],
        }),
      ),
      ProtocolError,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stageOut() moves outputs into the cache, skips missing ones and escapes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ws = await Workspace.create(dir);
    const victim = `${dir}/victim`;
    await Deno.mkdir(victim);
    await Deno.writeTextFile(`${victim}/f`, "keep me");
    const s = spec({
      outputs: [
        { cachedName: "o1", remoteName: "out.txt", flags: 0 },
        { cachedName: "o2", remoteName: "never.txt", flags: 0 },
        { cachedName: "o3", remoteName: "link/f", flags: 0 },
        { cachedName: "o4", remoteName: "odir/", flags: 0 },
      ],
    });
    const sb = await stageIn(ws, s);
    await Deno.writeTextFile(`${sb}/out.txt`, "O");
    await Deno.symlink(victim, `${sb}/link`);
    await Deno.mkdir(`${sb}/odir`);
    await Deno.writeTextFile(`${ws.cacheDir}/o4`, "old");
    await stageOut(ws, s);
    assert.equal(await Deno.readTextFile(`${ws.cacheDir}/o1`), "O");
    assert.ok((await Deno.stat(`${ws.cacheDir}/o4`)).isDirectory);
    assert.deepEqual([...Deno.readDirSync(ws.cacheDir)].map((e) => e.name).sort(), ["o1", "o4"]);
    assert.equal(await Deno.readTextFile(`${victim}/f`), "keep me");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
