import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { readerOf, SPLITS } from "./_testing.ts";
import {
  encodeTaskBlock,
  parseTaskBlockLine,
  readTaskBlock,
  type TaskBlock,
  type TaskBlockLine,
} from "./task_block.ts";

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

const PARSED: TaskBlock = {
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
};

for (const split of SPLITS) {
  Deno.test(`readTaskBlock() reads a full block (${split})`, async () => {
    const r = readerOf(BLOCK, split);
    const ignored: string[] = [];
    const block = await readTaskBlock(r, 1, { onUnknown: (l) => ignored.push(l) });
    assert.deepEqual(block, PARSED);
    assert.deepEqual(ignored, ["feature gpu"]);
    assert.equal(await r.readLine(), "next line");
  });
}

for (const split of SPLITS) {
  Deno.test(`readTaskBlock() reads the coprocess line of protocol 11, a body without LF (${split})`, async () => {
    // 08_coprocess_factory.manager_to_worker.raw.txt
    const wire =
      "cmd 8\nupper_fncoprocess 25\nwq_worker_coprocess:uppercategory default\ncores 1.000\nend\nnext\n";
    const r = readerOf(wire, split);
    const block = await readTaskBlock(r, 1);
    assert.equal(block.command, "upper_fn");
    assert.equal(block.coprocess, "wq_worker_coprocess:upper");
    assert.equal(block.category, "default");
    assert.equal(await r.readLine(), "next");
  });
}

Deno.test("encodeTaskBlock() writes the lines in the C manager's order", () => {
  const text = encodeTaskBlock(PARSED);
  assert.equal(
    text,
    "task 1\ncmd 50\ncat in.txt buf.txt > out.txt; echo task-one-stdout" +
      "category default\ncores 1.000\ngpus 0\nmemory 64\ndisk 64\n" +
      "end_time 1795531400.000000\nwall_time 2.500000\n" +
      "env 7\nFOO=bar\nenv 4\nHOME\n" +
      "infile file-0-fc91-in.txt in.txt 1\ninfile buffer-2-7f2d sub/my%20buf.txt 0\n" +
      "dir emptydir\n" +
      "outfile file-3-00ba-out.txt out.txt 0\n" +
      "end\n",
  );
});

Deno.test("encodeTaskBlock() sends the manager's allocation as CCTools does", () => {
  const text = encodeTaskBlock({
    id: 9,
    command: "true",
    category: "my cat\tegory",
    request: { cores: 0.5, memory: 100.2, disk: 0.1, gpus: 0 },
    env: [],
    inputs: [],
    outputs: [],
  });
  assert.equal(
    text,
    "task 9\ncmd 4\ntruecategory my_cat_egory\ncores 0.500\ngpus 0\nmemory 101\ndisk 1\nend\n",
  );
  assert.match(encodeTaskBlock({ ...PARSED, category: "" }), /stdoutcategory default\n/);
});

/** Blocks of many shapes; each is what the worker must read back. */
const SHAPES: [string, TaskBlock][] = [
  ["the least: a command", {
    id: 1,
    command: "true",
    request: {},
    env: [],
    inputs: [],
    outputs: [],
  }],
  ["a command with line breaks, multibyte text and 'end' lines", {
    id: 2,
    command: "echo 'héllo wörld ✓'\nend\necho two\ncmd 3\n",
    request: { cores: 2 },
    env: [],
    inputs: [],
    outputs: [],
  }],
  ["an empty command", {
    id: 3,
    command: "",
    request: {},
    env: [],
    inputs: [],
    outputs: [],
  }],
  ["environment with '=' in values, empty values, unsets and multibyte values", {
    id: 4,
    command: "env",
    category: "default",
    request: { cores: 1, memory: 64, disk: 64, gpus: 0 },
    env: [
      ["A", "b=c=d"],
      ["EMPTY", ""],
      ["UNSET", undefined],
      ["EQ", "="],
      ["LINES", "one\ntwo\n"],
      ["U", "ünï ✓"],
      ["SPACES", "  a b  "],
    ],
    inputs: [],
    outputs: [],
  }],
  ["names with spaces, %, +, quotes, unicode and subdirectories", {
    id: 5,
    command: "ls -R",
    category: "analysis",
    request: { cores: 4, memory: 1000, disk: 2000, gpus: 1 },
    env: [],
    inputs: [
      { kind: "file", cachedName: "file-0-aa-in.txt", remoteName: "my file.txt", flags: 1 },
      { kind: "file", cachedName: "buffer-3-bb", remoteName: "100%.txt", flags: 0 },
      { kind: "file", cachedName: "file-0-cc-x", remoteName: "a+b 'c' \"d\" <e>.txt", flags: 1 },
      { kind: "file", cachedName: "file-0-dd-x", remoteName: "sub dir/ünï/%20.txt", flags: 1 },
      { kind: "file", cachedName: "file-0-ee-tree", remoteName: "tree", flags: 1 },
      { kind: "dir", remoteName: "empty" },
      { kind: "dir", remoteName: "deep/er/dir" },
      { kind: "file", cachedName: "buffer-4-ff", remoteName: "./dot.txt", flags: 0 },
    ],
    outputs: [
      { cachedName: "file-5.0-out", remoteName: "out put.txt", flags: 0 },
      { cachedName: "file-5.1-res", remoteName: "results/100% done", flags: 1 },
      { cachedName: "file-5.2-w", remoteName: "watched", flags: 16 },
    ],
  }],
  ["time limits", {
    id: 6,
    command: "sleep 1",
    request: { memory: 10 },
    endTime: 1795531400.25,
    wallTime: 30,
    env: [],
    inputs: [],
    outputs: [],
  }],
  ["every field at once, with a large id", {
    id: 2 ** 40,
    command: "x".repeat(5000),
    category: "c",
    request: { cores: 16, memory: 65536, disk: 1 << 20, gpus: 8 },
    endTime: 1,
    wallTime: 0.5,
    env: [["K", "v".repeat(3000)]],
    inputs: [{ kind: "dir", remoteName: "d" }],
    outputs: [{ cachedName: "o", remoteName: "o", flags: 1 }],
  }],
];

