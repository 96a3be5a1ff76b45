import assert from "node:assert/strict";
import { Task } from "../task.ts";
import { stageInputs, stageInputsSync } from "./transfer.ts";

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
