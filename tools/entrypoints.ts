/**
 * The programs this project ships, with the Deno permissions each one gets.
 * Defined once: `deno task compile` builds binaries with these flags, and the
 * tests and the demo run the same entrypoints with `deno run` and the same
 * flags, so the permission set is exercised even where no binary is built.
 * `deno task worker` (and `catalog`, `status`, `submit`, `pool`, `run`) in
 * deno.json repeat the flags as {@linkcode taskCommand} gives them; a test
 * keeps the two in step.
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
export const ENTRYPOINTS: Record<
  "worker" | "catalog" | "status" | "submit" | "pool" | "run",
  Entrypoint
> = {
  worker: {
    main: "worker/main.ts",
    binary: "wq-worker",
    // The worker reads and writes only its workspace: Deno fixes these paths
    // when the binary is built, while `-s DIR` is chosen at run time, so the
    // grant is the system temporary directory (the default workspace) and
    // the directory the worker starts in (a relative path in a flag is
    // resolved against the working directory at start-up). A batch job that
    // `cd`s into its scratch directory therefore works with `-s .` or no
    // `-s` under /tmp; a workspace elsewhere needs `deno run` with wider
    // flags. It also reads /proc/driver/nvidia/gpus, to count the GPUs it
    // offers. It dials its manager, runs /bin/sh for tasks, reads the
    // environment it passes to tasks and the machine's size. FFI calls glibc's
    // posix_spawn, which starts a task in its own session with one exec
    // (lib/worker/libc_spawn.ts); --allow-run already grants as much.
    permissions: [
      "--allow-read=/tmp,.,/proc/driver/nvidia/gpus",
      "--allow-write=/tmp,.",
      "--allow-net",
      "--allow-run",
      "--allow-env",
      "--allow-sys",
      "--allow-ffi",
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
    // two variables that name the default catalog, and the files given to
    // --password and --ssl-ca (anywhere, so reading is not narrowed).
    permissions: ["--allow-net", "--allow-env=CATALOG_HOST,CATALOG_PORT", "--allow-read"],
  },
  submit: {
    main: "worker/submit.ts",
    binary: "wq-submit-workers",
    // Writes job descriptions under its submit directory (the temporary
    // directory or the working directory), runs sbatch/qsub/..., reads the
    // environment (USER, catalog variables) and, for -M, asks a catalog.
    permissions: [
      "--allow-read",
      "--allow-write=/tmp,.",
      "--allow-run",
      "--allow-env",
      "--allow-net",
    ],
  },
  pool: {
    main: "worker/pool.ts",
    binary: "wq-pool",
    // Like the submitter, plus it runs workers locally and watches them.
    permissions: [
      "--allow-read",
      "--allow-write=/tmp,.",
      "--allow-run",
      "--allow-env",
      "--allow-net",
    ],
  },
  run: {
    main: "run/main.ts",
    binary: "wq-run",
    // Reads the task file and the tasks' input files, and writes their
    // output files and the results file, wherever the task file says (so
    // neither is narrowed). Listens for workers and advertises to a catalog;
    // runs local workers (--workers); reads only the variables that name the
    // catalog and its protocol, and USER for the manager's status record;
    // asks the host name for the line that tells where workers connect.
    permissions: [
      "--allow-read",
      "--allow-write",
      "--allow-net",
      "--allow-run",
      "--allow-env=CATALOG_HOST,CATALOG_PORT,CATALOG_UPDATE_PROTOCOL,USER",
      "--allow-sys=hostname",
    ],
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

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The worker that the programs which start workers (`wq-submit-workers`,
 * `wq-pool`, `wq-run --workers`) run by default: `wq-worker` beside this program when it is a
 * compiled binary, else `dist/wq-worker` if built, else
 * `deno run FLAGS worker/main.ts` with the worker's flags.
 *
 * @returns argv of the worker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.ok(defaultWorkerCommand().at(-1)!.endsWith("wq-worker") ||
 *   defaultWorkerCommand().at(-1)!.endsWith("worker/main.ts"));
 * ```
 */
export function defaultWorkerCommand(): string[] {
  const exe = Deno.execPath();
  const dir = exe.slice(0, exe.lastIndexOf("/"));
  const base = exe.slice(exe.lastIndexOf("/") + 1);
  if (base !== "deno" && isFile(`${dir}/${ENTRYPOINTS.worker.binary}`)) {
    return [`${dir}/${ENTRYPOINTS.worker.binary}`];
  }
  const built = `${ROOT}/dist/${ENTRYPOINTS.worker.binary}`;
  if (isFile(built)) return [built];
  return denoRunArgs("worker");
}

/**
 * The command of the `deno task NAME` that runs an entrypoint from source,
 * as deno.json must spell it: `deno run FLAGS MAIN`, with MAIN relative to
 * the repository root (where `deno task` runs). Arguments after the task
 * name are appended to it.
 *
 * @param name The program.
 * @returns The task's command line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(taskCommand("catalog"), "deno run --allow-net catalog/main.ts");
 * ```
 */
export function taskCommand(name: keyof typeof ENTRYPOINTS): string {
  const e = ENTRYPOINTS[name];
  return ["deno", "run", ...e.permissions, e.main].join(" ");
}
