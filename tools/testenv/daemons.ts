/**
 * Daemons of the test environment (SLURM's and Grid Engine's), started as
 * plain background processes in sessions of their own, with their pids
 * recorded in a state directory, so that a later run finds them running and
 * stops exactly them, never a process picked by name.
 *
 * @module
 */

import { PROC_MARK, RUN_MARK } from "./procs.ts";

/** A started daemon: its pid and the name its process has (`/proc/PID/comm`). */
interface Record {
  pid: number;
  comm: string;
}

/** Options for {@linkcode Daemons.start}. */
export interface StartOptions {
  /** The name the running process has (`/proc/PID/comm`, at most 15 characters). */
  comm: string;
  /** Extra environment variables. */
  env?: { [name: string]: string };
}

/** The daemons recorded in one state directory. */
export class Daemons {
  /** The state directory: `pids.json` and one `NAME.out` per daemon. */
  readonly dir: string;

  /**
   * @param dir The state directory; made if missing.
   */
  constructor(dir: string) {
    this.dir = dir;
    Deno.mkdirSync(dir, { recursive: true });
  }

  #read(): { [name: string]: Record } {
    try {
      return JSON.parse(Deno.readTextFileSync(`${this.dir}/pids.json`));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return {};
      throw e;
    }
  }

  #write(records: { [name: string]: Record }): void {
    Deno.writeTextFileSync(`${this.dir}/pids.json.new`, JSON.stringify(records, null, 1));
    Deno.renameSync(`${this.dir}/pids.json.new`, `${this.dir}/pids.json`);
  }

  /**
   * The pid of a recorded daemon that still runs.
   *
   * @param name The daemon.
   * @returns Its pid, or undefined when it is not running.
   */
  pid(name: string): number | undefined {
    const r = this.#read()[name];
    return r !== undefined && isRunning(r.pid, r.comm) ? r.pid : undefined;
  }

  /** The names of the recorded daemons that still run. */
  names(): string[] {
    return Object.keys(this.#read()).filter((n) => this.pid(n) !== undefined);
  }

  /**
   * Starts `argv` in the background, in a session of its own, with no
   * terminal and no pipe of ours (so that it holds no CI pipe open), its
   * output appended to `NAME.out`, and records its pid. It must stay in the
   * foreground of its own process (a daemon's `-D` or `-F` option) so that
   * the recorded pid is the daemon's.
   *
   * @param name The daemon's name in the record.
   * @param argv The program and its arguments.
   * @param options See {@linkcode StartOptions}.
   * @returns Its pid, once the process runs the program (or has exited).
   */
  async start(name: string, argv: string[], options: StartOptions): Promise<number> {
    const child = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        'log=$1; shift; exec "$@" </dev/null >>"$log" 2>&1',
        "sh",
        this.log(name),
        ...argv,
      ],
      // Without the marks of a test run (tools/testenv/procs.ts): a
      // daemon belongs to the machine, not to the run that started it.
      env: { ...withoutMarks(Deno.env.toObject()), ...options.env },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true,
    }).spawn();
    child.unref();
    let exited = false;
    child.status.then(() => exited = true, () => exited = true);
    this.#write({ ...this.#read(), [name]: { pid: child.pid, comm: options.comm } });
    // Until the shell has exec'd the program, the process is still named sh.
    const end = Date.now() + 5_000;
    while (!exited && !isRunning(child.pid, options.comm) && Date.now() < end) await sleep(10);
    return child.pid;
  }

  /**
   * Stops a recorded daemon: SIGTERM, then SIGKILL after `graceMs`.
   *
   * @param name The daemon.
   * @param graceMs How long it may take to stop on SIGTERM.
   * @returns Whether it was running.
   */
  async stop(name: string, graceMs = 10_000): Promise<boolean> {
    const records = this.#read();
    const r = records[name];
    let was = false;
    if (r !== undefined && isRunning(r.pid, r.comm)) {
      was = true;
      signal(r.pid, "SIGTERM");
      const end = Date.now() + graceMs;
      while (isRunning(r.pid, r.comm) && Date.now() < end) await sleep(100);
      if (isRunning(r.pid, r.comm)) signal(r.pid, "SIGKILL");
      while (isRunning(r.pid, r.comm)) await sleep(50);
    }
    const rest = this.#read();
    delete rest[name];
    this.#write(rest);
    return was;
  }

  /**
   * The log file of a daemon.
   *
   * @param name The daemon.
   * @returns Its path.
   */
  log(name: string): string {
    return `${this.dir}/${name.replaceAll("/", "_")}.out`;
  }

  /**
   * The last lines of a daemon's log, for error messages.
   *
   * @param name The daemon.
   * @returns Up to 10 lines.
   */
  tail(name: string): string {
    try {
      return Deno.readTextFileSync(this.log(name)).trimEnd().split("\n").slice(-10).join("\n");
    } catch {
      return "(no log)";
    }
  }
}

function withoutMarks(env: { [name: string]: string }): { [name: string]: string } {
  const rest = { ...env };
  delete rest[RUN_MARK];
  delete rest[PROC_MARK];
  return rest;
}

/**
 * Whether `pid` runs the program `comm` and is not a zombie. A pid alone is
 * not enough: pids are reused, and an exited daemon may stay a zombie for a
 * while before it is reaped.
 *
 * @param pid The pid.
 * @param comm The program's name as `/proc/PID/comm` has it.
 * @returns Whether it runs.
 */
export function isRunning(pid: number, comm: string): boolean {
  try {
    if (Deno.readTextFileSync(`/proc/${pid}/comm`).trim() !== comm.slice(0, 15)) return false;
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // it exited meanwhile
  }
}

/**
 * Waits for `ms` milliseconds.
 *
 * @param ms The time.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `check` every 200 ms until it returns true or `ms` passes.
 *
 * @param check The condition.
 * @param ms The limit.
 * @returns Whether it became true.
 */
export async function poll(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(200);
  }
  return await check();
}
