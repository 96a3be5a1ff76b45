/**
 * Checks that the documentation matches the code, and prints each mismatch:
 *
 * - **docs/api.md names the whole public API.** The API is what
 *   `deno doc --json` reports for the package's exports (deno.json
 *   `exports`: `mod.ts` and `worker/main.ts`): every exported symbol, and
 *   every member (field, getter, setter, method, option) of every exported
 *   class and interface. Members whose key is a symbol that is not exported
 *   (`[kInternal]`) are private; `[Symbol.asyncDispose]` and the like are not.
 * - **An entry** is a name in backticks in a heading, or in the first cell of
 *   a table row (not the header row): `` `name` `` or a call such as
 *   `` `name(args)` ``. An export's entry may be anywhere on the page. A
 *   member's entry must be in a section owned by its class or interface: a
 *   heading that names an export in backticks owns its section, with the
 *   subsections that name no other export (`## \`WorkQueue\`` owns
 *   `### Methods`, while `### Options (\`WorkQueueOptions\`)` owns its own).
 * - **The other way:** every entry must name an export, or a member of the
 *   section's owner, so a renamed or removed API fails too.
 * - **Command lines.** Every `deno run` of an entrypoint shown in a code block
 *   or a code span of the Markdown files (README.md, docs/, examples/) or of
 *   the entrypoints' own doc comments uses exactly the permission flags of
 *   tools/entrypoints.ts (in any order, with nothing else), and every
 *   `deno task NAME` names a task of deno.json.
 * - **Option tables.** The options tables of the worker (README.md), the
 *   catalog and the status tool (docs/catalog.md) and the submitter
 *   (docs/deployment.md) list exactly the long options of their `--help`.
 *
 * Usage: deno run --allow-read --allow-run tools/docs_check.ts
 *
 * @module
 */

import { CATALOG_USAGE } from "../lib/catalog/catalog_options.ts";
import { STATUS_USAGE } from "../lib/catalog/status_cli.ts";
import { SUBMIT_USAGE } from "../lib/deploy/submit.ts";
import { WORKER_USAGE } from "../lib/worker/options.ts";
import { type Entrypoint, ENTRYPOINTS, ROOT } from "./entrypoints.ts";

/** One exported symbol: its kind, and its members if it is a class or an interface. */
export interface ApiSymbol {
  /** `class`, `interface`, `function`, `variable`, `typeAlias`, … as deno doc says. */
  kind: string;
  /** Public member names (`[Symbol.asyncIterator]` for a symbol key). */
  members: string[];
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
      extends?: ({ repr?: string } | string)[];
    };
  }[];
}

