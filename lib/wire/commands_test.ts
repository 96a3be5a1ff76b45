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
    ["url file-1-x 22 0644 0", {
      kind: "url",
      name: "file-1-x",
      length: 22,
      mode: 0o644,
      flags: 0,
    }],
    ["thirdput 1 a b", { kind: "thirdput" }],
    ["thirdget 2 a /shared/a", { kind: "thirdget", mode: 2, name: "a", path: "/shared/a" }],
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

Deno.test("the protocol-9 url and thirdget lines of Debian's Python manager read back and encode alike", () => {
  // Sent by Debian's work_queue (7.4) for work_queue_task_specify_url and specify_file_command.
  const url = "url url-0-326232f78eada34f9c2643e150cf67e8 27 0777 1";
  const third = "thirdget 1 cmd-2-8154a36f1a25204950de022a3db12cd4 echo made > %%";
  const u = parseCommand(url);
  assert.deepEqual(u, {
    kind: "url",
    name: "url-0-326232f78eada34f9c2643e150cf67e8",
    length: 27,
    mode: 0o777,
    flags: 1,
  });
  const t = parseCommand(third);
  assert.deepEqual(t, {
    kind: "thirdget",
    mode: 1,
    name: "cmd-2-8154a36f1a25204950de022a3db12cd4",
    path: "echo made > %%",
  });
  assert.equal(encodeCommand(u as SentCommand), url + "\n");
  assert.equal(encodeCommand(t as SentCommand), third + "\n");
  assert.throws(
    () => encodeCommand({ kind: "thirdget", mode: 1, name: "c", path: "a\nb" }),
    TypeError,
  );
});

Deno.test("the protocol-11 puturl and putcmd lines of the 7.17 manager read back and encode alike (trace 02)", () => {
  const lines = [
    "puturl http://127.0.0.1:40325/data.txt url-0-3db6155f8aa8e22f395bfc65b3375f65 0 777",
    "putcmd echo%20made-by-putcmd%20%3E%20%25%25 cmd-0-4dcd794da11cfd23da5432ae5179c5ae 0 777",
    "putcmd echo%20cannot%20make%20%25%25;%20exit%203 cmd-7-752c5a422bde7f7140ae3d6669e08d53 0 777",
  ];
  const [u, c, f] = lines.map(parseCommand);
  assert.deepEqual(u, {
    kind: "puturl",
    url: "http://127.0.0.1:40325/data.txt",
    name: "url-0-3db6155f8aa8e22f395bfc65b3375f65",
    size: 0,
    mode: 0o777,
  });
  assert.deepEqual(c, {
    kind: "putcmd",
    command: "echo made-by-putcmd > %%",
    name: "cmd-0-4dcd794da11cfd23da5432ae5179c5ae",
    size: 0,
    mode: 0o777,
  });
  assert.equal((f as { command: string }).command, "echo cannot make %%; exit 3");
  for (const [i, cmd] of [u, c, f].entries()) {
    assert.equal(encodeCommand(cmd as SentCommand), lines[i] + "\n");
  }
  for (
    const bad of [
      "puturl http://x",
      "putcmd a%20%25%25 ../x 0 777",
      "puturl a b c 777",
      "puturl a b 0 9",
    ]
  ) {
    assert.throws(() => parseCommand(bad), ProtocolError, bad);
  }
});
