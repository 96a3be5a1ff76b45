/**
 * wq-status: lists the Work Queue managers a catalog knows, or asks one
 * manager for its queue, workers or tasks (protocol spec §6).
 *
 * Usage:
 *
 * ```sh
 * deno task status [-C HOST:PORT] [-M REGEX] [--json]
 * deno task status [-W|-T] [--json] [--password FILE] [--ssl] [--ssl-ca FILE] HOST PORT
 * ```
 *
 * `deno task status` runs, in the repository root,
 * `deno run --allow-net --allow-env=CATALOG_HOST,CATALOG_PORT --allow-read catalog/status.ts`.
 *
 * `--help` lists every option. Exit status: 0 on success, 1 for bad options
 * or when the catalog or manager cannot be reached (the message names it).
 *
 * @module
 */

import { runStatus } from "../lib/catalog/status_cli.ts";

export { runStatus };

function writeAllSync(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}

if (import.meta.main) {
  const code = await runStatus(Deno.args, {
    out: (t) => writeAllSync(Deno.stdout, t),
    err: (t) => writeAllSync(Deno.stderr, t),
  });
  Deno.exit(code);
}
