/**
 * The files the documentation names: every `*.ts` or `*.py` file in a code
 * span of a Markdown page must exist in the repository, so that a page such
 * as docs/interop.md, which says which test checks what, cannot name a test
 * that was renamed or removed.
 *
 * @module
 */

/** A file name in a code span: a path or a bare name ending in `.ts` or `.py`. */
const FILE_SPAN = /`([\w./-]+\.(?:ts|py))`/g;

/**
 * The sentences for the files that Markdown pages name and the repository
 * lacks. A bare name (`made_inputs_test.ts`) is found anywhere in the
 * repository; a path (`tests/_harness.ts`) must exist as written, from the
 * root or from the page's folder.
 *
 * @param files The pages: their paths from the root and their text.
 * @param repoFiles Every file of the repository, as paths from the root.
 * @returns One sentence per missing file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const page = { path: "docs/x.md", text: "See `a_test.ts` and `lib/gone.ts`." };
 * assert.deepEqual(missingFileProblems([page], ["tests/a_test.ts"]), [
 *   "docs/x.md names `lib/gone.ts`, which is not in the repository",
 * ]);
 * ```
 */
export function missingFileProblems(
  files: readonly { path: string; text: string }[],
  repoFiles: readonly string[],
): string[] {
  const all = new Set(repoFiles);
  const bases = new Set(repoFiles.map((f) => f.split("/").at(-1)!));
  const problems: string[] = [];
  for (const f of files) {
    if (!f.path.endsWith(".md")) continue;
    const dir = f.path.includes("/") ? f.path.slice(0, f.path.lastIndexOf("/") + 1) : "";
    for (const m of f.text.matchAll(FILE_SPAN)) {
      const name = m[1].replace(/^\.\//, "");
      const found = name.includes("/")
        ? all.has(name) || all.has(dir + name) || name.startsWith("/") || name.startsWith("../")
        : bases.has(name);
      if (!found) problems.push(`${f.path} names \`${m[1]}\`, which is not in the repository`);
    }
  }
  return [...new Set(problems)];
}

/**
 * Every file of a repository, as paths from its root, skipping hidden
 * folders and `node_modules`.
 *
 * @param root The repository root.
 * @param dir A folder under it (for the recursion).
 * @returns The paths, sorted.
 */
export async function repositoryFiles(root: string, dir = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${root}/${dir}`)) {
    const path = dir ? `${dir}/${e.name}` : e.name;
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    if (e.isDirectory) out.push(...await repositoryFiles(root, path));
    else out.push(path);
  }
  return out.sort();
}
