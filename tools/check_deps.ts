/**
 * Checks that imports point one way, on the graph `deno info --json` gives:
 * `lib/wire/` imports only itself, `lib/errors.ts`, `lib/constants.ts`,
 * `lib/resources.ts` and `lib/measured.ts`, which import nothing;
 * `lib/manager/` and `lib/worker/` never import each other (they share
 * `lib/wire/`, `lib/resources.ts` and `lib/measured.ts`), and of
 * `lib/catalog/` only the client; `lib/run/` uses the manager only through
 * `mod.ts`; the manager's reactor (`lib/manager/reactor*.ts`) imports no
 * `lib/wire/` code; the leaf
 * modules import neither; library code imports only relative files and
 * `node:` built-ins (so `mod.ts` is importable by URL). Prints each
 * violation and exits 1 if there is any.
 *
 * Usage: deno run --allow-read --allow-run tools/check_deps.ts
 *
 * @module
 */

import { ROOT } from "./entrypoints.ts";

interface Module {
  specifier: string;
  dependencies?: {
    specifier: string;
    code?: { specifier: string };
    type?: { specifier: string };
  }[];
}

/** The rules: for files under a prefix, which import prefixes are allowed. */
const RULES: { from: string; allow: string[] }[] = [
  {
    from: "lib/wire/",
    allow: [
      "lib/wire/",
      "lib/errors.ts",
      "lib/constants.ts",
      "lib/resources.ts",
      "lib/measured.ts",
    ],
  },
  { from: "lib/resources.ts", allow: [] },
  { from: "lib/measured.ts", allow: [] },
  { from: "lib/errors.ts", allow: [] },
  { from: "lib/clock.ts", allow: [] },
  { from: "lib/constants.ts", allow: [] },
  // The task: lib/task.ts and its lib/task_*.ts modules; lib/completed_task.ts types it.
  {
    from: "lib/task",
    allow: ["lib/task", "lib/wire/", "lib/constants.ts", "lib/errors.ts", "lib/measured.ts"],
  },
  { from: "lib/completed_task.ts", allow: ["lib/task", "lib/measured.ts"] },
  // A function call is a task (lib/function_call.ts); the manager reads it.
  { from: "lib/function_call.ts", allow: ["lib/task", "lib/wire/", "lib/measured.ts"] },
  {
    from: "lib/catalog/",
    allow: ["lib/catalog/", "lib/wire/", "lib/constants.ts", "lib/errors.ts"],
  },
  // The reactor reaches the outside only through its Comm: no wire code, no sockets.
  {
    from: "lib/manager/reactor",
    allow: [
      "lib/manager/",
      "lib/resources.ts",
      "lib/measured.ts",
      "lib/task",
      "lib/function_call.ts",
      "lib/completed_task.ts",
      "lib/clock.ts",
      "lib/constants.ts",
      "lib/errors.ts",
    ],
  },
  {
    from: "lib/manager/",
    allow: [
      "lib/catalog/client.ts",
      "lib/clock.ts",
      "lib/manager/",
      "lib/wire/",
      "lib/resources.ts",
      "lib/measured.ts",
      "lib/task",
      "lib/function_call.ts",
      "lib/completed_task.ts",
      "lib/constants.ts",
      "lib/errors.ts",
    ],
  },
  {
    from: "lib/worker/",
    allow: [
      "lib/catalog/client.ts",
      "lib/worker/",
      "lib/wire/",
      "lib/resources.ts",
      "lib/measured.ts",
      "lib/constants.ts",
      "lib/errors.ts",
    ],
  },
  {
    from: "lib/deploy/",
    allow: ["lib/deploy/", "lib/catalog/client.ts", "lib/constants.ts", "lib/errors.ts"],
  },
  {
    from: "worker/submit.ts",
    allow: ["lib/deploy/", "lib/errors.ts", "tools/entrypoints.ts"],
  },
  {
    from: "worker/pool.ts",
    allow: ["lib/deploy/", "lib/catalog/client.ts", "lib/errors.ts", "tools/entrypoints.ts"],
  },
  {
    // The foreman: a manager (our queue) behind a worker's session.
    from: "lib/foreman/",
    allow: [
      "lib/foreman/",
      "lib/manager/work_queue.ts",
      "lib/manager/queue_event.ts",
      "lib/worker/",
      "lib/wire/",
      "lib/task",
      "lib/completed_task.ts",
      "lib/resources.ts",
      "lib/constants.ts",
      "lib/errors.ts",
    ],
  },
  {
    from: "worker/",
    allow: [
      "worker/",
      "lib/worker/",
      "lib/foreman/",
      "lib/wire/",
      "lib/constants.ts",
      "lib/errors.ts",
    ],
  },
  {
    // wq-run: the manager only through its public API (mod.ts), and local
    // workers as child processes; never lib/worker or lib/manager internals.
    from: "lib/run/",
    allow: ["lib/run/", "mod.ts", "lib/deploy/local_workers.ts", "lib/errors.ts"],
  },
  { from: "run/", allow: ["lib/run/", "lib/errors.ts", "tools/entrypoints.ts"] },
  { from: "mod.ts", allow: ["lib/"] },
  { from: "catalog/", allow: ["lib/catalog/", "lib/wire/", "lib/constants.ts", "lib/errors.ts"] },
];

/**
 * Lists the violations in the import graph of the given roots.
 *
 * @param roots Entry files relative to the repository root.
 * @returns One message per bad import.
 */
export async function checkDeps(roots: string[]): Promise<string[]> {
  const modules: Module[] = [];
  for (const root of roots) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", `${ROOT}/${root}`],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) {
      throw new Error(
        `Cannot read the import graph of '${root}': deno info exited with ${out.code}`,
      );
    }
    modules.push(
      ...(JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: Module[] }).modules,
    );
  }
  const graph = { modules };
  const base = `file://${ROOT}/`;
  const problems: string[] = [];
  for (const m of graph.modules) {
    if (!m.specifier.startsWith(base)) continue;
    const from = m.specifier.slice(base.length);
    const rule = RULES.find((r) => from.startsWith(r.from));
    for (const dep of m.dependencies ?? []) {
      const target = dep.code?.specifier ?? dep.type?.specifier ?? dep.specifier;
      if (target.startsWith("node:")) continue;
      if (!target.startsWith(base)) {
        problems.push(
          `${from} imports '${dep.specifier}': library code may import only relative files and node: built-ins`,
        );
        continue;
      }
      const to = target.slice(base.length);
      if (rule && !rule.allow.some((a) => to.startsWith(a))) {
        problems.push(
          `${from} imports ${to}: ${rule.from} may import only ${
            rule.allow.join(", ") || "nothing"
          }`,
        );
      }
    }
  }
  return problems;
}

if (import.meta.main) {
  const problems = await checkDeps([
    "mod.ts",
    "worker/main.ts",
    "catalog/main.ts",
    "catalog/status.ts",
    "worker/submit.ts",
    "worker/pool.ts",
    "run/main.ts",
  ]);
  for (const p of problems) console.error(p);
  if (problems.length > 0) Deno.exit(1);
  console.log("imports point one way");
}
