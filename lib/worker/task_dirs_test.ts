import assert from "node:assert/strict";
import { SANDBOX_TMP, TaskDirs } from "./task_dirs.ts";
import { Workspace } from "./workspace.ts";

async function withWorkspace(f: (ws: Workspace) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await f(await Workspace.create(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("TaskDirs recycles a clean sandbox and stdout file under new names", async () => {
  await withWorkspace(async (ws) => {
    const dirs = new TaskDirs(ws);
    const sb = await dirs.make(1);
    assert.deepEqual(names(sb), [SANDBOX_TMP]);
    Deno.writeTextFileSync(ws.stdoutPath(1), "old output");
    const ino = Deno.statSync(sb).ino;
    await dirs.release(1);
    assert.equal(exists(sb), false);
    assert.equal(exists(ws.stdoutPath(1)), false);
    assert.equal(dirs.spares, 1);

    const sb2 = await dirs.make(2);
    assert.equal(sb2, ws.sandboxPath(2));
    assert.equal(Deno.statSync(sb2).ino, ino); // the same directory
    assert.deepEqual(names(sb2), [SANDBOX_TMP]);
    assert.equal(Deno.readTextFileSync(ws.stdoutPath(2)), ""); // truncated
    assert.equal(dirs.spares, 0);
    await dirs.release(2);
    assert.deepEqual(names(ws.root).filter((n) => n.startsWith("t.")), []);
  });
});

Deno.test("TaskDirs removes sandboxes a task changed", async () => {
  await withWorkspace(async (ws) => {
    const dirs = new TaskDirs(ws);
    const changes: ((sb: string) => void)[] = [
      (sb) => Deno.writeTextFileSync(`${sb}/file`, "x"),
      (sb) => Deno.writeTextFileSync(`${sb}/${SANDBOX_TMP}/file`, "x"),
      (sb) => Deno.mkdirSync(`${sb}/sub`),
      (sb) => Deno.mkdirSync(`${sb}/${SANDBOX_TMP}/sub`),
      (sb) => Deno.chmodSync(`${sb}/${SANDBOX_TMP}`, 0o777),
      (sb) => Deno.removeSync(`${sb}/${SANDBOX_TMP}`),
      (sb) => Deno.removeSync(sb, { recursive: true }),
    ];
    for (const [i, change] of changes.entries()) {
      const sb = await dirs.make(i);
      change(sb);
      await dirs.release(i);
      assert.equal(exists(sb), false, `change ${i}`);
      assert.equal(dirs.spares, 0, `change ${i}`);
    }
  });
});

Deno.test("TaskDirs recycles a sandbox whose only entries were its inputs", async () => {
  await withWorkspace(async (ws) => {
    const dirs = new TaskDirs(ws);
    Deno.writeTextFileSync(`${ws.cacheDir}/c`, "C");
    const sb = await dirs.make(1);
    Deno.linkSync(`${ws.cacheDir}/c`, `${sb}/in.txt`);
    Deno.mkdirSync(`${sb}/empty`);
    await dirs.release(1, { inputs: ["in.txt", "empty"] });
    assert.equal(dirs.spares, 1);
    assert.equal(Deno.readTextFileSync(`${ws.cacheDir}/c`), "C"); // the cache keeps its file
    // A nested input is not unlinked one by one: the sandbox is removed.
    const sb2 = await dirs.make(2);
    Deno.mkdirSync(`${sb2}/a`);
    Deno.linkSync(`${ws.cacheDir}/c`, `${sb2}/a/in.txt`);
    await dirs.release(2, { inputs: ["a/in.txt"] });
    assert.equal(exists(sb2), false);
    assert.equal(dirs.spares, 0);
  });
});

Deno.test("TaskDirs removes what it is told not to recycle", async () => {
  await withWorkspace(async (ws) => {
    const dirs = new TaskDirs(ws);
    const sb = await dirs.make(1);
    Deno.writeTextFileSync(ws.stdoutPath(1), "");
    await dirs.release(1, { recycle: false });
    assert.equal(dirs.spares, 0);
    assert.deepEqual(names(ws.root).filter((n) => !["cache", "transfer"].includes(n)), []);
    assert.equal(exists(sb), false);
  });
});

Deno.test("TaskDirs keeps at most maxSpares and replaces what is in the way", async () => {
  await withWorkspace(async (ws) => {
    const dirs = new TaskDirs(ws, { maxSpares: 1 });
    await dirs.make(1);
    await dirs.make(2);
    await dirs.release(1);
    await dirs.release(2);
    assert.equal(dirs.spares, 1);
    assert.deepEqual(names(ws.root).filter((n) => n.startsWith("t.")), []);
    // A leftover t.3 with content is replaced by the spare.
    Deno.mkdirSync(`${ws.sandboxPath(3)}/junk`, { recursive: true });
    const sb = await dirs.make(3);
    assert.deepEqual(names(sb), [SANDBOX_TMP]);
  });
});
