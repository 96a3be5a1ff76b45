/**
 * The programs this project ships, with the Deno permissions each one gets.
 * Defined once: `deno task compile` builds binaries with these flags, and the
 * tests and the demo run the same entrypoints with `deno run` and the same
 * flags, so the permission set is exercised even where no binary is built.
 *
 * @module
 */

/** One shipped program. */
export interface Entrypoint {
  /** The script, relative to the repository root. */
  main: string;
  /** The compiled binary's name under `dist/`. */
  binary: string;
  /** Deno permission flags. */
  permissions: string[];
}

/** Every shipped program by short name. */
export const ENTRYPOINTS: Record<"worker" | "catalog" | "status", Entrypoint> = {
  worker: {
    main: "worker/main.ts",
    binary: "wq-worker",
    // The worker reads and writes its workspace and the files it caches,
    // dials its manager, runs /bin/sh for tasks, reads HOME/TMPDIR and the
    // machine's size (cores, memory, disk).
    permissions: [
      "--allow-read",
      "--allow-write",
      "--allow-net",
      "--allow-run",
      "--allow-env",
      "--allow-sys",
    ],
  },
  catalog: {
    main: "catalog/main.ts",
    binary: "wq-catalog",
    // The catalog only listens (TCP and UDP) and answers: it reads no file,
    // no environment variable and runs nothing. node:dgram and node:zlib need
    // no other permission.
    permissions: ["--allow-net"],
  },
  status: {
    main: "catalog/status.ts",
    binary: "wq-status",
    // The status tool connects to a catalog or a manager; it reads only the
    // two variables that name the default catalog.
    permissions: ["--allow-net", "--allow-env=CATALOG_HOST,CATALOG_PORT"],
  },
};

/** The repository root, as a path. */
export const ROOT: string = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * The command line that runs an entrypoint from source: `deno run FLAGS MAIN`.
 *
 * @param name The program.
 * @returns argv, starting with the Deno executable.
 */
export function denoRunArgs(name: keyof typeof ENTRYPOINTS): string[] {
  const e = ENTRYPOINTS[name];
  return [Deno.execPath(), "run", "--quiet", ...e.permissions, `${ROOT}/${e.main}`];
}
