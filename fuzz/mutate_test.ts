import assert from "node:assert/strict";
import { crashLine } from "./checks.ts";
import { join, loadCorpus, pyBytes } from "./corpus.ts";
import { frames, latin1 } from "./frames.ts";
import { headersOf, mutate } from "./mutate.ts";
import { mixSeed, Rng } from "./rng.ts";

const sessions = loadCorpus();

Deno.test("loadCorpus() reads every trace, both directions", () => {
  assert.ok(sessions.length >= 8, sessions.map((s) => s.name).join(", "));
  const raw = sessions.find((s) => s.name.startsWith("01_"))!;
  assert.match(latin1(raw.toManager[0]), /^workqueue 9 /);
  assert.ok(latin1(join(raw.toWorker)).includes("cmd 50\ncat in.txt buf.txt > out.txt"));
  // Chunks keep the framing: the stdout body stays with its result line.
  const all = frames(join(raw.toManager), "toManager").map((f) => f.header);
  assert.ok(all.includes("result 0 0 16 2359 1"));
  assert.ok(!all.includes("task-one-stdout"), "a body read as a header");
});

Deno.test("pyBytes() decodes the escapes of a Python bytes literal", () => {
  assert.deepEqual([...pyBytes("a\\n\\x00\\\\\\'")], [97, 10, 0, 92, 39]);
});

Deno.test("mutate() is deterministic from the seed and changes the stream", () => {
  const foreign = headersOf(sessions.map((s) => s.toWorker), "toWorker");
  let changed = 0;
  for (let i = 0; i < 200; i++) {
    const s = sessions[i % sessions.length];
    if (!s.toWorker.length) continue;
    const a = mutate(new Rng(mixSeed(9, i)), s.toWorker, { dir: "toWorker", foreign });
    const b = mutate(new Rng(mixSeed(9, i)), s.toWorker, { dir: "toWorker", foreign });
    assert.deepEqual(a, b);
    if (latin1(join(a.chunks)) !== latin1(join(s.toWorker))) changed++;
  }
  assert.ok(changed > 150, `only ${changed} of 200 mutations changed anything`);
});

Deno.test("crashLine() spots stack traces and uncaught errors, not refusals", () => {
  assert.equal(crashLine("2026 wq-worker[1] disconnected from manager x: Cannot parse"), undefined);
  assert.ok(crashLine("error: Uncaught (in promise) TypeError: x is undefined"));
  assert.ok(crashLine("boom\n    at foo (file:///a.ts:1:2)"));
});
