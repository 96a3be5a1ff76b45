// tools/docs_check.ts: the docs name the whole public API and show the
// entrypoints with their exact flags. Each check is shown failing on a
// small page, then the repository itself must pass them all.

import assert from "node:assert/strict";
import {
  apiDocProblems,
  apiEntries,
  type ApiSurface,
  apiSurfaceFromDenoDoc,
  checkDocs,
  commandLineProblems,
  loadApiSurface,
  optionTableProblems,
} from "./docs_check.ts";
import { ENTRYPOINTS, ROOT } from "./entrypoints.ts";

const SURFACE: ApiSurface = new Map([
  ["Queue", { kind: "class", members: ["submit", "port", "[Symbol.asyncDispose]"] }],
  ["QueueOptions", { kind: "interface", members: ["port", "name"] }],
  ["DEFAULT_PORT", { kind: "variable", members: [] }],
]);

const PAGE = `# API

## \`Queue\`

\`new Queue(options?)\` listens.

### Options (\`QueueOptions\`)

| Option | Meaning |
| ------ | ------- |
| \`port\` | The port. |
| \`name\` | The name. |

### Methods

| Method | Meaning |
| ------ | ------- |
| \`submit(task)\` | Queues. |
| \`port\` | The port. |
| \`[Symbol.asyncDispose]()\` | Closes. |

\`\`\`ts
// | \`notAnEntry\` | inside a code block |
\`\`\`

## Constants

| Constant | Value |
| -------- | ----- |
| \`DEFAULT_PORT\` | 9123 |
`;

Deno.test("apiEntries() takes the names in headings and first table cells, with the section's owner", () => {
  const entries = apiEntries(PAGE, new Set(SURFACE.keys()));
  assert.deepEqual(entries.map((e) => `${e.owner}.${e.name}`), [
    "Queue.Queue",
    "QueueOptions.QueueOptions",
    "QueueOptions.port",
    "QueueOptions.name",
    "Queue.submit",
    "Queue.port",
    "Queue.[Symbol.asyncDispose]",
    "undefined.DEFAULT_PORT",
  ]);
});

Deno.test("apiDocProblems() passes a page that names every export and member", () => {
  assert.deepEqual(apiDocProblems(PAGE, SURFACE), []);
});

Deno.test("apiDocProblems() fails on a missing export, option, method or getter", () => {
  const missing = PAGE
    .replace("| `DEFAULT_PORT` | 9123 |\n", "")
    .replace("| `name` | The name. |\n", "")
    .replace("| `submit(task)` | Queues. |\n", "")
    .replace("| `port` | The port. |\n| `[Symbol", "| `[Symbol");
  assert.deepEqual(apiDocProblems(missing, SURFACE), [
    "docs/api.md has no entry for `Queue.submit` in a section whose heading names `Queue`",
    "docs/api.md has no entry for `Queue.port` in a section whose heading names `Queue`",
    "docs/api.md has no entry for `QueueOptions.name` in a section whose heading names `QueueOptions`",
    "docs/api.md has no entry for the export `DEFAULT_PORT` (variable)",
  ]);
});

Deno.test("apiDocProblems() counts a member only in its own section: an option is no method", () => {
  // `port` is both an option and a getter: the Options row does not document the getter.
  const page = PAGE.replace("| `port` | The port. |\n| `[Symbol", "| `[Symbol");
  assert.deepEqual(apiDocProblems(page, SURFACE), [
    "docs/api.md has no entry for `Queue.port` in a section whose heading names `Queue`",
  ]);
});

Deno.test("apiDocProblems() fails on a name that no longer exists", () => {
  const stale = PAGE
    .replace(
      "| `submit(task)` | Queues. |",
      "| `submit(task)` | Queues. |\n| `enqueue(task)` | Old name. |",
    )
    .replace("| `DEFAULT_PORT` | 9123 |", "| `DEFAULT_PORT` | 9123 |\n| `RANDOM_PORT` | 0 |");
  assert.deepEqual(apiDocProblems(stale, SURFACE), [
    "docs/api.md:19 names `enqueue`, which is neither an export nor a member of `Queue`",
    "docs/api.md:32 names `RANDOM_PORT`, which is not an export",
  ]);
});

