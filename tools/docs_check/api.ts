/**
 * The check that docs/api.md names the whole public API, as
 * `deno doc --json` reports it, and nothing else (see tools/docs_check.ts).
 *
 * @module
 */

import { ROOT } from "../entrypoints.ts";
import { cells, FENCE, spanNames, TABLE_SEPARATOR } from "./markdown.ts";

/** One exported symbol: its kind, and its members if it is a class or an interface. */
export interface ApiSymbol {
  /** `class`, `interface`, `function`, `variable`, `typeAlias`, … as deno doc says. */
  kind: string;
  /** Public member names (`[Symbol.asyncIterator]` for a symbol key), inherited ones included. */
  members: string[];
  /** The exports it extends, if any. */
  parents?: string[];
}

/** The public API: every export of the package, by name. */
export type ApiSurface = Map<string, ApiSymbol>;

/** A name that the API reference documents, and where. */
export interface DocEntry {
  /** The name (`submit`, `WorkQueueOptions`, `[Symbol.asyncDispose]`). */
  name: string;
  /** The export that owns the section it is in, if any. */
  owner?: string;
  /** 1-based line number. */
  line: number;
}

/** A Markdown (or doc comment) file to check, with its path for messages. */
export interface DocFile {
  /** Path relative to the repository root. */
  path: string;
  /** Its text. */
  text: string;
}

interface DenoDocNode {
  name: string;
  declarations?: {
    kind: string;
    def?: {
      properties?: { name: string; accessibility?: string }[];
      methods?: { name: string; accessibility?: string }[];
      /** An interface's parents; a class's parent (a string). */
      extends?: ({ repr?: string } | string)[] | string;
    };
  }[];
}

/**
 * Whether a member is public: not `private`/`protected`, and keyed by a
 * name, a well-known symbol or an exported symbol.
 */
function isPublicMember(
  m: { name: string; accessibility?: string },
  exported: Set<string>,
): boolean {
  if (m.accessibility === "private" || m.accessibility === "protected") return false;
  const computed = /^\[(.*)\]$/.exec(m.name);
  return !computed || computed[1].startsWith("Symbol.") || exported.has(computed[1]);
}

/**
 * Builds the API surface from the output of `deno doc --json` (Deno 2: an
 * object whose `nodes` map each module to its `symbols`).
 *
 * @param json The parsed output.
 * @returns Every export with its public members; an interface includes the
 * members of the exported interfaces it extends, and a class those of the
 * exported class it extends.
 * @throws {TypeError} If the output is not in that form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const surface = apiSurfaceFromDenoDoc({
 *   nodes: {
 *     "file:///mod.ts": {
 *       symbols: [{ name: "Opts", declarations: [{ kind: "interface", def: { properties: [{ name: "port" }] } }] }],
 *     },
 *   },
 * });
 * assert.equal(surface.get("Opts")?.members[0], "port");
 * ```
 */
export function apiSurfaceFromDenoDoc(json: unknown): ApiSurface {
  const nodes = (json as { nodes?: Record<string, { symbols?: DenoDocNode[] }> })?.nodes;
  if (nodes === null || typeof nodes !== "object") {
    throw new TypeError("Cannot read deno doc --json output: expected an object with 'nodes'");
  }
  const symbols = Object.values(nodes).flatMap((n) => n.symbols ?? []);
  const exported = new Set(symbols.map((s) => s.name));
  const surface: ApiSurface = new Map();
  const parents = new Map<string, string[]>();
  for (const s of symbols) {
    const entry = surface.get(s.name) ?? { kind: "", members: [] };
    for (const d of s.declarations ?? []) {
      entry.kind ||= d.kind;
      if (d.kind !== "class" && d.kind !== "interface") continue;
      for (const m of [...d.def?.properties ?? [], ...d.def?.methods ?? []]) {
        if (isPublicMember(m, exported) && !entry.members.includes(m.name)) {
          entry.members.push(m.name);
        }
      }
      const ext = d.def?.extends ?? [];
      const names = typeof ext === "string"
        ? [ext.replace(/<.*$/s, "")]
        : ext.map((e) => typeof e === "string" ? e : e.repr ?? "");
      parents.set(s.name, [...parents.get(s.name) ?? [], ...names]);
    }
    surface.set(s.name, entry);
  }
  const inherited = (name: string, seen: Set<string>): string[] => {
    if (seen.has(name)) return [];
    seen.add(name);
    return (parents.get(name) ?? []).flatMap((p) => [
      ...surface.get(p)?.members ?? [],
      ...inherited(p, seen),
    ]);
  };
  for (const [name, entry] of surface) {
    const own = (parents.get(name) ?? []).filter((p) => surface.has(p));
    if (own.length > 0) entry.parents = own;
    for (const m of inherited(name, new Set())) {
      if (!entry.members.includes(m)) entry.members.push(m);
    }
  }
  return surface;
}

