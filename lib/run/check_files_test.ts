import assert from "node:assert/strict";
import { checkTaskFiles, fileConflict } from "./check_files.ts";
import { parseTaskFile } from "./task_file.ts";

function tasks(lines: string[]) {
  return parseTaskFile(lines.join("\n"), { name: "t.txt", dir: "/d" });
}

Deno.test("fileConflict() finds an output written twice, over an input, the task file or --out", () => {
  const files = { name: "t.txt", taskFile: "/d/t.txt", out: "/d/results.jsonl" };
  const cases: [string[], string | undefined][] = [
    [
      ['{"command": "a", "outputs": ["a.txt"]}', '{"command": "b", "outputs": ["b.txt"]}'],
      undefined,
    ],
    [
      ["echo", '{"command": "a", "outputs": ["x"]}', '{"command": "b", "outputs": ["/d/x"]}'],
      "t.txt:3: Cannot read task: output '/d/x' is also the output of line 2",
    ],
    [
      ['{"command": "b", "outputs": ["in.txt"]}', '{"command": "a", "inputs": ["in.txt"]}'],
      "t.txt:1: Cannot read task: output '/d/in.txt' is an input of line 2",
    ],
    [
      ['{"command": "a", "outputs": ["t.txt"]}'],
      "t.txt:1: Cannot read task: output '/d/t.txt' is the task file",
    ],
    [
      ['{"command": "a", "outputs": ["results.jsonl"]}'],
      "t.txt:1: Cannot read task: output '/d/results.jsonl' is the results file (--out)",
    ],
    // A buffer's remote name is not a local file.
    [['{"command": "a", "inputs": [{"buffer": "", "remote": "x"}], "outputs": ["x"]}'], undefined],
  ];
  for (const [lines, want] of cases) assert.equal(fileConflict(tasks(lines), files), want);
});

Deno.test("fileConflict() refuses an --out file that is the task file or an input", () => {
  const parsed = tasks(["echo", '{"command": "a", "inputs": ["in.txt"]}']);
  assert.equal(
    fileConflict(parsed, { name: "t.txt", taskFile: "/d/t.txt", out: "/d/t.txt" }),
    "Cannot use option '--out': '/d/t.txt' is the task file",
  );
  assert.equal(
    fileConflict(parsed, { name: "t.txt", out: "/d/in.txt" }),
    "Cannot use option '--out': '/d/in.txt' is an input of line 2",
  );
  assert.equal(fileConflict(parsed, { name: "t.txt", out: "/d/r.jsonl" }), undefined);
});

Deno.test("checkTaskFiles() passes when every input exists, files and directories alike", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wq-run-check-" });
  try {
    await Deno.writeTextFile(`${dir}/a.txt`, "a");
    await Deno.mkdir(`${dir}/db`);
    const parsed = parseTaskFile(
      [
        '{"command": "x", "inputs": ["a.txt", {"directory": "db"}], "outputs": ["new/o.txt"]}',
        '{"command": "y", "inputs": ["a.txt", {"directory": "nothing", "recursive": false}]}',
      ].join("\n"),
      { name: "t.txt", dir },
    );
    await checkTaskFiles(parsed, { name: "t.txt", taskFile: `${dir}/t.txt` });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkTaskFiles() names the line of the first input that does not exist", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wq-run-check-" });
  try {
    await Deno.writeTextFile(`${dir}/a.txt`, "a");
    const parsed = parseTaskFile(
      ["echo", '{"command": "x", "inputs": ["a.txt"]}', '{"command": "y", "inputs": ["b.txt"]}']
        .join("\n"),
      { name: "t.txt", dir },
    );
    await assert.rejects(checkTaskFiles(parsed, { name: "t.txt" }), {
      message: `t.txt:3: Cannot read task: input '${dir}/b.txt' does not exist`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkTaskFiles() reports a conflict before it looks at the disk", async () => {
  const parsed = tasks([
    '{"command": "a", "inputs": ["missing"], "outputs": ["o"]}',
    '{"command": "b", "outputs": ["o"]}',
  ]);
  await assert.rejects(checkTaskFiles(parsed, { name: "t.txt" }), {
    message: "t.txt:2: Cannot read task: output '/d/o' is also the output of line 1",
  });
});
