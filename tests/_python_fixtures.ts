/**
 * Helpers for tests that drive Debian's Python manager through a script in
 * `tests/fixtures/` that prints one JSON object per line
 * (`{"event": "port", "port": N}` first), and for the URL inputs it fetches.
 *
 * @module
 */

import { type Proc, PYTHON, ROOT, spawn, until } from "./_harness.ts";

/** One JSON line a fixture printed. */
// deno-lint-ignore no-explicit-any
export type Event = Record<string, any>;

/** The JSON lines in a fixture's output. */
export function events(log: string): Event[] {
  return log.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

/**
 * Runs `tests/fixtures/NAME` with Debian's Python (catalog on 127.0.0.1:1)
 * and waits for its `port` event.
 */
export async function startPythonFixture(
  name: string,
  args: string[],
): Promise<{ manager: Proc; port: number }> {
  const manager = spawn([PYTHON, `${ROOT}/tests/fixtures/${name}`, ...args], {
    env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "1" },
  });
  try {
    await until(() => events(manager.log()).some((e) => e.event === "port"), "the manager's port");
  } catch (e) {
    await manager[Symbol.asyncDispose]();
    throw e;
  }
  return { manager, port: events(manager.log()).find((e) => e.event === "port")!.port };
}

/**
 * An HTTP server on 127.0.0.1 for `python_made_inputs.py`: `/data.txt`
 * answers `served over http`, any other path 404; `hits` lists the paths
 * asked for, in order.
 */
export function dataServer(): Deno.HttpServer<Deno.NetAddr> & { hits: string[] } {
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    hits.push(path);
    return path === "/data.txt"
      ? new Response("served over http\n")
      : new Response("not found\n", { status: 404 });
  });
  return Object.assign(server, { hits });
}
