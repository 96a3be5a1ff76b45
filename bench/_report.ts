/**
 * The benchmark's summary: one row per scenario, rendered as a Markdown
 * table of medians and ratios.
 *
 * @module
 */

import type { Verdict } from "./_scenarios.ts";

/** One summary row. */
export interface Row {
  scenario: string;
  size: string;
  unit: string;
  ours?: number;
  cctools?: number;
  /** The protocol-11 CCTools of `--cctools-p11`, if given. */
  cctools11?: number;
  ceiling?: number;
  oursVsCctools?: number;
  oursVsCctools11?: number;
  oursVsCeiling?: number;
  target: string;
  verdict?: Verdict;
  /** Medians of extra fields (p90, heap bytes, CPU). */
  extras: Record<string, number>;
  /** Why a column is empty. */
  notes: string[];
}

/** Extra numeric fields worth a median (all but the headline and sizes). */
export const EXTRA_FIELDS = [
  "p90_ms",
  "file_mb_per_s",
  "heap_bytes_per_task",
  "submit_per_s",
  "managerCpuSeconds",
  "managerCpuPercent",
  "managerRssBytes",
  "managerHeapUsedBytes",
  "managerRssPerWorker",
  "managerHeapPerWorker",
  "simCpuSeconds",
  "plainTasksPerSecond",
  "plainManagerCpuSeconds",
  "plainSimCpuSeconds",
  "directManagerCpuUsPerTask",
  "foremenManagerCpuUsPerTask",
  "directTasksPerSecond",
  "foremenTasksPerSecond",
  "foremenCpuUsPerTask",
  "directSimCpuUsPerTask",
  "foremenSimCpuUsPerTask",
  "seconds",
];

/** The median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Significant-figure formatting for the table. */
export function num(v: number | undefined): string {
  if (v === undefined) return "—";
  if (v >= 100) return Math.round(v).toLocaleString("en-US");
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function ratioText(r: number | undefined): string {
  if (r === undefined) return "—";
  return r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}

/**
 * Renders the summary as a Markdown table.
 *
 * @param rows The summary rows.
 * @param options `cctools11`: add the protocol-11 CCTools columns.
 * @returns The table, one row per line.
 */
export function table(rows: Row[], options: { cctools11?: boolean } = {}): string {
  const p11 = options.cctools11 ?? false;
  const head = [
    "scenario",
    "size",
    "unit",
    "ours",
    "CCTools",
    ...(p11 ? ["CCTools 11"] : []),
    "ceiling",
    "ours/CCTools",
    ...(p11 ? ["ours/CCTools 11"] : []),
    "ours/ceiling",
    "target",
    "met?",
  ];
  const body = rows.map((r) => [
    r.scenario,
    r.size,
    r.unit,
    num(r.ours),
    num(r.cctools),
    ...(p11 ? [num(r.cctools11)] : []),
    num(r.ceiling),
    ratioText(r.oursVsCctools),
    ...(p11 ? [ratioText(r.oursVsCctools11)] : []),
    ratioText(r.oursVsCeiling),
    r.target || "—",
    r.verdict === undefined
      ? "—"
      : `${r.verdict.met === null ? "n/a" : r.verdict.met ? "yes" : "NO"} (${r.verdict.detail})`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)]
    .join("\n");
}
