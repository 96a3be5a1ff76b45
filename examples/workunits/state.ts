/**
 * The project's state, kept on disk so that a master that dies loses at most
 * the workunits in flight.
 *
 * Two files: `state.json` (where each chain is, and counters) is rewritten
 * after each result, to a temporary file renamed over the old one; the
 * record of every returned workunit is appended to `state.records.jsonl`
 * just before, one JSON line each. `state.json` says how many records count,
 * so a record appended by a master that died before renaming is dropped on
 * restart (its chunk runs again), as is a half-written line. Each save thus
 * writes a few bytes per chain plus one line, however many workunits
 * returned before: the paper's 280,000 tasks would not rewrite a growing file.
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
  /** The project it was made for; a restart must use the same. */
  project: Project;
  /** Chunks finished per chain id. */
  done: Record<string, number>;
  /** Every returned workunit, in order (kept in the records file). */
  records: WorkunitRecord[];
  /** Tasks dispatched to workers (retries count again), over all runs, as of the last save. */
  dispatched: number;
  /** Workunits that came back failed and were resubmitted, over all runs. */
  failures: number;
  /** Runs of the master so far, this one included. */
  runs: number;
  /** Per chain id, the attempt of its current chunk (its task's key ends with it). */
  tries: Record<string, number>;
}

/** What `state.json` holds: the state without its records, and how many there are. */
interface StateJson extends Omit<State, "records"> {
  version: 1;
  received: number;
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
    project,
    done: Object.fromEntries(chainIds.map((id) => [id, 0])),
    records: [],
    dispatched: 0,
    failures: 0,
    runs: 0,
    tries: {},
  };
}

/** The state file and its records file, written as the project goes. */
export class StateFile {
  /** The state file (`state.json`). */
  readonly path: string;
  /** The records file beside it (`state.records.jsonl`). */
  readonly recordsPath: string;
  #saved = 0;

  /** @param path The state file. */
  constructor(path: string) {
    this.path = path;
    this.recordsPath = `${path.replace(/\.json$/, "")}.records.jsonl`;
  }

  /**
   * Reads the state, or returns `null` if there is none yet.
   *
   * @param project The project the state must belong to.
   * @returns The state, or `null`.
   * @throws Error naming the file when it is unreadable or made for another project.
   */
  async load(project: Project): Promise<State | null> {
    const s = await readJsonFile("state file", this.path, true) as StateJson | undefined;
    if (s === undefined) {
      // A fresh start: no records yet, whatever an older run left.
      await Deno.remove(this.recordsPath).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
      return null;
    }
    if (s?.version !== 1 || typeof s.done !== "object" || !Number.isInteger(s.received)) {
      throw new TypeError(
        `Cannot resume from state file '${this.path}': it is not a version 1 state`,
      );
    }
    if (JSON.stringify(s.project) !== JSON.stringify(project)) {
      throw new Error(
        `Cannot resume from state file '${this.path}': it was made for another project (${
          JSON.stringify(s.project)
        }); use another --dir or remove it`,
      );
    }
    const text = s.received === 0 ? "" : await Deno.readTextFile(this.recordsPath).catch((e) => {
      throw new Error(`Cannot read records file '${this.recordsPath}': ${e.message}`);
    });
    const lines = text.split("\n").slice(0, s.received);
    if (lines.length < s.received || lines.some((l) => l === "")) {
      throw new Error(
        `Cannot resume from state file '${this.path}': it counts ${s.received} records but '${this.recordsPath}' has ${lines.length}`,
      );
    }
    const records = lines.map((l) => JSON.parse(l) as WorkunitRecord);
    // Drop what a dying master appended after its last save.
    await this.#replace(this.recordsPath, lines.map((l) => l + "\n").join(""));
    this.#saved = records.length;
    const { version: _v, received: _r, ...rest } = s;
    return { ...rest, tries: rest.tries ?? {}, records };
  }

  /**
   * Saves the state: appends the records not yet written, then replaces the
   * state file.
   *
   * @param state The state.
   */
  async save(state: State): Promise<void> {
    const fresh = state.records.slice(this.#saved);
    if (fresh.length > 0) {
      const lines = fresh.map((r) => JSON.stringify(r) + "\n").join("");
      await Deno.writeTextFile(this.recordsPath, lines, { append: true });
    }
    const { records, ...rest } = state;
    const json: StateJson = { version: 1, ...rest, received: records.length };
    await this.#replace(this.path, JSON.stringify(json, null, 1) + "\n");
    this.#saved = records.length;
  }

  /** Writes a file whole, or not at all: a temporary file renamed over it. */
  async #replace(path: string, text: string): Promise<void> {
    const tmp = `${path}.tmp`;
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, path);
  }
}
