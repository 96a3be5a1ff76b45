import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { readerOf, SPLITS } from "./_testing.ts";
import { readTaskSpec } from "./task_spec.ts";

// The block the C manager sends (trace 01, task 1), plus extras.
const BLOCK = "cmd 50\ncat in.txt buf.txt > out.txt; echo task-one-stdout" +
  "category default\ncores 1.000\ngpus 0\nmemory 64\ndisk 64\n" +
  "end_time 1795531400.000000\nwall_time 2.500000\n" +
  "env 7\nFOO=bar\nenv 4\nHOME\n" +
  "infile file-0-fc91-in.txt in.txt 1\ninfile buffer-2-7f2d sub/my%20buf.txt 0\n" +
  "dir emptydir\n" +
  "outfile file-3-00ba-out.txt out.txt 0\n" +
  "feature gpu\n" +
  "end\nnext line\n";

for (const split of SPLITS) {
  Deno.test(`readTaskSpec() reads a full block (${split})`, async () => {
    const r = readerOf(BLOCK, split);
    const ignored: string[] = [];
    const spec = await readTaskSpec(r, 1, {}, (l) => ignored.push(l));
    assert.deepEqual(spec, {
      id: 1,
      command: "cat in.txt buf.txt > out.txt; echo task-one-stdout",
      category: "default",
      request: { cores: 1, gpus: 0, memory: 64, disk: 64 },
      endTime: 1795531400,
      wallTime: 2.5,
      env: [["FOO", "bar"], ["HOME", undefined]],
      inputs: [
        { kind: "file", cachedName: "file-0-fc91-in.txt", remoteName: "in.txt", flags: 1 },
        { kind: "file", cachedName: "buffer-2-7f2d", remoteName: "sub/my buf.txt", flags: 0 },
        { kind: "dir", remoteName: "emptydir" },
      ],
      outputs: [{ cachedName: "file-3-00ba-out.txt", remoteName: "out.txt", flags: 0 }],
    });
    assert.deepEqual(ignored, ["feature gpu"]);
    assert.equal(await r.readLine(), "next line");
  });
}

Deno.test("readTaskSpec() keeps a command with newlines and multibyte text", async () => {
  const cmd = "echo 'héllo'\necho two";
  const bytes = new TextEncoder().encode(cmd).length;
  const spec = await readTaskSpec(readerOf(`cmd ${bytes}\n${cmd}end\n`, "bytes"), 2);
  assert.equal(spec.command, cmd);
  assert.deepEqual(spec.request, {});
});

Deno.test("readTaskSpec() refuses unsafe names and malformed lines", async () => {
  const bad = [
    "cmd 4\ntrueinfile a ../x 0\nend\n",
    "cmd 4\ntrueinfile a /abs 0\nend\n",
    "cmd 4\ntrueinfile a %2E%2E/x 0\nend\n",
    "cmd 4\ntrueinfile ../a x 0\nend\n",
    "cmd 4\ntrueoutfile a/b x 0\nend\n",
    "cmd 4\ntrueoutfile .. x 0\nend\n",
    "cmd 4\ntruedir ../up\nend\n",
    "cmd 4\ntrueinfile onlyone\nend\n",
    "cmd 4\ntruecores many\nend\n",
    "cmd x\n",
    "cmd 4\ntrueenv 1\n=\nend\n",
    "category x\nend\n", // no cmd
    "cmd 4\ntrue", // stream ends
  ];
  for (const text of bad) {
    await assert.rejects(readTaskSpec(readerOf(text), 3), Error, JSON.stringify(text));
  }
  await assert.rejects(readTaskSpec(readerOf("cmd 4\ntruedir /abs\nend\n"), 3), ProtocolError);
});

Deno.test("readTaskSpec() bounds the command length", async () => {
  await assert.rejects(
    readTaskSpec(readerOf("cmd 100\n" + "x".repeat(100) + "end\n"), 4, { maxCommand: 10 }),
    ProtocolError,
  );
});
