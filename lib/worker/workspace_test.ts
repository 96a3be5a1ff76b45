import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { removeAll, Workspace } from "./workspace.ts";

Deno.test("Workspace lays out cache, transfer, sandboxes and stdout files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ws = await Workspace.create(`${dir}/new/parent`);
    assert.match(ws.root, /\/new\/parent\/worker-\d+-\d+-[0-9a-f]{8}$/);
    assert.ok((await Deno.stat(ws.cacheDir)).isDirectory);
    assert.ok((await Deno.stat(ws.transferDir)).isDirectory);
    assert.equal(ws.cachePath("a b"), `${ws.root}/cache/a b`);
    assert.throws(() => ws.cachePath("../x"), ProtocolError);
    assert.throws(() => ws.cachePath(".."), ProtocolError);
    assert.throws(() => ws.cachePath(""), ProtocolError);
    assert.equal(ws.sandboxPath(3), `${ws.root}/t.3`);
    assert.equal(ws.stdoutPath(3), `${ws.root}/t.3.stdout`);
    assert.notEqual(ws.transferPath(), ws.transferPath());
    await ws.remove();
    assert.deepEqual([...Deno.readDirSync(`${dir}/new/parent`)], []);
    await ws.prepare();
    assert.ok((await Deno.stat(ws.cacheDir)).isDirectory);
    await ws.remove();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("removeAll() removes read-only trees and ignores missing paths", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/t/ro`, { recursive: true });
    await Deno.writeTextFile(`${dir}/t/ro/f`, "x");
    await Deno.chmod(`${dir}/t/ro`, 0o500);
    await removeAll(`${dir}/t`);
    await removeAll(`${dir}/t`);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("removeAll() removes a file, a symbolic link (not its target) and an empty directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/f`, "x");
    await Deno.mkdir(`${dir}/keep`);
    await Deno.writeTextFile(`${dir}/keep/g`, "y");
    await Deno.symlink(`${dir}/keep`, `${dir}/link`);
    await Deno.mkdir(`${dir}/empty`);
    for (const name of ["f", "link", "empty"]) await removeAll(`${dir}/${name}`);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["keep"]);
    assert.equal(await Deno.readTextFile(`${dir}/keep/g`), "y");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
