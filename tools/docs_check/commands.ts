/**
 * The checks of command lines and option tables in the documentation: every
 * `deno run` of an entrypoint has exactly its flags, every `deno task` exists,
 * and each option table lists exactly its program's long options (see
 * tools/docs_check.ts).
 *
 * @module
 */

import type { Entrypoint } from "../entrypoints.ts";
import { cells, FENCE, TABLE_SEPARATOR } from "./markdown.ts";
import type { DocFile } from "./api.ts";

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
