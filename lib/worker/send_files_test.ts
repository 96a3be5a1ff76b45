import assert from "node:assert/strict";
import { FrameWriter } from "../wire/frame_writer.ts";
import { MemorySink } from "./_testing.ts";
import { errnoOf, isWithin, sendCacheEntry } from "./send_files.ts";
import { Workspace } from "./workspace.ts";

Deno.test("isWithin() checks path prefixes by component", () => {
  assert.ok(isWithin("/a/b", "/a"));
  assert.ok(isWithin("/a", "/a"));
  assert.ok(isWithin("/a/b", "/a/"));
  assert.ok(!isWithin("/ab", "/a"));
  assert.ok(!isWithin("/", "/a"));
});

Deno.test("errnoOf() maps Deno errors to errno values", () => {
  assert.equal(errnoOf(new Deno.errors.NotFound("x")), 2);
  assert.equal(errnoOf(new Deno.errors.PermissionDenied("x")), 13);
  assert.equal(errnoOf(new Error("x")), 5);
});

Deno.test("sendCacheEntry() streams files, dirs and missing entries, then end", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ws = await Workspace.create(dir);
    const t = `${ws.cacheDir}/out`;
    await Deno.mkdir(`${t}/sub`, { recursive: true });
    await Deno.writeTextFile(`${t}/a.txt`, "A\n");
    await Deno.writeTextFile(`${t}/sub/b.txt`, "B\n");
    await Deno.writeTextFile(`${t}/empty`, "");
    await Deno.symlink("a.txt", `${t}/inside`);
    await Deno.symlink("/etc/hostname", `${t}/outside`);
    await Deno.symlink("nowhere", `${t}/dangling`);
    await Deno.writeTextFile(`${ws.cacheDir}/single`, "xyz");

    const sink = new MemorySink();
    const w = new FrameWriter(sink);
    await sendCacheEntry(w, ws, "out", { recursive: true });
    await sendCacheEntry(w, ws, "single", { recursive: true });
    await sendCacheEntry(w, ws, "none", { recursive: true });
    await sendCacheEntry(w, ws, "out", { recursive: false });
    await w.flushed();
    assert.equal(
      sink.text(),
      "dir out 0\n" +
        "file out/a.txt 2\nA\n" +
        "missing out/dangling 2\n" +
        "file out/empty 0\n" +
        "file out/inside 2\nA\n" +
        "missing out/outside 2\n" +
        "dir out/sub 0\n" +
        "file out/sub/b.txt 2\nB\n" +
        "end\n" +
        "file single 3\nxyzend\n" +
        "missing none 2\nend\n" +
        "dir out 0\nend\n",
    );
    await assert.rejects(
      sendCacheEntry(w, ws, "../x", { recursive: true }),
      /Cannot use cache name/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
