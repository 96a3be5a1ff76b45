/**
 * The manager's commands that queue an input the worker makes itself, and
 * the protocol-11 answers once it is made: protocol 9's `url` (its body is
 * the URL) and `thirdget`, protocol 11's `puturl` and `putcmd`; then
 * `cache-update` or `cache-invalid`.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { Command } from "../wire/commands.ts";
import type { LineReader } from "../wire/line_reader.ts";
import { clip, FLAG_CACHE } from "../wire/protocol.ts";
import { encodeCacheInvalid, encodeWorkerMessage } from "../wire/worker_messages.ts";
import type { MadeInputs, MadeOutcome, MadeSource } from "./made_inputs.ts";
import type { Workspace } from "./workspace.ts";

/** A command that queues a made input. */
export type MadeInputCommand = Extract<Command, { kind: "url" | "thirdget" | "puturl" | "putcmd" }>;

/** What {@linkcode queueMadeInput} works with. */
export interface QueueMadeInputContext {
  /** The connection (a `url` body is read from it). */
  reader: LineReader;
  /** The queue. */
  made: MadeInputs;
  /** The workspace, whose cache may hold the input already. */
  workspace: Workspace;
  /** Debug log. */
  log: (message: string) => void;
}

/** `thirdget` modes: 1 a command, 2 a copy, 3 a symbolic link. */
const THIRDGET_KINDS = { 1: "command", 2: "copy", 3: "symlink" } as const;

/**
 * Queues the input a command names (reading the body of a `url`).
 *
 * @param c The command.
 * @param ctx Reader, queue, workspace and log.
 * @throws {ProtocolError} For a `thirdget` of an unknown mode.
 */
export async function queueMadeInput(
  c: MadeInputCommand,
  ctx: QueueMadeInputContext,
): Promise<void> {
  let source: MadeSource;
  let mode = 0o777;
  switch (c.kind) {
    case "url": {
      const url = new TextDecoder().decode(await ctx.reader.readExact(c.length)).trim();
      // Debian's manager sends a cached URL again with each task: keep what is cached.
      if ((c.flags & FLAG_CACHE) !== 0 && !ctx.made.queued(c.name) && inCache(ctx, c.name)) {
        ctx.log(`${c.name} is cached already: not fetching ${clip(url)} again`);
        return;
      }
      source = { kind: "url", url };
      mode = c.mode;
      break;
    }
    case "puturl":
      source = { kind: "url", url: c.url };
      mode = c.mode;
      break;
    case "putcmd":
      source = { kind: "command", command: c.command };
      mode = c.mode;
      break;
    case "thirdget": {
      const kind = (THIRDGET_KINDS as Record<number, MadeSource["kind"]>)[c.mode];
      if (kind === undefined) {
        throw new ProtocolError(`Cannot handle 'thirdget ${c.mode}': unknown mode ${c.mode}`);
      }
      source = kind === "command"
        ? { kind, command: c.path }
        : { kind, path: c.path } as MadeSource;
      break;
    }
  }
  ctx.made.queue(c.name, source, mode);
}

/**
 * The protocol-11 answer to an input made or failed.
 *
 * @param name The cache name.
 * @param outcome How making it ended.
 * @returns `cache-update <name> <size> <usec>`, or `cache-invalid <name> <len>` and the text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeMadeOutcome("url-0-ab", { ok: true, size: 17, usec: 300 }), "cache-update url-0-ab 17 300\n");
 * ```
 */
export function encodeMadeOutcome(name: string, outcome: MadeOutcome): string {
  return outcome.ok
    ? encodeWorkerMessage({
      kind: "cache_update",
      name,
      size: outcome.size,
      transferUsec: outcome.usec,
    })
    : encodeCacheInvalid(name, outcome.text);
}

/** Whether the cache holds an entry of this name. */
function inCache(ctx: QueueMadeInputContext, name: string): boolean {
  try {
    Deno.lstatSync(ctx.workspace.cachePath(name));
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
