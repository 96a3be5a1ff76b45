/**
 * `deno task compile`: builds every program in {@linkcode ENTRYPOINTS} into
 * `dist/` with `deno compile` and exactly the permission flags the tests use.
 *
 * `deno compile` needs the `denort` base runtime of this Deno version. It is
 * downloaded on first use into `$DENO_DIR/dl/`; on a machine that cannot
 * reach dl.deno.land, point `DENORT_BIN` at a `denort` binary of the same
 * version. Without either, this prints one line saying so and exits 1.
 *
 * Usage: deno run --allow-read --allow-write --allow-env --allow-run tools/compile.ts [NAME...]
 *
 * @module
 */

import { ENTRYPOINTS, ROOT } from "./entrypoints.ts";

/** Where `deno compile` caches the base runtime of this Deno version. */
export function denortCachePath(): string {
  const dir = Deno.env.get("DENO_DIR") ||
    `${Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME") ?? "/root"}/.cache`}/deno`;
  return `${dir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
}

/**
 * Why compiling cannot start, or `undefined` when it can: the base runtime
 * must be cached or named by `DENORT_BIN`.
 *
 * @returns The message to print.
 */
export function denortProblem(): string | undefined {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin) {
    try {
      Deno.statSync(bin);
      return undefined;
    } catch {
      return `Cannot compile: DENORT_BIN is '${bin}', which does not exist`;
    }
  }
  try {
    Deno.statSync(denortCachePath());
    return undefined;
  } catch {
    return `Cannot compile: deno compile needs the base runtime 'denort' ${Deno.version.deno}, ` +
      `which is not cached at '${denortCachePath()}' and DENORT_BIN is not set; ` +
      `run once where dl.deno.land is reachable, or set DENORT_BIN to a denort binary`;
  }
}

if (import.meta.main) {
  const names = (Deno.args.length > 0 ? Deno.args : Object.keys(ENTRYPOINTS)) as (
    keyof typeof ENTRYPOINTS
  )[];
  for (const n of names) {
    if (!(n in ENTRYPOINTS)) {
      console.error(`compile: Cannot compile '${n}': not one of ${Object.keys(ENTRYPOINTS)}`);
      Deno.exit(1);
    }
  }
  const problem = denortProblem();
  if (problem) {
    console.error(`compile: ${problem}`);
    Deno.exit(1);
  }
  await Deno.mkdir(`${ROOT}/dist`, { recursive: true });
  for (const n of names) {
    const e = ENTRYPOINTS[n];
    const out = `${ROOT}/dist/${e.binary}`;
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["compile", "--quiet", ...e.permissions, "--output", out, `${ROOT}/${e.main}`],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) {
      console.error(`compile: Cannot compile '${e.main}': deno compile exited with ${code}`);
      Deno.exit(1);
    }
    console.log(`compile: ${out}`);
  }
}
