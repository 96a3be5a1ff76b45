/**
 * In-process fuzzing of the parsers, thousands of cases a second: the line
 * reader, the worker's task block and uploads, the manager's connection
 * (results and output entries, written to disk) and the pure codecs.
 *
 * @module
 */

import { resolve } from "node:path";
import { FrameWriter } from "../lib/wire/frame_writer.ts";
import { type ByteSource, LineReader } from "../lib/wire/line_reader.ts";
import { parseCommand } from "../lib/wire/commands.ts";
import {
  cacheNameProblem,
  clip,
  MAX_LINE,
  parseIntField,
  parseMode,
  remoteNameProblem,
  urlDecode,
  urlEncode,
} from "../lib/wire/protocol.ts";
import { readTaskBlock } from "../lib/wire/task_block.ts";
import { parseOutputEntry } from "../lib/manager/output_entry.ts";
import { type ConnHost, WorkerConn } from "../lib/manager/worker_conn.ts";
import { WorkerInfo } from "../lib/manager/worker_info.ts";
import { Task } from "../lib/task.ts";
import { receiveDir, receivePut } from "../lib/worker/receive_files.ts";
import { Workspace } from "../lib/worker/workspace.ts";
import { describeError, inside, isRefusal } from "./checks.ts";
import { join, type Session } from "./corpus.ts";
import { type Direction, frames, latin1, lengthFieldOf } from "./frames.ts";
import { headersOf, mutate } from "./mutate.ts";
import type { Rng } from "./rng.ts";

/** The sub-targets, by name. */
export const PARSER_KINDS = ["reader", "task_spec", "manager_conn", "uploads", "codecs"] as const;
/** One sub-target. */
export type ParserKind = typeof PARSER_KINDS[number];

/** What one in-process case found (nothing, normally). */
export interface ParserOutcome {
  kind: ParserKind;
  /** Why it is a finding. */
  finding?: string;
  /** Mutations applied. */
  ops: string[];
}

