/**
 * A dry run of what our worker would do with a manager stream, used to keep
 * the fuzzer safe: the worker runs task commands with a real shell, so a
 * mutated stream may only reach the real worker if every command and
 * environment entry it would run is one recorded in the traces, and every
 * symbolic link it would make points into a directory that does not exist.
 *
 * It mirrors `lib/worker/session.ts`'s framing with the worker's own
 * parsers (`lib/wire/`), and it stops only where the worker surely stops (a
 * parse error), so it sees at least every command the worker would run.
 *
 * @module
 */

import { type ByteSource, LineReader } from "../lib/wire/line_reader.ts";
import { parseCommand } from "../lib/wire/commands.ts";
import { parseUploadEntry } from "../lib/wire/files.ts";
import { MAX_LINE } from "../lib/wire/protocol.ts";
import { readTaskBlock } from "../lib/wire/task_block.ts";
import { isRefusal } from "./checks.ts";
import { TRAP_DIR } from "./mutate.ts";

/** What the worker would act on. */
export interface WorkerPlan {
  /** Shell commands of the tasks it would start. */
  commands: string[];
  /** Environment entries of those tasks. */
  env: string[];
  /** Targets of the symbolic links it would make. */
  links: string[];
}

function bytesSource(bytes: Uint8Array): ByteSource {
  let off = 0;
  return {
    read(p: Uint8Array) {
      if (off >= bytes.length) return Promise.resolve(null);
      const n = Math.min(p.length, bytes.length - off);
      p.set(bytes.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
  };
}

/**
 * Dry-runs a manager stream.
 *
 * @param bytes Everything the fake manager will send.
 * @returns The commands, environment entries and link targets met.
 */
export async function planOf(bytes: Uint8Array): Promise<WorkerPlan> {
  const plan: WorkerPlan = { commands: [], env: [], links: [] };
  const r = new LineReader(bytesSource(bytes), { maxLine: MAX_LINE, bufferSize: 1 << 20 });
  try {
    for (;;) {
      const line = await r.readLine();
      if (line === null) break;
      const c = parseCommand(line);
      switch (c.kind) {
        case "task": {
          const spec = await readTaskBlock(r, c.id);
          plan.commands.push(spec.command);
          for (const [k, v] of spec.env) plan.env.push(v === undefined ? k : `${k}=${v}`);
          break;
        }
        case "put":
        case "url":
          await r.copyTo(c.length, null);
          break;
        case "dir":
          if (!(await dirStream(r, plan, 1))) return plan;
          break;
        case "release":
        case "exit":
        case "auth":
          return plan;
        default:
          break;
      }
    }
  } catch (e) {
    if (!isRefusal(e)) throw e;
  }
  return plan;
}

/** The nested part of a `dir` upload; false where the worker would stop. */
async function dirStream(r: LineReader, plan: WorkerPlan, depth: number): Promise<boolean> {
  if (depth > 64) return false;
  for (;;) {
    const line = await r.readLine();
    if (line === null) return false;
    const e = parseUploadEntry(line);
    if (e === undefined) return false;
    switch (e.kind) {
      case "end":
        return true;
      case "put":
        await r.copyTo(e.length, null);
        break;
      case "symlink":
        plan.links.push(new TextDecoder().decode(await r.readExact(e.length, 4096)));
        break;
      case "dir":
        if (!(await dirStream(r, plan, depth + 1))) return false;
        break;
    }
  }
}

/**
 * Why a plan is unsafe to hand to a real worker, or `undefined`.
 *
 * @param plan From {@linkcode planOf}.
 * @param commands The commands allowed (those of the traces).
 * @param env The environment entries allowed.
 * @returns A reason, or `undefined`.
 */
export function unsafePlan(
  plan: WorkerPlan,
  commands: ReadonlySet<string>,
  env: ReadonlySet<string>,
): string | undefined {
  const cmd = plan.commands.find((c) => !commands.has(c));
  if (cmd !== undefined) return `command ${JSON.stringify(cmd.slice(0, 80))} is not a recorded one`;
  const e = plan.env.find((x) => !env.has(x));
  if (e !== undefined) return `environment entry ${JSON.stringify(e.slice(0, 80))} is not recorded`;
  const l = plan.links.find((t) => !t.startsWith(`${TRAP_DIR}/`));
  if (l !== undefined) return `symlink target ${JSON.stringify(l.slice(0, 80))} is not in the trap`;
  return undefined;
}
