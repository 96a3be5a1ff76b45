import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { type Command, encodeCommand, parseCommand, type SentCommand } from "./commands.ts";

Deno.test("every command the manager sends round-trips", () => {
  const names = [
    "file-0-fc91f21b3f8552b556a1ea9731c804d5-in.txt",
    "buffer-2-7f2d",
    "my file",
    "100%",
  ];
  const commands: SentCommand[] = [
    { kind: "task", id: 1 },
    { kind: "task", id: 2 ** 40 },
    { kind: "send_results" },
    { kind: "kill", id: 7 },
    { kind: "kill", id: -1 },
    { kind: "check" },
    { kind: "release" },
    { kind: "exit" },
  ];
  for (const name of names) {
    commands.push(
      { kind: "put", name, length: 18, mode: 0o644 },
      { kind: "dir", name },
      { kind: "get", name, recursive: true },
      { kind: "get", name, recursive: false },
      { kind: "unlink", name },
    );
  }
  for (const c of commands) {
    const line = encodeCommand(c);
    assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"), line);
    assert.deepEqual(parseCommand(line.slice(0, -1)), c, line);
  }
});

Deno.test("encodeCommand() writes the bytes CCTools' manager writes (trace 01)", () => {
  const name = "file-3-00ba29caee102c5fd3d95cb0a433d523-out.txt";
  assert.equal(encodeCommand({ kind: "send_results" }), "send_results -1\n");
  assert.equal(encodeCommand({ kind: "get", name, recursive: true }), `get ${name} 1\n`);
  assert.equal(encodeCommand({ kind: "kill", id: 1 }), "kill 1\n");
  assert.equal(encodeCommand({ kind: "unlink", name }), `unlink ${name}\n`);
  assert.equal(
    encodeCommand({ kind: "put", name: "file-0-fc91-in.txt", length: 18, mode: 0o644 }),
    "put file-0-fc91-in.txt 18 0644\n",
  );
  assert.equal(encodeCommand({ kind: "exit" }), "exit\n");
});

Deno.test("parseCommand() reads the commands a plain worker only accepts", () => {
  const cases: [string, Command][] = [
    ["send_results", { kind: "send_results" }],
    ["send_results 5", { kind: "send_results" }],
    ["get a", { kind: "get", name: "a", recursive: true }],
    ["get a%20b 0", { kind: "get", name: "a b", recursive: false }],
    ["url file-1-x 22 0644 0", { kind: "url", name: "file-1-x", length: 22 }],
    ["thirdput 1 a b", { kind: "thirdput" }],
    ["thirdget 2 a /shared/a", { kind: "ignored", keyword: "thirdget" }],
    ["invalidate-file a", { kind: "ignored", keyword: "invalidate-file" }],
    ["tlq http://x", { kind: "ignored", keyword: "tlq" }],
    ["auth password sha1", { kind: "auth" }],
    ["check now", { kind: "check" }],
  ];
  for (const [line, want] of cases) assert.deepEqual(parseCommand(line), want, line);
});

Deno.test("parseCommand() refuses unknown commands, bad numbers and unsafe names", () => {
  for (
    const line of [
      "bogus 1 2 3",
      "",
      "Task 1",
      "task",
      "task x",
      "kill",
      "kill 1.5",
      "url a",
      "get ../x 1",
      "get",
      "unlink ..",
      "unlink a%2Fb",
      "put ../evil 3 0644",
      "dir ..",
    ]
  ) {
    assert.throws(() => parseCommand(line), ProtocolError, JSON.stringify(line));
  }
});
