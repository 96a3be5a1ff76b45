/**
 * The program a library process runs: `deno run <flags> host.ts <module>`,
 * started by the worker (`library_process.ts`) in the library's sandbox.
 *
 * It imports the module once, says `ready` (or `load-error <error>`) on
 * stdout, then reads one request per line on stdin (`<id> <function>
 * <directory or -> <arguments>`), runs each call as it arrives, with `this`
 * `{ dir }` (the call's own directory, when it has files), (the worker sends at most
 * `slots` at a time) and answers each with one line, `<id> <envelope>`,
 * whenever it ends. Module-level state lives as long as the process.
 * `console.log`, `info` and `debug` go to stderr, so that stdout carries
 * only these lines. End of stdin ends the process.
 *
 * @module
 */

import { callError } from "../../wire/function_call.ts";
import {
  encodeLibraryResponse,
  type LibraryRequest,
  parseLibraryRequest,
} from "../../wire/library_pipe.ts";
import { decodeValue, encodeValue } from "../../wire/function_value.ts";

const encoder = new TextEncoder();

/** Writes all of a line to stdout, synchronously, so that lines never interleave. */
function send(line: string): void {
  const bytes = encoder.encode(line);
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}

/** What a function gets as `this`: the call's own directory, if it has files. */
interface CallContext {
  dir: string | undefined;
}

async function call(mod: Record<string, unknown>, req: LibraryRequest): Promise<void> {
  const { id, fn: name, args } = req;
  let envelope: string;
  try {
    const fn = mod[name];
    if (typeof fn !== "function") {
      throw new TypeError(`Cannot call '${name}': the library's module exports no such function`);
    }
    const list = decodeValue(args);
    if (!Array.isArray(list)) {
      throw new TypeError(`Cannot call '${name}': arguments are not a list`);
    }
    const context: CallContext = { dir: req.dir && `${Deno.cwd()}/${req.dir}` };
    const value = await fn.apply(context, list);
    envelope = `{"value":${encodeValue(value, `the value of '${name}'`)}}`;
  } catch (e) {
    envelope = JSON.stringify({ error: callError(e) });
  }
  send(encodeLibraryResponse(id, envelope));
}

async function main(entry: string): Promise<void> {
  const c = console as unknown as Record<string, unknown>;
  c.log = c.info = c.debug = console.error;
  let mod: Record<string, unknown>;
  try {
    mod = await import(new URL(entry, `file://${Deno.cwd()}/`).href);
  } catch (e) {
    send(`load-error ${JSON.stringify(callError(e))}\n`);
    return;
  }
  send("ready\n");
  let buffered = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const req = parseLibraryRequest(line);
      if (req) call(mod, req);
    }
  }
}

if (import.meta.main) {
  await main(Deno.args[0]);
  Deno.exit(0);
}
