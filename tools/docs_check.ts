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
 *   catalog and the status tool (docs/catalog.md), the submitter
 *   (docs/deployment.md) and `wq-run` (docs/run.md) list exactly the long
 *   options of their `--help`.
 * - **Files.** Every `.ts` or `.py` file a page names in a code span exists
 *   (docs/interop.md says which test checks what).
 *
 * Usage: deno run --allow-read --allow-run tools/docs_check.ts
 *
 * @module
 */

import { CATALOG_USAGE } from "../lib/catalog/catalog_options.ts";
import { STATUS_USAGE } from "../lib/catalog/status_cli.ts";
import { SUBMIT_USAGE } from "../lib/deploy/submit.ts";
import { RUN_USAGE } from "../lib/run/options.ts";
import { WORKER_USAGE } from "../lib/worker/options.ts";
import { ENTRYPOINTS, ROOT } from "./entrypoints.ts";
import { apiDocProblems, loadApiSurface } from "./docs_check/api.ts";
import { commandLineProblems, optionTableProblems } from "./docs_check/commands.ts";
import { missingFileProblems, repositoryFiles } from "./docs_check/files.ts";

export * from "./docs_check/api.ts";
export * from "./docs_check/commands.ts";
export * from "./docs_check/files.ts";

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
    { path: "docs/run.md", section: "Options", usage: RUN_USAGE, program: "wq-run" },
  ];
  return [
    ...apiDocProblems(api, surface),
    ...tables.flatMap((t) => optionTableProblems(file(t.path), t)),
    ...commandLineProblems(files, {
      entrypoints: ENTRYPOINTS,
      tasks: Object.keys(config.tasks ?? {}),
    }),
    ...missingFileProblems(files, await repositoryFiles(root)),
  ];
}

if (import.meta.main) {
  const problems = await checkDocs();
  for (const p of problems) console.error(p);
  if (problems.length > 0) Deno.exit(1);
  console.log("docs match the code");
}
