/**
 * The project file: conditions × replicates, each a chain of chunks.
 *
 * @module
 */

/** One simulated condition (here, a temperature). */
export interface Condition {
  /** A short name, used in chain names and file names: letters, digits, `.`, `_`, `-`. */
  name: string;
  /** The temperature, in units of the contact energy (> 0). */
  temperature: number;
}

/** A whole project, as declared in its JSON file. */
export interface Project {
  /** The project's name (same characters as a condition name). */
  name: string;
  conditions: Condition[];
  /** Independent runs per condition. */
  replicates: number;
  /** Chunks in each chain; chunk k starts from chunk k-1's checkpoint. */
  chunks: number;
  /** Monte Carlo steps per chunk. */
  steps: number;
  /** Beads in the toy protein. */
  beads: number;
}

/** One chain: a condition and a replicate. */
export interface Chain {
  /** `CONDITION-rREPLICATE`, e.g. `T0.5-r1`. */
  id: string;
  condition: Condition;
  /** Index of the condition in the project. */
  conditionIndex: number;
  replicate: number;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

function positiveInteger(file: string, what: string, v: unknown, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    throw new RangeError(
      `Cannot use project file '${file}': ${what} must be a whole number from 1 to ${max}, not ${
        JSON.stringify(v)
      }`,
    );
  }
  return v;
}

function validName(file: string, what: string, v: unknown): string {
  if (typeof v !== "string" || !NAME.test(v)) {
    throw new TypeError(
      `Cannot use project file '${file}': ${what} must be 1 to 64 letters, digits, '.', '_' or '-', not ${
        JSON.stringify(v)
      }`,
    );
  }
  return v;
}

/**
 * Checks a parsed project file and returns it as a {@linkcode Project}.
 *
 * @param file The file's path, for error messages.
 * @param raw The parsed JSON.
 * @returns The project.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProject } from "./project.ts";
 * const p = parseProject("p.json", {
 *   name: "toy", conditions: [{ name: "cold", temperature: 0.3 }],
 *   replicates: 2, chunks: 3, steps: 100, beads: 8,
 * });
 * assert.deepEqual(p.conditions, [{ name: "cold", temperature: 0.3 }]);
 * assert.equal(p.chunks, 3);
 * ```
 */
export function parseProject(file: string, raw: unknown): Project {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new TypeError(`Cannot use project file '${file}': it must hold a JSON object`);
  }
  const r = raw as Record<string, unknown>;
  const known = new Set([
    "name",
    "description",
    "conditions",
    "replicates",
    "chunks",
    "steps",
    "beads",
  ]);
  for (const k of Object.keys(r)) {
    if (!known.has(k)) {
      throw new TypeError(
        `Cannot use project file '${file}': unknown field '${k}' (known: ${[...known].join(", ")})`,
      );
    }
  }
  if (!Array.isArray(r.conditions) || r.conditions.length === 0) {
    throw new TypeError(
      `Cannot use project file '${file}': 'conditions' must be a non-empty array`,
    );
  }
  const seen = new Set<string>();
  const conditions = r.conditions.map((c: unknown, i: number): Condition => {
    const cc = (typeof c === "object" && c !== null ? c : {}) as Record<string, unknown>;
    const name = validName(file, `conditions[${i}].name`, cc.name);
    if (seen.has(name)) {
      throw new TypeError(`Cannot use project file '${file}': condition '${name}' appears twice`);
    }
    seen.add(name);
    const t = cc.temperature;
    if (typeof t !== "number" || !(t > 0) || !Number.isFinite(t)) {
      throw new RangeError(
        `Cannot use project file '${file}': conditions[${i}].temperature must be a number > 0, not ${
          JSON.stringify(t)
        }`,
      );
    }
    return { name, temperature: t };
  });
  return {
    name: validName(file, "'name'", r.name),
    conditions,
    replicates: positiveInteger(file, "'replicates'", r.replicates, 100_000),
    chunks: positiveInteger(file, "'chunks'", r.chunks, 100_000),
    steps: positiveInteger(file, "'steps'", r.steps, 100_000_000),
    beads: positiveInteger(file, "'beads'", r.beads, 1000),
  };
}

/**
 * Reads and parses a JSON file.
 *
 * @param what What the file is, for error messages (e.g. "project file").
 * @param path The file.
 * @param optional Return `undefined`, instead of throwing, if the file does not exist.
 * @returns The parsed JSON.
 * @throws Error naming the file when it cannot be read or parsed.
 */
export async function readJsonFile(
  what: string,
  path: string,
  optional = false,
): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (optional && e instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read ${what} '${path}': ${e instanceof Error ? e.message : e}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`Cannot parse ${what} '${path}': ${e instanceof Error ? e.message : e}`);
  }
}

/**
 * Reads and checks a project file.
 *
 * @param file The JSON file.
 * @returns The project.
 * @throws Error naming the file when it cannot be read, parsed or used.
 */
export async function loadProject(file: string): Promise<Project> {
  return parseProject(file, await readJsonFile("project file", file));
}

/**
 * The project's chains, condition by condition.
 *
 * @param p The project.
 * @returns One chain per condition and replicate.
 */
export function chainsOf(p: Project): Chain[] {
  return p.conditions.flatMap((condition, conditionIndex) =>
    Array.from({ length: p.replicates }, (_, replicate) => ({
      id: `${condition.name}-r${replicate}`,
      condition,
      conditionIndex,
      replicate,
    }))
  );
}

/**
 * The random seed of one chunk: fixed by its condition, replicate and chunk.
 *
 * @param chain The chain.
 * @param chunk The chunk number (1 for the first).
 * @returns A whole number from 1 to 2^31 - 2.
 */
export function seedOf(chain: Chain, chunk: number): number {
  const n = ((chain.conditionIndex + 1) * 100_003 + chain.replicate) * 100_019 + chunk;
  return n % 2_147_483_646 + 1;
}

/**
 * The starting checkpoint of a chain: the protein stretched out along x.
 *
 * @param chain The chain.
 * @param beads How many beads.
 * @returns The checkpoint file's text, as `fold.sh` reads it.
 */
export function initialCheckpoint(chain: Chain, beads: number): string {
  const lines = [`chain ${chain.id}`, "chunk 0", "steps 0"];
  for (let i = 0; i < beads; i++) lines.push(`bead ${i}.000000 0.000000`);
  return lines.join("\n") + "\n";
}

/**
 * The fields of a checkpoint's header (everything but the beads).
 *
 * @param text A checkpoint written by `fold.sh`.
 * @returns e.g. `{ chain: "T0.5-r0", chunk: "3", energy: "-4.0000", ... }`.
 */
export function checkpointFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const [k, ...v] = line.trim().split(/\s+/);
    if (k && k !== "bead") out[k] = v.join(" ");
  }
  return out;
}

/** Where a chain's checkpoint after `chunk` chunks lives. */
export function checkpointPath(dir: string, chain: Chain, chunk: number): string {
  return `${dir}/chains/${chain.id}/chunk-${String(chunk).padStart(4, "0")}.ckpt`;
}
