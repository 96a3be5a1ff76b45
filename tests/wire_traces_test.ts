/**
 * The grammar of lib/wire/ against the recorded sessions of the protocol
 * spec (fuzz/traces/): what CCTools' manager and worker (and the minimal
 * peers) sent parses, and our encoders write it back as the same messages,
 * byte for byte where the sender was CCTools itself.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type Command,
  encodeCommand,
  parseCommand,
  type SentCommand,
} from "../lib/wire/commands.ts";
import {
  encodeGetReplyEntry,
  encodeUploadEntry,
  parseGetReplyEntry,
  parseUploadEntry,
  type UploadEntry,
} from "../lib/wire/files.ts";
import { type ByteSource, LineReader } from "../lib/wire/line_reader.ts";
import { encodeResultsReplyLine, parseResultsReplyLine } from "../lib/wire/results.ts";
import { encodeTaskBlock, readTaskBlock, type TaskBlock } from "../lib/wire/task_block.ts";
import { encodeWorkerMessage, parseWorkerMessage } from "../lib/wire/worker_messages.ts";
import { ProtocolError } from "../lib/errors.ts";
import { join, loadCorpus, type Session } from "../fuzz/corpus.ts";

const sessions = loadCorpus();
const decoder = new TextDecoder();

/** The bytes, handed out in one read, byte by byte, or in pieces of up to 5 bytes. */
function reader(bytes: Uint8Array, split: "whole" | "bytes" | "random"): LineReader {
  let off = 0;
  let i = 0;
  const source: ByteSource = {
    read(p) {
      if (off >= bytes.length) return Promise.resolve(null);
      let n = Math.min(p.length, bytes.length - off);
      if (split === "bytes") n = 1;
      if (split === "random") n = Math.min(n, 1 + (i++ * 7919 % 5));
      p.set(bytes.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
  };
  return new LineReader(source);
}

/** One message from the manager, with what follows its line. */
type ToWorker =
  | { kind: "command"; command: Command; line: string; body?: Uint8Array }
  | { kind: "task"; block: TaskBlock }
  | { kind: "upload"; entry: UploadEntry; body?: Uint8Array };

/** Reads a manager's stream as our worker does, up to its end or a refusal. */
async function readToWorker(
  bytes: Uint8Array,
  split: "whole" | "bytes" | "random",
): Promise<{ messages: ToWorker[]; refused?: string }> {
  const r = reader(bytes, split);
  const messages: ToWorker[] = [];
  const uploadStream = async (): Promise<void> => {
    for (;;) {
      const line = await r.readLine();
      if (line === null) throw new ProtocolError("Cannot read upload: the stream ended");
      const entry = parseUploadEntry(line);
      if (!entry) throw new ProtocolError(`Cannot read upload: unexpected '${line}'`);
      const body = entry.kind === "put" || entry.kind === "symlink"
        ? await r.readExact(entry.length)
        : undefined;
      messages.push({ kind: "upload", entry, body });
      if (entry.kind === "end") return;
      if (entry.kind === "dir") await uploadStream();
    }
  };
  try {
    for (;;) {
      const line = await r.readLine();
      if (line === null) return { messages };
      const command = parseCommand(line);
      if (command.kind === "task") {
        const block = await readTaskBlock(r, command.id);
        messages.push({ kind: "task", block });
        continue;
      }
      const length = command.kind === "put" || command.kind === "url" ? command.length : -1;
      const body = length >= 0 ? await r.readExact(length) : undefined;
      messages.push({ kind: "command", command, line, body });
      if (command.kind === "dir") await uploadStream();
    }
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { messages, refused: e.message };
  }
}

/** Our bytes for a parsed manager message (undefined: a command we never send). */
function encodeToWorker(m: ToWorker): string | undefined {
  switch (m.kind) {
    case "task":
      return encodeTaskBlock(m.block);
    case "upload":
      return encodeUploadEntry(m.entry) + (m.body ? decoder.decode(m.body) : "");
    case "command": {
      const sent = ["url", "thirdput", "ignored", "auth"].includes(m.command.kind);
      if (sent) return undefined;
      return encodeCommand(m.command as SentCommand) + (m.body ? decoder.decode(m.body) : "");
    }
  }
}

/** The sessions in which the real worker refused a line (it closed the connection there). */
const REFUSED: Record<string, RegExp> = {
  "06_worker_edge_cases.transcript.txt#unknown_message": /unknown command/,
};

for (const split of ["whole", "bytes", "random"] as const) {
  Deno.test(`every manager stream of the traces parses with the worker's grammar and re-encodes to the same messages (${split})`, async () => {
    let tasks = 0;
    for (const s of sessions) {
      const { messages, refused } = await readToWorker(join(s.toWorker), split);
      const expectRefusal = Object.entries(REFUSED).find(([k]) => s.name.startsWith(k))?.[1];
      if (expectRefusal) assert.match(refused ?? "", expectRefusal, s.name);
      else assert.equal(refused, undefined, `${s.name}: ${refused}`);
      // Our encoding of each message reads back as the same message.
      for (const m of messages) {
        if (m.kind === "task") {
          const again = await readToWorker(
            new TextEncoder().encode(encodeTaskBlock(m.block)),
            split,
          );
          assert.deepEqual(again, { messages: [m] }, s.name);
          tasks++;
        } else if (m.kind === "upload") {
          assert.deepEqual(parseUploadEntry(encodeUploadEntry(m.entry).slice(0, -1)), m.entry);
        } else if (!["url", "thirdput", "ignored", "auth"].includes(m.command.kind)) {
          const line = encodeCommand(m.command as SentCommand);
          assert.deepEqual(parseCommand(line.slice(0, -1)), m.command, `${s.name}: ${line}`);
        }
      }
    }
    assert.ok(tasks >= 10, `only ${tasks} task blocks in the traces`);
  });
}

Deno.test("our encoders write CCTools' manager's task blocks and commands byte for byte (trace 01)", async () => {
  const s = sessions.find((x) => x.name.startsWith("01_"))!;
  const original = join(s.toWorker);
  const { messages, refused } = await readToWorker(original, "whole");
  assert.equal(refused, undefined);
  let ours = "";
  for (const m of messages) {
    // The Python manager writes a buffer's mode as '777' where the C code writes '0777'.
    if (m.kind === "command" && m.command.kind === "put" && m.line.endsWith(" 777")) {
      ours += m.line + "\n" + decoder.decode(m.body);
      continue;
    }
    ours += encodeToWorker(m);
  }
  assert.equal(ours, decoder.decode(original));
});

/** Reads a worker's stream as our manager does, message by message, and writes it back with our encoders. */
async function reencodeToManager(s: Session): Promise<{ ours: string; original: string }> {
  const bytes = join(s.toManager);
  const r = reader(bytes, "random");
  let ours = "";
  for (;;) {
    const line = await r.readLine();
    if (line === null) break;
    const m = parseWorkerMessage(line);
    if (m) {
      ours += encodeWorkerMessage(m);
      continue;
    }
    if (line.startsWith("result ") || line === "end") {
      const l = parseResultsReplyLine(line);
      ours += encodeResultsReplyLine(l);
      if (l.kind === "result") ours += decoder.decode(await r.readExact(l.stdoutLength));
      continue;
    }
    const e = parseGetReplyEntry(line);
    ours += encodeGetReplyEntry(e);
    if (e.kind === "file" || e.kind === "symlink") {
      ours += decoder.decode(await r.readExact(e.length));
    }
  }
  return { ours, original: decoder.decode(bytes) };
}

Deno.test("every worker stream of the traces parses with the manager's grammar and re-encodes byte for byte", async () => {
  let n = 0;
  for (const s of sessions) {
    if (s.toManager.length === 0) continue;
    const { ours, original } = await reencodeToManager(s);
    assert.equal(ours, original, s.name);
    n++;
  }
  assert.ok(n >= 5, `only ${n} worker streams`);
});
