import assert from "node:assert/strict";
import { Task } from "../task.ts";
import { OutputLanding } from "./output_landing.ts";
import { stageInputs, stageInputsSync } from "./staging.ts";

Deno.test("stageInputsSync() names a file by its size and mtime, so a changed file is sent again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/in.txt`;
    await Deno.writeTextFile(path, "one");
    const t = new Task("cat in.txt").specifyInputFile(path);
    const first = stageInputsSync(t, new Map());
    assert.ok(first && "inputs" in first);
    const again = stageInputsSync(
      t,
      new Map([[first.inputs[0].kind === "file" ? first.inputs[0].name : "", 3]]),
    );
    assert.ok(again && "inputs" in again);
    assert.deepEqual(again.inputs, first.inputs);
    const viaAsync = await stageInputs(t);
    assert.ok("inputs" in viaAsync);
    assert.deepEqual(viaAsync.inputs, first.inputs);
    await Deno.writeTextFile(path, "changed");
    const changed = stageInputsSync(t, new Map());
    assert.ok(changed && "inputs" in changed);
    assert.notEqual(
      (changed.inputs[0] as { name: string }).name,
      (first.inputs[0] as { name: string }).name,
    );
    await Deno.remove(path);
    const gone = stageInputsSync(t, new Map());
    assert.ok(gone && "missing" in gone);
    assert.match(gone.missing, /in\.txt/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stageInputsSync() leaves directory inputs to stageInputs()", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/tree`);
    const t = new Task("ls tree").specifyDirectory(`${dir}/tree`, "tree", {
      type: "input",
      recursive: true,
    });
    assert.equal(stageInputsSync(t, new Map()), undefined);
    const staged = await stageInputs(t);
    assert.ok("inputs" in staged && staged.inputs[0].kind === "dir");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A copier that delivers `text` to the sink, as LineReader.copyTo would. */
function body(text: string) {
  return async (sink: { write(p: Uint8Array): Promise<number> } | null) => {
    const p = new TextEncoder().encode(text);
    let off = 0;
    while (sink && off < p.length) off += await sink.write(p.subarray(off));
  };
}

Deno.test("OutputLanding refuses conflicting entries without writing outside its output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const landing = new OutputLanding(`${dir}/out/result`);
    assert.equal(await landing.makeDir(""), undefined);
    assert.equal(await landing.writeFile("a.txt", body("A")), undefined);
    // A second entry of the same name, a file where a directory is, a
    // directory under a file: each is a reason, and the body is consumed.
    assert.match((await landing.writeFile("a.txt", body("again")))!, /a\.txt.*cannot be written/);
    assert.equal(await landing.makeDir("sub"), undefined);
    assert.match((await landing.writeFile("sub", body("x")))!, /cannot be written/);
    assert.match((await landing.makeDir("a.txt/deeper"))!, /cannot be made/);
    assert.match((await landing.writeFile("a.txt/f", body("x")))!, /cannot be written/);
    assert.equal(await landing.commit(), undefined);
    assert.equal(await Deno.readTextFile(`${dir}/out/result/a.txt`), "A");
    const names = [];
    for await (const e of Deno.readDir(`${dir}/out`)) names.push(e.name);
    assert.deepEqual(names, ["result"], "no temporary left beside the output");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("OutputLanding.commit() reports an output that never came or cannot be put in place", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.match((await new OutputLanding(`${dir}/none`).commit())!, /not sent/);
    await Deno.mkdir(`${dir}/taken/inside`, { recursive: true });
    const landing = new OutputLanding(`${dir}/taken`);
    assert.equal(await landing.writeFile("", body("file over a directory")), undefined);
    assert.match((await landing.commit())!, /cannot be moved into place/);
    await landing.discard();
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["taken"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
