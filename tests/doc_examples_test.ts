// The examples in JSDoc and in the Markdown files are tests (`deno task test`
// runs `deno test --doc`), and they can fail: they assert with
// node:assert/strict, which throws. The console's assert only prints, so an
// example that used it passed whatever it claimed. This file shows that
// `deno test --doc` fails on a false assertion and passes on a true one, keeps
// the console's assert out of the repository, and type-checks every Markdown
// example, including those that the test task does not run because they need
// workers or files (DOC_PAGES_NOT_RUN in tools/test.ts, the test runner).

import assert from "node:assert/strict";
import { ROOT, tempDir } from "./_harness.ts";
import { DOC_PAGES_NOT_RUN } from "../tools/test.ts";

const decoder = new TextDecoder();

/** The console's assert, called; written so that this file does not match itself. */
const PRINT_ONLY_ASSERT = /\bconsole\s*\.\s*assert\s*\(/;

/** What a `deno` run printed (stdout and stderr, without colors) and its exit code. */
interface DenoRun {
  code: number;
  output: string;
}

/** Runs `deno ARGS...` in `cwd`, without a config file, so the run is the same anywhere. */
async function deno(args: string[], cwd: string): Promise<DenoRun> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

/** A module whose one export has a JSDoc example ending in `assertion`. */
function moduleWithExample(assertion: string): string {
  return [
    "/**",
    " * Adds two numbers.",
    " *",
    " * @example",
    " * ```ts",
    ' * import assert from "node:assert/strict";',
    ' * import { add } from "./add.ts";',
    ` * ${assertion}`,
    " * ```",
    " */",
    "export function add(a: number, b: number): number {",
    "  return a + b;",
    "}",
    "",
  ].join("\n");
}

/** A Markdown page with one TypeScript block ending in `assertion`. */
function pageWithExample(assertion: string): string {
  return [
    "# Adding",
    "",
    "```ts",
    'import assert from "node:assert/strict";',
    assertion,
    "```",
    "",
  ].join("\n");
}

/** `deno test --doc FILE` in `dir`. */
function testDoc(dir: string, file: string): Promise<DenoRun> {
  return deno(["test", "--no-config", "--doc", file], dir);
}

Deno.test("deno test --doc fails on a false node:assert/strict assertion in a JSDoc example", async () => {
  await using tmp = await tempDir("wq-doc-example-");
  await Deno.writeTextFile(`${tmp.path}/add.ts`, moduleWithExample("assert.equal(add(1, 2), 4);"));
  const wrong = await testDoc(tmp.path, "add.ts");
  assert.notEqual(wrong.code, 0, wrong.output);
  assert.match(wrong.output, /AssertionError: Expected values to be strictly equal/, wrong.output);
  assert.match(wrong.output, /3 !== 4/, wrong.output);
  assert.match(wrong.output, /FAILED \| 0 passed \| 1 failed/, wrong.output);

  await Deno.writeTextFile(`${tmp.path}/add.ts`, moduleWithExample("assert.equal(add(1, 2), 3);"));
  const right = await testDoc(tmp.path, "add.ts");
  assert.equal(right.code, 0, right.output);
  assert.match(right.output, /ok \| 1 passed \| 0 failed/, right.output);
});

Deno.test("deno test --doc fails on a false node:assert/strict assertion in a Markdown block", async () => {
  await using tmp = await tempDir("wq-doc-example-");
  await Deno.writeTextFile(`${tmp.path}/page.md`, pageWithExample('assert.match("wq", /^cc/);'));
  const wrong = await testDoc(tmp.path, "page.md");
  assert.notEqual(wrong.code, 0, wrong.output);
  assert.match(wrong.output, /AssertionError: The input did not match the regular expression/);
  assert.match(wrong.output, /FAILED \| 0 passed \| 1 failed/, wrong.output);

  await Deno.writeTextFile(`${tmp.path}/page.md`, pageWithExample('assert.match("wq", /^wq$/);'));
  const right = await testDoc(tmp.path, "page.md");
  assert.equal(right.code, 0, right.output);
  assert.match(right.output, /ok \| 1 passed \| 0 failed/, right.output);
});

Deno.test("the console's assert does not fail deno test --doc: it only prints", async () => {
  // Why the repository must not use it (the next test). If Deno ever makes it
  // throw, this test says so, and the rule can go.
  await using tmp = await tempDir("wq-doc-example-");
  const printOnly = ["console", "assert"].join(".");
  await Deno.writeTextFile(
    `${tmp.path}/add.ts`,
    moduleWithExample(`${printOnly}(add(1, 2) === 4);`),
  );
  const run = await testDoc(tmp.path, "add.ts");
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, /Assertion failed/, run.output);
  assert.match(run.output, /ok \| 1 passed \| 0 failed/, run.output);
});

/** Every file under `dir` whose name ends in one of `suffixes`, skipping .git and symlinks. */
async function filesUnder(dir: string, suffixes: string[]): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.name === ".git" || e.isSymlink) continue;
    if (e.isDirectory) found.push(...await filesUnder(path, suffixes));
    else if (e.isFile && suffixes.some((s) => e.name.endsWith(s))) found.push(path);
  }
  return found.sort();
}

Deno.test("no .ts or .md file of the repository calls the console's assert, which only prints", async () => {
  const files = await filesUnder(ROOT, [".ts", ".md"]);
  assert.ok(files.includes(`${ROOT}/mod.ts`), `walked the wrong directory: ${ROOT}`);
  assert.ok(files.includes(`${ROOT}/README.md`), `walked the wrong directory: ${ROOT}`);
  const offenders: string[] = [];
  for (const file of files) {
    const lines = (await Deno.readTextFile(file)).split("\n");
    lines.forEach((line, i) => {
      if (PRINT_ONLY_ASSERT.test(line)) {
        offenders.push(`${file.slice(ROOT.length + 1)}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(offenders, [], "use node:assert/strict instead:\n" + offenders.join("\n"));
});

Deno.test("the TypeScript blocks of every Markdown file type-check", async () => {
  const pages = (await filesUnder(ROOT, [".md"])).map((p) => p.slice(ROOT.length + 1));
  assert.ok(pages.includes("README.md") && pages.includes("docs/api.md"), pages.join(" "));
  const run = await deno(["check", "--quiet", "--doc-only", ...pages], ROOT);
  assert.equal(run.code, 0, run.output);
});

Deno.test("the Markdown files that deno task test does not run exist and have TypeScript blocks", async () => {
  // Each page the test runner keeps from running is one whose examples need
  // workers, files or a network; the test above type-checks them. An entry
  // that names no such page (renamed, or its examples gone) fails here, so the
  // list stays the exact set of pages whose examples do not run.
  assert.ok(DOC_PAGES_NOT_RUN.length > 0);
  for (const page of DOC_PAGES_NOT_RUN) {
    assert.match(page, /\.md$/, `the test task ignores more than Markdown pages: ${page}`);
    const text = await Deno.readTextFile(`${ROOT}/${page}`);
    assert.match(text, /^```ts$/m, `${page} has no TypeScript block to keep from running`);
  }
});