const IDENTIFIER = /^(\[Symbol\.[A-Za-z]+\]|[A-Za-z_$][\w$]*)(\(.*\))?$/;

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
 * members of the exported interfaces it extends.
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
      if (d.kind === "interface") {
        const names = (d.def?.extends ?? []).map((e) => typeof e === "string" ? e : e.repr ?? "");
        parents.set(s.name, [...parents.get(s.name) ?? [], ...names]);
      }
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
function spanNames(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/`([^`]+)`/g)) {
    const id = IDENTIFIER.exec(m[1].trim());
    if (id) names.push(id[1]);
  }
  return names;
}

/** The cells of a table row, split on unescaped `|`. */
function cells(row: string): string[] {
  return row.trim().replace(/^\|/, "").replace(/\|$/, "").split(/(?<!\\)\|/);
}

const TABLE_SEPARATOR = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;
const FENCE = /^\s*(```|~~~)/;

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
  for (const [name, symbol] of surface) {
    if (!named.has(name)) {
      problems.push(`${path} has no entry for the export \`${name}\` (${symbol.kind})`);
    }
    for (const m of symbol.members) {
      if (!owned.has(`${name}\0${m}`)) {
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

/** The shell commands in a text: code block lines (with `\` continuations joined) and code spans. */
function commands(text: string): { line: number; command: string }[] {
  // Doc comments: drop the leading ` * ` so that their code blocks read as Markdown.
  const lines = text.split("\n").map((l) => l.replace(/^\s*\*( |$)/, ""));
  const out: { line: number; command: string }[] = [];
  let fence: string | undefined;
  let pending: { line: number; command: string } | undefined;
  let paragraph: { line: number; text: string } | undefined;
  const endParagraph = () => {
    if (!paragraph) return;
    for (const m of paragraph.text.matchAll(/`([^`]+)`/g)) {
      out.push({ line: paragraph.line, command: m[1] });
    }
    paragraph = undefined;
  };
  for (const [i, line] of lines.entries()) {
    const f = FENCE.exec(line);
    if (f) {
      endParagraph();
      if (fence === undefined) fence = f[1];
      else if (f[1] === fence) fence = undefined;
      continue;
    }
    if (fence !== undefined) {
      const part = line.replace(/\\\s*$/, "");
      pending = pending
        ? { line: pending.line, command: `${pending.command} ${part}` }
        : { line: i + 1, command: part };
      if (!/\\\s*$/.test(line)) {
        out.push(pending);
        pending = undefined;
      }
      continue;
    }
    if (line.trim() === "") endParagraph();
    else {paragraph = paragraph
        ? { ...paragraph, text: `${paragraph.text} ${line}` }
        : { line: i + 1, text: line };}
  }
  endParagraph();
  return out;
}

/**
 * Checks the command lines of documentation files: every `deno run` of an
 * entrypoint uses exactly its permission flags, and every `deno task NAME`
 * names a task.
 *
 * @param files The files.
 * @param options The entrypoints and the task names of deno.json.
 * @returns One sentence per mismatch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const entrypoints = { catalog: { main: "catalog/main.ts", binary: "wq-catalog", permissions: ["--allow-net"] } };
 * const text = "Start it:\n\n    `deno run --allow-all catalog/main.ts`\n";
 * const problems = commandLineProblems([{ path: "x.md", text }], { entrypoints, tasks: [] });
 * assert.equal(problems.length, 1);
 * assert.match(problems[0], /^x\.md:3:/);
 * ```
 */
export function commandLineProblems(
  files: DocFile[],
  options: { entrypoints: Record<string, Entrypoint>; tasks: Iterable<string> },
): string[] {
  const tasks = new Set(options.tasks);
  const mains = Object.values(options.entrypoints);
  const problems: string[] = [];
  for (const file of files) {
    for (const { line, command } of commands(file.text)) {
      const where = `${file.path}:${line}`;
      for (
        const m of command.matchAll(
          /\bdeno\s+task\s+(?:-[\w-]+(?:=\S*)?\s+)*([A-Za-z][\w-]*(?::[\w-]+)*)/g,
        )
      ) {
        if (!tasks.has(m[1])) {
          problems.push(`${where}: \`deno task ${m[1]}\` is not a task of deno.json`);
        }
      }
      for (const m of command.matchAll(/\bdeno\s+run\b/g)) {
        const tokens = command.slice(m.index + m[0].length).trim().split(/\s+/);
        const end = tokens.findIndex((t) => /^(#|&&|\|\||\||;)/.test(t));
        const words = end < 0 ? tokens : tokens.slice(0, end);
        const at = words.findIndex((t) =>
          mains.some((e) => t === e.main || t.endsWith(`/${e.main}`))
        );
        if (at < 0) continue; // not one of the entrypoints
        const e = mains.find((e) => words[at] === e.main || words[at].endsWith(`/${e.main}`))!;
        const flags = words.slice(0, at);
        const same = flags.length === e.permissions.length &&
          [...flags].sort().every((f, k) => f === [...e.permissions].sort()[k]);
        if (!same) {
          problems.push(
            `${where}: \`deno run\` of ${e.main} has the flags '${flags.join(" ")}'; ` +
              `tools/entrypoints.ts gives '${e.permissions.join(" ")}'`,
          );
        }
      }
    }
  }
  return problems;
}

/**
 * Compares the options table of a program's section with its `--help` text:
 * every long option of the usage is in the first cell of a row of the
 * section's tables, and every long option there is in the usage.
 *
 * @param file The Markdown file.
 * @param options The section's heading (without the `#`s), the usage text
 * and the program's name for the messages.
 * @returns One sentence per mismatch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = "## Run\n\n| Option | Meaning |\n| --- | --- |\n| `--port N` | port |\n";
 * const p = optionTableProblems({ path: "x.md", text }, {
 *   section: "Run",
 *   usage: "  -p, --port N\n  -h, --help\n",
 *   program: "x",
 * });
 * assert.equal(p.length, 1);
 * assert.match(p[0], /--help/);
 * ```
 */
export function optionTableProblems(
  file: DocFile,
  options: { section: string; usage: string; program: string },
): string[] {
  const lines = file.text.split("\n");
  const start = lines.findIndex((l) => l.replace(/^#+\s+/, "") === options.section && /^#/.test(l));
  if (start < 0) return [`${file.path} has no section '${options.section}' for ${options.program}`];
  const level = /^#+/.exec(lines[start])![0].length;
  const documented = new Set<string>();
  let fence = false;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    if (FENCE.test(line)) fence = !fence;
    if (fence) continue;
    const h = /^(#+)\s/.exec(line);
    if (h && h[1].length <= level) break;
    if (!line.trimStart().startsWith("|") || TABLE_SEPARATOR.test(line)) continue;
    if (TABLE_SEPARATOR.test(lines[i + 1] ?? "")) continue;
    for (const m of (cells(line)[0] ?? "").matchAll(/--[a-z][a-z-]*/g)) documented.add(m[0]);
  }
  const usage = new Set([...options.usage.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]));
  const where = `${file.path} (${options.section})`;
  return [
    ...[...usage].filter((o) => !documented.has(o)).map((o) =>
      `${where} has no row for ${options.program}'s option ${o}`
    ),
    ...[...documented].filter((o) => !usage.has(o)).map((o) =>
      `${where} lists ${o}, which ${options.program} --help does not have`
    ),
  ];
}

/** The Markdown files of the repository (README.md, docs/, examples/ ...), relative paths. */
async function markdownFiles(root: string, dir = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${root}/${dir}`)) {
    const path = dir ? `${dir}/${e.name}` : e.name;
    if (e.name.startsWith(".") || ["node_modules", "dist", "results"].includes(e.name)) continue;
    if (e.isDirectory) out.push(...await markdownFiles(root, path));
    else if (e.isFile && e.name.endsWith(".md")) out.push(path);
  }
  return out.sort();
}

/**
 * Runs every check on a repository.
 *
 * @param root The repository root.
 * @returns One sentence per mismatch; empty when the docs match the code.
 */
export async function checkDocs(root: string = ROOT): Promise<string[]> {
  const surface = await loadApiSurface(root);
  const api = await Deno.readTextFile(`${root}/docs/api.md`);
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const paths = [
    ...await markdownFiles(root),
    ...Object.values(ENTRYPOINTS).map((e) => e.main),
  ];
  const files = await Promise.all(
    paths.map(async (path) => ({ path, text: await Deno.readTextFile(`${root}/${path}`) })),
  );
  const file = (path: string) => files.find((f) => f.path === path)!;
  const tables = [
    { path: "README.md", section: "Starting workers", usage: WORKER_USAGE, program: "wq-worker" },
    {
      path: "docs/catalog.md",
      section: "Running the catalog",
      usage: CATALOG_USAGE,
      program: "wq-catalog",
    },
    {
      path: "docs/catalog.md",
      section: "The status tool",
      usage: STATUS_USAGE,
      program: "wq-status",
    },
    {
      path: "docs/deployment.md",
      section: "Batch systems: `wq-submit-workers`",
      usage: SUBMIT_USAGE,
      program: "wq-submit-workers",
    },
  ];
  return [
    ...apiDocProblems(api, surface),
    ...tables.flatMap((t) => optionTableProblems(file(t.path), t)),
    ...commandLineProblems(files, {
      entrypoints: ENTRYPOINTS,
      tasks: Object.keys(config.tasks ?? {}),
    }),
  ];
}

if (import.meta.main) {
  const problems = await checkDocs();
  for (const p of problems) console.error(p);
  if (problems.length > 0) Deno.exit(1);
  console.log("docs match the code");
}