Deno.test("apiSurfaceFromDenoDoc() keeps public members, symbol keys that are exported, and inherited fields", () => {
  const surface = apiSurfaceFromDenoDoc({
    nodes: {
      "file:///mod.ts": {
        symbols: [
          {
            name: "Task",
            declarations: [{
              kind: "class",
              def: {
                properties: [{ name: "id" }, { name: "[kInternal]" }, {
                  name: "x",
                  accessibility: "private",
                }],
                methods: [{ name: "state" }, { name: "[Symbol.asyncDispose]" }, { name: "state" }],
              },
            }],
          },
          {
            name: "FileOptions",
            declarations: [{ kind: "interface", def: { properties: [{ name: "cache" }] } }],
          },
          {
            name: "DirectoryOptions",
            declarations: [{
              kind: "interface",
              def: { properties: [{ name: "type" }], extends: [{ repr: "FileOptions" }] },
            }],
          },
        ],
      },
    },
  });
  assert.deepEqual(surface.get("Task")?.members, ["id", "state", "[Symbol.asyncDispose]"]);
  assert.deepEqual(surface.get("DirectoryOptions")?.members, ["type", "cache"]);
  assert.throws(() => apiSurfaceFromDenoDoc([]), TypeError);
});

Deno.test("a class inherits its exported parent's members, which may be documented with the heir", () => {
  const surface = apiSurfaceFromDenoDoc({
    nodes: {
      "file:///mod.ts": {
        symbols: [
          {
            name: "Outcome",
            declarations: [{ kind: "class", def: { properties: [{ name: "ok" }] } }],
          },
          {
            name: "Job",
            declarations: [{
              kind: "class",
              def: { properties: [{ name: "id" }], extends: "Outcome" },
            }],
          },
        ],
      },
    },
  });
  assert.deepEqual(surface.get("Job")?.members, ["id", "ok"]);
  assert.deepEqual(surface.get("Job")?.parents, ["Outcome"]);
  const md = (rows: string) =>
    "## `Job`\n\n| Property | Meaning |\n| --- | --- |\n" + rows + "\n## `Outcome`\n\nIts base.\n";
  assert.deepEqual(apiDocProblems(md("| `id` | Id. |\n| `ok` | Ok. |\n"), surface), []);
  assert.match(apiDocProblems(md("| `id` | Id. |\n"), surface).join("\n"), /`Outcome\.ok`/);
});

Deno.test("an inherited member documented with the export it comes from counts for the heir", () => {
  const cls = (name: string, props: string[], parent?: string) => ({
    name,
    declarations: [{
      kind: "class",
      def: { properties: props.map((p) => ({ name: p })), ...(parent ? { extends: parent } : {}) },
    }],
  });
  const surface = apiSurfaceFromDenoDoc({
    nodes: { "file:///mod.ts": { symbols: [cls("Job", ["id"]), cls("Call", ["value"], "Job")] } },
  });
  assert.deepEqual(surface.get("Call")?.members, ["value", "id"]);
  const page = "## `Job`\n\n| Property | Meaning |\n| --- | --- |\n| `id` | Id. |\n" +
    "\n## `Call`\n\n| Property | Meaning |\n| --- | --- |\n| `value` | Its value. |\n";
  assert.deepEqual(apiDocProblems(page, surface), []);
  // Its own member still needs its own entry.
  assert.match(
    apiDocProblems(page.replace("| `value` | Its value. |\n", ""), surface).join("\n"),
    /`Call\.value`/,
  );
});

const TASKS = ["worker", "catalog", "demo"];

