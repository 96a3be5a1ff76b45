/**
 * wq-catalog: a catalog server compatible with CCTools' `catalog_server`.
 *
 * Usage:
 *
 * ```sh
 * deno task catalog [-p 9097] [-I 0.0.0.0] [-l 900] [--max-update-bytes N]
 * deno run --allow-net catalog/main.ts [options]    # what the task runs
 * ```
 *
 * `--help` lists every option. Once listening it prints
 * `catalog listening on http ADDR:PORT udp PORT tcp-updates PORT+1`, then
 * serves until SIGINT or SIGTERM. Exit status: 0 after a signal, 1 for bad
 * options or when it cannot listen.
 *
 * @module
 */

import { CATALOG_USAGE, parseCatalogArgs } from "../lib/catalog/catalog_options.ts";
import { serveCatalog } from "../lib/catalog/server.ts";
import { errorMessage } from "../lib/errors.ts";

export { parseCatalogArgs, serveCatalog };
export type { CatalogServer, CatalogServerOptions, CatalogStats } from "../lib/catalog/server.ts";

if (import.meta.main) {
  let parsed;
  try {
    parsed = parseCatalogArgs(Deno.args);
  } catch (e) {
    console.error(`wq-catalog: ${errorMessage(e)} (see --help)`);
    Deno.exit(1);
  }
  if (parsed.action === "help") {
    console.log(CATALOG_USAGE);
    Deno.exit(0);
  }
  const ac = new AbortController();
  let server;
  try {
    server = await serveCatalog({
      ...parsed.options,
      signal: ac.signal,
      log: parsed.debug ? (m) => console.error(`wq-catalog: ${m}`) : undefined,
    });
  } catch (e) {
    const where = `${parsed.options.hostname}:${parsed.options.port}`;
    console.error(`wq-catalog: Cannot listen on ${where}: ${errorMessage(e)}`);
    Deno.exit(1);
  }
  console.log(
    `catalog listening on http ${server.hostname}:${server.port} udp ${server.port} tcp-updates ${server.updatePort}`,
  );
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => ac.abort());
  }
  const error = await server.closed();
  if (error) {
    console.error(`wq-catalog: stopped: ${error.message}`);
    Deno.exit(1);
  }
  Deno.exit(0);
}
