/**
 * The project's state file: where each chain is, and a record of every
 * returned workunit. It is rewritten (temporary file, then rename) after each
 * result, so a master that dies loses at most the workunits in flight.
 *
 * @module
 */

import { type Project, readJsonFile } from "./project.ts";

/** One returned workunit, as in the CSV. */
export interface WorkunitRecord {
  chain: string;
  /** The chunk number (1 for the first). */
  chunk: number;
  /** Which run of the master received it (1, then 2 after a restart, ...). */
  run: number;
  taskId: number;
  /** The worker's address (`ip:port`). */
  worker: string;
  /** The host name the worker reported. */
  hostname: string;
  /** The command's run time on the worker, in seconds. */
  execSeconds: number;
  /** From submit to result, in seconds. */
  turnaroundSeconds: number;
  /** Infrastructure failures before it succeeded (a lost worker, ...). */
  attempts: number;
  energy: number;
  /** When the result came back (ISO time). */
  finished: string;
}

/** The whole state of a project. */
export interface State {
  version: 1;
  /** The project it was made for; a restart must use the same. */
  project: Project;
  /** Chunks finished per chain id. */
  done: Record<string, number>;
  records: WorkunitRecord[];
  /** Tasks dispatched to workers (retries count again), over all runs, as of the last save. */
  dispatched: number;
  /** Workunits that came back failed and were resubmitted, over all runs. */
  failures: number;
  /** Runs of the master so far, this one included. */
  runs: number;
}

/**
 * A new state for a project: every chain at chunk 0.
 *
 * @param project The project.
 * @param chainIds Its chains.
 * @returns The state.
 */
export function newState(project: Project, chainIds: string[]): State {
  return {
    version: 1,
    project,
    done: Object.fromEntries(chainIds.map((id) => [id, 0])),
    records: [],
    dispatched: 0,
    failures: 0,
    runs: 0,
  };
}

/**
 * Reads the state file, or returns `null` if there is none.
 *
 * @param path The state file.
 * @param project The project it must belong to.
 * @returns The state, or `null`.
 * @throws Error naming the file when it is unreadable or made for another project.
 */
export async function loadState(path: string, project: Project): Promise<State | null> {
  const s = await readJsonFile("state file", path, true) as State | undefined;
  if (s === undefined) return null;
  if (s?.version !== 1 || typeof s.done !== "object" || !Array.isArray(s.records)) {
    throw new TypeError(`Cannot resume from state file '${path}': it is not a version 1 state`);
  }
  if (JSON.stringify(s.project) !== JSON.stringify(project)) {
    throw new Error(
      `Cannot resume from state file '${path}': it was made for another project (${
        JSON.stringify(s.project)
      }); use another --dir or remove it`,
    );
  }
  return s;
}

/**
 * Writes the state atomically: to `PATH.tmp`, then renamed over `PATH`.
 *
 * @param path The state file.
 * @param state The state.
 */
export async function saveState(path: string, state: State): Promise<void> {
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(state, null, 1) + "\n");
  await Deno.rename(tmp, path);
}
