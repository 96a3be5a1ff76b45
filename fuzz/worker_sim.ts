/**
 * A dry run of what our worker would do with a manager stream, used to keep
 * the fuzzer safe: the worker runs task commands with a real shell, so a
 * mutated stream may only reach the real worker if every command and
 * environment entry it would run is one recorded in the traces, and every
 * symbolic link it would make points into a directory that does not exist.
 *
 * It mirrors `lib/worker/session.ts`'s framing with the worker's own
 * parsers, and it stops only where the worker surely stops (a parse error),
 * so it sees at least every command the worker would run.
 *
 * @module
 */

import { type ByteSource, LineReader } from "../lib/wire/line_reader.ts";
import { MAX_LINE, parseIntField } from "../lib/wire/protocol.ts";
import { parseMode } from "../lib/worker/receive_files.ts";
import { readTaskSpec } from "../lib/worker/task_spec.ts";
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
      const w = line.split(" ");
      switch (w[0]) {
        case "task": {
          const spec = await readTaskSpec(r, parseIntField(w[1], "task id", line));
          plan.commands.push(spec.command);
          for (const [k, v] of spec.env) plan.env.push(v === undefined ? k : `${k}=${v}`);
          break;
        }
        case "put": {
          const n = parseIntField(w[2], "length", line);
          if (n < 0) return plan;
          parseMode(w[3], line);
          await r.copyTo(n, null);
          break;
        }
        case "dir":
          if (!(await dirStream(r, plan, 1))) return plan;
          break;
        case "url":
          await r.copyTo(parseIntField(w[2], "url length", line), null);
          break;
        case "kill":
          parseIntField(w[1], "task id", line);
          break;
        case "release":
        case "exit":
        case "auth":
          return plan;
        case "get":
        case "send_results":
        case "unlink":
        case "check":
        case "thirdput":
        case "invalidate-file":
        case "tlq":
        case "thirdget":
          break;
        default:
          return plan;
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
    const w = line.split(" ");
    if (w[0] === "end") return true;
    if (w[0] === "put") {
      const n = parseIntField(w[2], "length", line);
      if (n < 0) return false;
      parseMode(w[3], line);
      await r.copyTo(n, null);
    } else if (w[0] === "symlink") {
      const n = parseIntField(w[2], "length", line);
      plan.links.push(new TextDecoder().decode(await r.readExact(n, 4096)));
    } else if (w[0] === "dir") {
      if (!(await dirStream(r, plan, depth + 1))) return false;
    } else {
      return false;
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