/** A byte source over fixed bytes, handing them out in random pieces. */
function source(rng: Rng, bytes: Uint8Array): ByteSource {
  let off = 0;
  return {
    read(p: Uint8Array): Promise<number | null> {
      if (off >= bytes.length) return Promise.resolve(null);
      const want = rng.chance(0.3) ? rng.range(1, 16) : rng.range(1, 65536);
      const n = Math.min(p.length, want, bytes.length - off);
      p.set(bytes.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
  };
}

const NULL_SINK = { write: (p: Uint8Array) => Promise.resolve(p.length) };

/** Shared state of the in-process target: the corpus and a scratch directory. */
export class ParserTarget {
  readonly #sessions: Session[];
  readonly #foreign: Record<Direction, string[]>;
  readonly #root: string;
  #ws: Workspace | undefined;
  #case = 0;
  /** How often each kind of refusal or event happened (a rough coverage measure). */
  readonly events = new Map<string, number>();

  #note(what: string): void {
    this.events.set(what, (this.events.get(what) ?? 0) + 1);
  }

  #refused(kind: string, e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    this.#note(`${kind}: ${msg.replace(/'[^']*'/g, "'…'").replace(/\d+/g, "N").slice(0, 60)}`);
  }

  /**
   * @param sessions The corpus.
   * @param root A scratch directory for files the parsers write.
   */
  constructor(sessions: Session[], root: string) {
    this.#sessions = sessions;
    this.#root = root;
    this.#foreign = {
      toManager: headersOf(sessions.map((s) => s.toManager), "toManager"),
      toWorker: headersOf(sessions.map((s) => s.toWorker), "toWorker"),
    };
  }

  /** Where output files land (`root/out`). */
  get outDir(): string {
    return `${this.#root}/out`;
  }

  /** Where the worker's uploads land (`root/ws`). */
  get workDir(): string {
    return `${this.#root}/ws`;
  }

  /** A mutated (or, sometimes, purely random) stream in one direction. */
  #stream(rng: Rng, dir: Direction): { bytes: Uint8Array; ops: string[]; session?: Session } {
    if (rng.chance(0.08)) return { bytes: rng.bytes(rng.int(9000)), ops: ["random"] };
    const candidates = this.#sessions.filter((s) => s[dir].length > 0);
    const session = rng.pick(candidates);
    const m = mutate(rng, session[dir], { dir, foreign: this.#foreign[dir] });
    return { bytes: join(m.chunks), ops: m.ops, session };
  }

  /**
   * Runs one case.
   *
   * @param rng The case's generator.
   * @param kind Which parser (default: picked by `rng`).
   * @returns The outcome.
   */
  async run(rng: Rng, kind: ParserKind = rng.pick(PARSER_KINDS)): Promise<ParserOutcome> {
    this.#case++;
    const out: ParserOutcome = { kind, ops: [] };
    try {
      switch (kind) {
        case "reader":
          await this.#reader(rng, out);
          break;
        case "task_spec":
          await this.#taskSpec(rng, out);
          break;
        case "manager_conn":
          await this.#managerConn(rng, out);
          break;
        case "uploads":
          await this.#uploads(rng, out);
          break;
        case "codecs":
          this.#codecs(rng, out);
          break;
      }
    } catch (e) {
      out.finding ??= `unexpected error: ${describeError(e)}`;
    }
    return out;
  }

  async #reader(rng: Rng, out: ParserOutcome): Promise<void> {
    const dir: Direction = rng.chance(0.5) ? "toManager" : "toWorker";
    const s = this.#stream(rng, dir);
    out.ops = s.ops;
    const r = new LineReader(source(rng, s.bytes), {
      maxLine: MAX_LINE,
      bufferSize: rng.pick([8192, 65536, 1 << 20]),
    });
    try {
      for (let i = 0; i < 100_000; i++) {
        const line = r.bufferedLine() ?? await r.readLine();
        if (line === null) return;
        if (line.length >= MAX_LINE) out.finding = `a line of ${line.length} chars got through`;
        const lf = lengthFieldOf(line, dir);
        if (lf === undefined) continue;
        const n = Number(line.split(" ")[lf]);
        if (rng.chance(0.5)) await r.readExact(n, 1 << 20);
        else await r.copyTo(n, NULL_SINK);
      }
      out.finding = "the reader did not reach the end of a finite stream";
    } catch (e) {
      if (!isRefusal(e)) throw e;
      this.#refused("reader", e);
    }
  }

  async #taskSpec(rng: Rng, out: ParserOutcome): Promise<void> {
    const s = this.#stream(rng, "toWorker");
    out.ops = s.ops;
    // Start just after a `task` line when there is one.
    const task = frames(s.bytes, "toWorker").find((f) => /^task /.test(f.header));
    const body = task ? s.bytes.subarray(task.bodyStart) : s.bytes;
    try {
      const spec = await readTaskBlock(new LineReader(source(rng, body)), 1, {
        maxCommand: 1 << 20,
      });
      const sandbox = "/sandbox/t.1";
      for (const f of [...spec.inputs, ...spec.outputs]) {
        if (!inside(resolve(sandbox, f.remoteName), sandbox) || remoteNameProblem(f.remoteName)) {
          out.finding = `task spec accepted unsafe remote name '${clip(f.remoteName)}'`;
        }
        if ("cachedName" in f && cacheNameProblem(f.cachedName)) {
          out.finding = `task spec accepted unsafe cache name '${clip(f.cachedName)}'`;
        }
      }
      this.#note("task_spec: accepted");
    } catch (e) {
      if (!isRefusal(e)) throw e;
      this.#refused("task_spec", e);
    }
  }

  /** The manager's connection code fed a mutated worker stream. */
  async #managerConn(rng: Rng, out: ParserOutcome): Promise<void> {
    const s = this.#stream(rng, "toManager");
    out.ops = s.ops;
    const outDir = `${this.outDir}/${this.#case}`;
    // Tasks as the recorded manager sent them: id → output cache names.
    const tasks = new Map<number, { task: Task; names: string[] }>();
    const paired = s.session ? join(s.session.toWorker) : new Uint8Array();
    let cur: { task: Task; names: string[] } | undefined;
    for (const f of frames(paired, "toWorker")) {
      const w = f.header.split(" ");
      if (w[0] === "task") {
        cur = { task: new Task("true"), names: [] };
        tasks.set(Number(w[1]), cur);
      } else if (w[0] === "outfile" && cur && w.length >= 3) {
        cur.task.specifyOutputFile(`${outDir}/${w[2]}`, w[2]);
        cur.names.push(w[1]);
      }
    }
    if (tasks.size === 0) {
      const t = new Task("true").specifyOutputFile(`${outDir}/out.txt`, "out.txt");
      tasks.set(1, { task: t, names: ["out"] });
    }
    const logs: string[] = [];
    const info = new WorkerInfo(1, "127.0.0.1:1");
    const host: ConnHost = {
      onWorkerUpdate: () => {},
      taskOn: (_w, id) => tasks.get(id)?.task,
      outputNames: (t) => [...tasks.values()].find((x) => x.task === t)?.names ?? [],
      onTaskResult: () => {},
      onTaskReceiving: () => {},
      onCacheUpdate: () => {},
      onCacheInvalid: () => {},
      log: (_level, m) => logs.push(m),
    };
    const reader = new LineReader(source(rng, s.bytes), { maxLine: MAX_LINE });
    const writer = new FrameWriter(NULL_SINK);
    const conn = new WorkerConn(info, { reader, writer }, host, {
      maxStdout: rng.pick([0, 10, 1 << 20]),
    });
    try {
      const first = await reader.readLine();
      if (first !== null) await conn.run(first);
      this.#note("manager_conn: clean end");
    } catch (e) {
      if (!isRefusal(e)) throw e;
      this.#refused("manager_conn", e);
    } finally {
      await writer.flushed().catch(() => {});
    }
    for (const l of logs) this.#refused("manager_conn log", new Error(l));
    const bad = logs.find((l) => /\n|Uncaught|TypeError/.test(l));
    if (bad) out.finding = `unclear log line: ${clip(bad, 200)}`;
    const stray = await strays(outDir);
    if (stray.length) out.finding = `left behind in the output directory: ${stray.join(", ")}`;
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
  }

  /** The worker's `put`/`dir`/`task` handling fed a mutated manager stream. */
  async #uploads(rng: Rng, out: ParserOutcome): Promise<void> {
    const s = this.#stream(rng, "toWorker");
    out.ops = s.ops;
    this.#ws ??= await Workspace.create(this.workDir);
    const ws = this.#ws;
    await ws.prepare();
    const r = new LineReader(source(rng, s.bytes), { maxLine: MAX_LINE, bufferSize: 1 << 20 });
    try {
      for (;;) {
        const line = await r.readLine();
        if (line === null) break;
        // Other lines are skipped here (the worker would stop at an unknown one).
        if (!/^(put|dir|task|url)( |$)/.test(line)) continue;
        const c = parseCommand(line);
        if (c.kind === "put") await receivePut(r, c, { workspace: ws });
        else if (c.kind === "dir") await receiveDir(r, c, { workspace: ws });
        else if (c.kind === "task") await readTaskBlock(r, c.id);
        else if (c.kind === "url") await r.copyTo(c.length, null);
      }
      this.#note("uploads: clean end");
    } catch (e) {
      if (!isRefusal(e) && !isOsError(e)) throw e;
      this.#refused("uploads", e);
    }
    for await (const e of Deno.readDir(ws.transferDir)) {
      out.finding = `an upload was left in transfer/: ${e.name}`;
    }
    await ws.remove();
  }

  #codecs(rng: Rng, out: ParserOutcome): void {
    const alphabet = [
      "a",
      "/",
      ".",
      "..",
      "%",
      "%2e",
      "%2F",
      "%00",
      "\0",
      " ",
      "\n",
      "é",
      "~",
      "-",
    ];
    let s = "";
    for (let i = rng.int(12); i > 0; i--) {
      s += rng.chance(0.2) ? String.fromCharCode(rng.int(0x300)) : rng.pick(alphabet);
    }
    out.ops = [JSON.stringify(s)];
    const decoded = urlDecode(s);
    if (!s.includes("%") && decoded !== s) out.finding = "urlDecode changed a name without %";
    if (!/[\ud800-\udfff]/.test(s) && urlDecode(urlEncode(s)) !== s) {
      out.finding = `urlEncode/urlDecode do not round-trip '${clip(s)}'`;
    }
    for (const name of [s, decoded]) {
      if (remoteNameProblem(name) === undefined) {
        if (!inside(resolve("/sb", name), "/sb") || resolve("/sb", name) === "/sb") {
          out.finding = `remoteNameProblem passed '${clip(name)}', which leaves the sandbox`;
        }
      }
      if (cacheNameProblem(name) === undefined && (name.includes("/") || name === "..")) {
        out.finding = `cacheNameProblem passed '${clip(name)}'`;
      }
      const e = tryParse(() => parseOutputEntry(`file req/${name} 3`, "req"));
      if (e && e.kind === "file") {
        if (!inside(resolve("/o", e.rel), "/o")) out.finding = `output entry escapes: '${name}'`;
      } else if (e && e.kind !== "refused") out.finding = `odd entry kind ${e.kind}`;
      tryParse(() => parseIntField(name, "n", name));
      tryParse(() => parseMode(name, name));
    }
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x1f]/.test(clip(s))) out.finding = "clip() kept a control character";
  }
}

function tryParse<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (isRefusal(e)) return undefined;
    throw e;
  }
}

/**
 * A file-system error from the operating system (a name too long for it,
 * for instance): the worker logs it with the OS's message and disconnects.
 */
function isOsError(e: unknown): boolean {
  return Object.values(Deno.errors).some((c) => e instanceof c);
}

/** Temporary `.part` files left in a directory tree. */
async function strays(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.name.endsWith(".part")) out.push(e.name);
      if (e.isDirectory && !e.isSymlink) out.push(...await strays(`${dir}/${e.name}`));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

export { latin1 };