/**
 * Runs `deno doc --json` on the package's exports (deno.json `exports`).
 *
 * @param root The repository root.
 * @returns The API surface.
 * @throws {Error} If deno doc fails.
 */
export async function loadApiSurface(root: string = ROOT): Promise<ApiSurface> {
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const files = Object.values(config.exports as Record<string, string>);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...files],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`Cannot run deno doc --json: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return apiSurfaceFromDenoDoc(JSON.parse(new TextDecoder().decode(out.stdout)));
}

/** The names in backticks of a piece of Markdown that look like API names. */
/**
 * The entries of an API reference page: the names in backticks in its
 * headings and in the first cells of its table rows, each with the export
 * that owns its section.
 *
 * @param markdown The page.
 * @param exports The names of the exports (a heading that names one owns its section).
 * @returns The entries, in page order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const md = "## `Queue`\n\n### Methods\n\n| Method | Meaning |\n| --- | --- |\n| `submit(t)` | Queues. |\n";
 * const e = apiEntries(md, new Set(["Queue"]));
 * assert.equal(e[1].name, "submit");
 * assert.equal(e[1].owner, "Queue");
 * ```
 */
export function apiEntries(markdown: string, exports: Set<string>): DocEntry[] {
  const entries: DocEntry[] = [];
  const stack: { level: number; owner?: string }[] = [];
  const lines = markdown.split("\n");
  let fence: string | undefined;
  for (const [i, line] of lines.entries()) {
    const f = FENCE.exec(line);
    if (f) {
      if (fence === undefined) fence = f[1];
      else if (f[1] === fence) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const level = heading[1].length;
      while (stack.length > 0 && stack[stack.length - 1].level >= level) stack.pop();
      const names = spanNames(heading[2]);
      const owner = names.find((n) => exports.has(n)) ?? stack[stack.length - 1]?.owner;
      stack.push({ level, owner });
      for (const name of names) entries.push({ name, owner, line: i + 1 });
      continue;
    }
    if (!line.trimStart().startsWith("|") || TABLE_SEPARATOR.test(line)) continue;
    if (TABLE_SEPARATOR.test(lines[i + 1] ?? "")) continue; // the header row
    const owner = stack[stack.length - 1]?.owner;
    for (const name of spanNames(cells(line)[0] ?? "")) entries.push({ name, owner, line: i + 1 });
  }
  return entries;
}

/**
 * Compares an API reference page with the API surface.
 *
 * @param markdown The page (docs/api.md).
 * @param surface The exports and their members.
 * @param path The page's path, for the messages.
 * @returns One sentence per mismatch; empty when the page is complete and current.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const surface = new Map([["Queue", { kind: "class", members: ["submit", "wait"] }]]);
 * const md = "## `Queue`\n\n| Method | Meaning |\n| --- | --- |\n| `submit(t)` | Queues. |\n";
 * assert.match(apiDocProblems(md, surface)[0], /`Queue\.wait`/);
 * ```
 */
export function apiDocProblems(
  markdown: string,
  surface: ApiSurface,
  path = "docs/api.md",
): string[] {
  const exports = new Set(surface.keys());
  const entries = apiEntries(markdown, exports);
  const problems: string[] = [];
  const named = new Set(entries.map((e) => e.name));
  const owned = new Set(entries.map((e) => `${e.owner}\0${e.name}`));
  // A base's member may be documented with an export that extends it, at any depth.
  const heirs = (name: string): string[] => {
    const out: string[] = [];
    for (const [n, s] of surface) {
      if (s.parents?.includes(name)) out.push(n, ...heirs(n));
    }
    return out;
  };
  // And an inherited member documented with the export it comes from (FunctionCall's with Task).
  const ancestors = (name: string): string[] =>
    (surface.get(name)?.parents ?? []).flatMap((p) => [p, ...ancestors(p)]);
  for (const [name, symbol] of surface) {
    if (!named.has(name)) {
      problems.push(`${path} has no entry for the export \`${name}\` (${symbol.kind})`);
    }
    const owners = [name, ...heirs(name), ...ancestors(name)];
    for (const m of symbol.members) {
      if (!owners.some((owner) => owned.has(`${owner}\0${m}`))) {
        problems.push(
          `${path} has no entry for \`${name}.${m}\` in a section whose heading names \`${name}\``,
        );
      }
    }
  }
  for (const e of entries) {
    if (exports.has(e.name)) continue;
    if (e.owner !== undefined && surface.get(e.owner)?.members.includes(e.name)) continue;
    problems.push(
      `${path}:${e.line} names \`${e.name}\`, which is ${
        e.owner === undefined ? "not an export" : `neither an export nor a member of \`${e.owner}\``
      }`,
    );
  }
  return problems;
}