Deno.test("commandLineProblems() fails on a deno run of an entrypoint without its exact flags", () => {
  const worker = ENTRYPOINTS.worker.permissions.join(" ");
  const text = [
    "```sh",
    `deno run ${worker} worker/main.ts 127.0.0.1 9123     # right`,
    `deno run ${[...ENTRYPOINTS.worker.permissions].reverse().join(" ")} \\`,
    "  worker/main.ts HOST PORT                              # right, in another order, continued",
    "deno run --allow-read --allow-write --allow-net --allow-run --allow-env --allow-sys \\",
    "  worker/main.ts HOST PORT",
    "deno run --allow-read bench/profile_top.ts x            # not an entrypoint",
    "deno task worker 127.0.0.1 9123",
    "deno task wroker 127.0.0.1 9123",
    "```",
    "",
    "Or `deno run <worker flags> worker/main.ts`, or `deno run --allow-net catalog/main.ts`.",
    "",
  ].join("\n");
  assert.deepEqual(
    commandLineProblems([{ path: "README.md", text }], { entrypoints: ENTRYPOINTS, tasks: TASKS }),
    [
      `README.md:5: \`deno run\` of worker/main.ts has the flags '--allow-read --allow-write --allow-net --allow-run --allow-env --allow-sys'; tools/entrypoints.ts gives '${worker}'`,
      "README.md:9: `deno task wroker` is not a task of deno.json",
      `README.md:12: \`deno run\` of worker/main.ts has the flags '<worker flags>'; tools/entrypoints.ts gives '${worker}'`,
    ],
  );
});

Deno.test("commandLineProblems() reads the code blocks of doc comments", () => {
  const text = [
    "/**",
    " * ```sh",
    " * deno run --allow-net --allow-env=CATALOG_HOST,CATALOG_PORT catalog/status.ts -C h:9097",
    " * ```",
    " */",
  ].join("\n");
  const problems = commandLineProblems([{ path: "catalog/status.ts", text }], {
    entrypoints: ENTRYPOINTS,
    tasks: TASKS,
  });
  assert.equal(problems.length, 1);
  assert.match(
    problems[0],
    /^catalog\/status\.ts:3: `deno run` of catalog\/status\.ts has the flags/,
  );
});

Deno.test("optionTableProblems() fails on an option missing from the table, or one --help lacks", () => {
  const text = "## Options\n\n| Option | Meaning |\n| --- | --- |\n| `-p, --port N` | port |\n" +
    "| `--old-flag` | gone |\n\n## Next\n\n| `--help` | elsewhere |\n";
  assert.deepEqual(
    optionTableProblems({ path: "x.md", text }, {
      section: "Options",
      usage: "  -p, --port N   port\n  -h, --help     help\n",
      program: "wq-x",
    }),
    [
      "x.md (Options) has no row for wq-x's option --help",
      "x.md (Options) lists --old-flag, which wq-x --help does not have",
    ],
  );
});

Deno.test("deno doc gives the API the check needs (so that it is not vacuous)", async () => {
  const surface = await loadApiSurface();
  assert.ok(surface.has("WorkQueue") && surface.has("Task") && surface.has("parseWorkerArgs"));
  for (const m of ["closed", "specifyName", "specifyCatalogServer", "[Symbol.asyncIterator]"]) {
    assert.ok(surface.get("WorkQueue")?.members.includes(m), m);
  }
  for (const m of ["catalog", "catalogInterval", "catalogTcp", "signal"]) {
    assert.ok(surface.get("WorkQueueOptions")?.members.includes(m), m);
  }
  assert.ok(surface.get("WorkQueueStats")?.members.includes("hostsBlocked"));
  assert.ok(!surface.get("Task")?.members.includes("[kInternal]"));
});

Deno.test("the repository's docs match its code", async () => {
  assert.deepEqual(await checkDocs(ROOT), []);
});