for (const [name, block] of SHAPES) {
  for (const split of SPLITS) {
    Deno.test(`a task block round-trips: ${name} (${split})`, async () => {
      const text = encodeTaskBlock(block) + "after\n";
      const r = readerOf(text, split, block.id % 97);
      assert.equal(await r.readLine(), `task ${block.id}`);
      const unknown: string[] = [];
      const back = await readTaskBlock(r, block.id, { onUnknown: (l) => unknown.push(l) });
      assert.deepEqual(back, block);
      assert.deepEqual(unknown, []);
      assert.equal(await r.readLine(), "after", "the reader stops right after 'end'");
      assert.equal(encodeTaskBlock(back), text.slice(0, -"after\n".length), "re-encodes the same");
    });
  }
}

Deno.test("a task block round-trips what the wire keeps of fractional and spaced values", async () => {
  const block: TaskBlock = {
    id: 7,
    command: "true",
    category: "two words",
    request: { cores: 1.5, memory: 10.5, disk: 0.5, gpus: 0 },
    env: [],
    inputs: [],
    outputs: [],
  };
  const r = readerOf(encodeTaskBlock(block));
  await r.readLine();
  const back = await readTaskBlock(r, 7);
  // One word for the category; whole numbers of what the worker reserves
  // (cores are cut to the integer part, the rest was rounded up when sent).
  assert.equal(back.category, "two_words");
  assert.deepEqual(back.request, { cores: 1, memory: 11, disk: 1, gpus: 0 });
});

Deno.test("parseTaskBlockLine() names each line", () => {
  const cases: [string, TaskBlockLine][] = [
    ["cmd 12", { kind: "cmd", length: 12 }],
    ["env 0", { kind: "env", length: 0 }],
    ["dir a/b", { kind: "dir", remoteName: "a/b" }],
    ["category x y", { kind: "category", name: "x y" }],
    ["gpus 2", { kind: "resource", name: "gpus", value: 2 }],
    ["memory 64.9", { kind: "resource", name: "memory", value: 64 }],
    ["wall_time 2.500000", { kind: "wall_time", seconds: 2.5 }],
    ["end_time 17.000000", { kind: "end_time", epochSeconds: 17 }],
    ["outfile a b%20c", {
      kind: "outfile",
      file: { cachedName: "a", remoteName: "b c", flags: 0 },
    }],
    ["end", { kind: "end" }],
    ["end extra", { kind: "unknown", line: "end extra" }],
    ["feature gpu", { kind: "unknown", line: "feature gpu" }],
    ["", { kind: "unknown", line: "" }],
  ];
  for (const [line, want] of cases) assert.deepEqual(parseTaskBlockLine(line), want, line);
});

Deno.test("readTaskBlock() refuses unsafe names and malformed lines", async () => {
  const bad = [
    "cmd 4\ntrueinfile a ../x 0\nend\n",
    "cmd 4\ntrueinfile a /abs 0\nend\n",
    "cmd 4\ntrueinfile a %2E%2E/x 0\nend\n",
    "cmd 4\ntrueinfile ../a x 0\nend\n",
    "cmd 4\ntrueoutfile a/b x 0\nend\n",
    "cmd 4\ntrueoutfile .. x 0\nend\n",
    "cmd 4\ntruedir ../up\nend\n",
    "cmd 4\ntrueinfile onlyone\nend\n",
    "cmd 4\ntrueinfile a b notaflag\nend\n",
    "cmd 4\ntruecores many\nend\n",
    "cmd 4\ntruewall_time\nend\n",
    "cmd x\n",
    "cmd -1\n",
    "cmd 4\ntrueenv -1\n\nend\n",
    "cmd 4\ntrueenv 1\n=\nend\n",
    "category x\nend\n", // no cmd
    "cmd 4\ntrue", // stream ends
    "cmd 10\ntrue", // stream ends inside the body
  ];
  for (const text of bad) {
    for (const split of SPLITS) {
      await assert.rejects(readTaskBlock(readerOf(text, split), 3), Error, JSON.stringify(text));
    }
  }
  await assert.rejects(readTaskBlock(readerOf("cmd 4\ntruedir /abs\nend\n"), 3), ProtocolError);
});

Deno.test("readTaskBlock() bounds the command and environment lengths", async () => {
  await assert.rejects(
    readTaskBlock(readerOf("cmd 100\n" + "x".repeat(100) + "end\n"), 4, { maxCommand: 10 }),
    ProtocolError,
  );
  await assert.rejects(
    readTaskBlock(readerOf("cmd 0\nenv 20\n" + "A=".padEnd(20, "x") + "\nend\n"), 4, {
      maxEnv: 10,
    }),
    ProtocolError,
  );
});
