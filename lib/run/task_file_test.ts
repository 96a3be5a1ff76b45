import assert from "node:assert/strict";
import { parseTaskFile } from "./task_file.ts";

const OPTS = { name: "tasks.txt", dir: "/data" };

Deno.test("parseTaskFile() reads commands and JSON lines, skipping blank lines and comments", () => {
  const text = [
    "# a comment",
    "echo one",
    "",
    "   ",
    "  # an indented comment",
    '  {"command": "echo two", "tag": "t2"}  ',
    "sort -u words.txt | wc -l",
  ].join("\n");
  const tasks = parseTaskFile(text, OPTS);
  assert.deepEqual(
    tasks.map((t) => [t.line, t.task.command, t.task.tag]),
    [[2, "echo one", undefined], [6, "echo two", "t2"], [
      7,
      "sort -u words.txt | wc -l",
      undefined,
    ]],
  );
});

Deno.test("parseTaskFile() takes CRLF line ends, a byte-order mark and a last line without a break", () => {
  const tasks = parseTaskFile('\uFEFFecho a\r\n{"command": "echo b"}\r\necho c', OPTS);
  assert.deepEqual(tasks.map((t) => [t.line, t.task.command]), [
    [1, "echo a"],
    [2, "echo b"],
    [3, "echo c"],
  ]);
});

Deno.test("parseTaskFile() gives every task the run's maxRetries unless a JSON task sets its own", () => {
  const text = 'echo a\n{"command": "echo b"}\n{"command": "echo c", "maxRetries": 1}\n';
  const tasks = parseTaskFile(text, { ...OPTS, maxRetries: 5 });
  assert.deepEqual(tasks.map((t) => t.task.maxRetries), [5, 5, 1]);
  assert.deepEqual(parseTaskFile(text, OPTS).map((t) => t.task.maxRetries), [0, 0, 1]);
});

Deno.test("parseTaskFile() resolves relative local paths against the given directory", () => {
  const [t] = parseTaskFile('{"command": "c", "inputs": ["in/a.txt"], "outputs": ["../b"]}', OPTS);
  assert.equal(t.task.inputs[0].kind === "file" && t.task.inputs[0].local, "/data/in/a.txt");
  assert.equal(t.task.outputs[0].local, "/b");
});

Deno.test("parseTaskFile() names the file and the line of a bad task, keeping the error's class", () => {
  const text = 'echo a\n\n# fine so far\n{"command": "x", "cores": "x"}\necho never\n';
  assert.throws(() => parseTaskFile(text, OPTS), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.equal(
      e.message,
      `tasks.txt:4: Cannot read task: 'cores' must be a positive whole number, got "x"`,
    );
    assert.ok(e.cause instanceof RangeError);
    return true;
  });
  assert.throws(() => parseTaskFile('echo\n{"command": "x", "inputs": ["a", "a"]}', OPTS), {
    name: "TypeError",
    message: "tasks.txt:2: Cannot add input file: remote name 'a' is already an input of this task",
  });
});

Deno.test("parseTaskFile() says how to run a shell command that starts with '{'", () => {
  assert.throws(() => parseTaskFile("echo a\n{ echo grouped; } > g.txt\n", OPTS), (e: unknown) => {
    assert.ok(e instanceof SyntaxError);
    assert.match(
      e.message,
      /^tasks\.txt:2: Cannot read task: a line that starts with '\{' is JSON, and this is not valid JSON \(.+\); a shell command that starts with '\{' goes in \{"command": "..."\}$/,
    );
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  assert.throws(() => parseTaskFile('{"command": "a",}', OPTS), SyntaxError);
});

Deno.test("parseTaskFile() refuses a file without a task", () => {
  for (const text of ["", "\n\n", "# only\n  # comments\n"]) {
    assert.throws(() => parseTaskFile(text, { name: "-", dir: "/" }), {
      name: "SyntaxError",
      message: "-: Cannot read tasks: the file has no task, only blank lines and comments",
    });
  }
});
