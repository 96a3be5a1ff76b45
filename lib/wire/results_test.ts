import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { readerOf, SPLITS } from "./_testing.ts";
import {
  encodeResultsReplyLine,
  isUpdatePath,
  parseResultsReplyLine,
  type ResultsReplyLine,
} from "./results.ts";

Deno.test("a result line round-trips every field", () => {
  const lines: ResultsReplyLine[] = [
    { kind: "result", status: 0, exitCode: 0, stdoutLength: 16, execUsec: 2359, taskId: 1 },
    { kind: "result", status: 40, exitCode: 0, stdoutLength: 0, execUsec: 0, taskId: 12 },
    { kind: "result", status: 56, exitCode: 9, stdoutLength: 0, execUsec: 5_000_000, taskId: 3 },
    {
      kind: "result",
      status: 0,
      exitCode: -1,
      stdoutLength: 2 ** 31,
      execUsec: 1,
      taskId: 2 ** 40,
    },
    { kind: "update", taskId: 4, remotePath: "log.txt", offset: 0, length: 12 },
    { kind: "update", taskId: 2 ** 40, remotePath: "a/b-%20.c", offset: 2 ** 33, length: 0 },
    { kind: "end" },
  ];
  for (const l of lines) {
    assert.deepEqual(parseResultsReplyLine(encodeResultsReplyLine(l).slice(0, -1)), l);
  }
});

Deno.test("parseResultsReplyLine() ignores extra fields and refuses the rest", () => {
  assert.deepEqual(parseResultsReplyLine("result 0 3 8 2449 2 extra"), {
    kind: "result",
    status: 0,
    exitCode: 3,
    stdoutLength: 8,
    execUsec: 2449,
    taskId: 2,
  });
  for (
    const line of [
      "result 0 0 0 0",
      "result 0 0 -1 0 1",
      "result x 0 0 0 1",
      "result 0 0 0 0 1.5",
      "end 1",
      "update 1 out 0",
      "update 1 out 0 3 4",
      "update 1  0 3",
      "update x out 0 3",
      "update 1 out -1 3",
      "update 1 out 0 -3",
      "update 1 out 0 3.5",
      "file a 3",
      "",
    ]
  ) {
    assert.throws(() => parseResultsReplyLine(line), ProtocolError, line);
  }
});

for (const split of SPLITS) {
  Deno.test(`a send_results reply reads back with its stdout bodies (${split})`, async () => {
    // Trace 01's replies, one after the other.
    const results: [ResultsReplyLine, string][] = [
      [
        { kind: "result", status: 0, exitCode: 0, stdoutLength: 16, execUsec: 2359, taskId: 1 },
        "task-one-stdout\n",
      ],
      [
        { kind: "result", status: 0, exitCode: 3, stdoutLength: 8, execUsec: 2449, taskId: 2 },
        "FOO is \n",
      ],
      [{ kind: "result", status: 40, exitCode: 0, stdoutLength: 0, execUsec: 0, taskId: 3 }, ""],
    ];
    let text = "";
    for (const [l, out] of results) text += encodeResultsReplyLine(l) + out;
    text += encodeResultsReplyLine({ kind: "end" });
    const r = readerOf(text, split, 3);
    for (const [l, out] of results) {
      const back = parseResultsReplyLine((await r.readLine())!);
      assert.deepEqual(back, l);
      if (back.kind === "result") {
        assert.equal(new TextDecoder().decode(await r.readExact(back.stdoutLength)), out);
      }
    }
    assert.deepEqual(parseResultsReplyLine((await r.readLine())!), { kind: "end" });
    assert.equal(await r.readLine(), null);
  });
}

Deno.test("parseResultsReplyLine() reads an update line as CCTools' worker writes it", () => {
  assert.deepEqual(parseResultsReplyLine("update 7 out/progress.log 120 45"), {
    kind: "update",
    taskId: 7,
    remotePath: "out/progress.log",
    offset: 120,
    length: 45,
  });
});

Deno.test("encodeResultsReplyLine() refuses an update path CCTools' managers cannot read", () => {
  for (const remotePath of ["", "my log.txt", "tab\there", "nl\n"]) {
    assert.throws(
      () => encodeResultsReplyLine({ kind: "update", taskId: 1, remotePath, offset: 0, length: 1 }),
      TypeError,
    );
    assert.equal(isUpdatePath(remotePath), false);
  }
});

Deno.test("parseResultsReplyLine() reads a result line in place as the long way would", () => {
  const read = (line: string) => parseResultsReplyLine(line);
  assert.deepEqual(read("result 1 -3 0 12 9"), {
    kind: "result",
    status: 1,
    exitCode: -3,
    stdoutLength: 0,
    execUsec: 12,
    taskId: 9,
  });
  // Fields after the fifth number are ignored; digits past 15 take the long way.
  assert.equal((read("result 0 0 0 0 5 extra") as { taskId: number }).taskId, 5);
  assert.equal(
    (read("result 0 0 0 0 1234567890123456") as { taskId: number }).taskId,
    1234567890123456,
  );
  for (
    const bad of [
      "result 0 0 0 0 5x",
      "result 0 0 0 0 ",
      "result 0 0 0 0",
      "result 0  0 0 0 1",
      "result 0 0 -1 0 1",
      "result - 0 0 0 1",
    ]
  ) {
    assert.throws(() => read(bad), ProtocolError, bad);
  }
});
