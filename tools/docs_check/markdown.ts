/**
 * Markdown reading shared by the documentation checks: code spans, table
 * cells, table separators and code fences.
 *
 * @module
 */

/** An API name in a code span: `name`, `name(args)` or `[Symbol.x]`. */
export const IDENTIFIER = /^(\[Symbol\.[A-Za-z]+\]|[A-Za-z_$][\w$]*)(\(.*\))?$/;

/** The names in backticks of a piece of Markdown that look like API names. */
export function spanNames(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/`([^`]+)`/g)) {
    const id = IDENTIFIER.exec(m[1].trim());
    if (id) names.push(id[1]);
  }
  return names;
}

/** The cells of a table row, split on unescaped `|`. */
export function cells(row: string): string[] {
  return row.trim().replace(/^\|/, "").replace(/\|$/, "").split(/(?<!\\)\|/);
}

/** The line under a table's header row. */
export const TABLE_SEPARATOR = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;
/** The opening or closing line of a code block. */
export const FENCE = /^\s*(```|~~~)/;
