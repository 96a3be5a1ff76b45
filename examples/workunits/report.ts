/**
 * What the project reports: a progress bar (or periodic lines), the summary
 * table in the form of the paper's Table II, and CSV files.
 *
 * @module
 */

import type { WorkunitRecord } from "./state.ts";

/** The figures of Table II. */
export interface Summary {
  /** Tasks dispatched to workers, retries included. */
  assigned: number;
  /** Workunits returned with a good result. */
  received: number;
  /** Mean and standard deviation of the execution time, in seconds. */
  meanSeconds: number;
  stdSeconds: number;
  /** Workers (connections) that returned a result. */
  workers: number;
  /** Distinct host names among them. */
  hosts: number;
}

/**
 * Table II's figures from the workunit records.
 *
 * @param records Every returned workunit.
 * @param assigned Tasks dispatched.
 * @returns The summary.
 */
export function summarize(records: WorkunitRecord[], assigned: number): Summary {
  const n = records.length;
  const mean = n ? records.reduce((a, r) => a + r.execSeconds, 0) / n : 0;
  const variance = n > 1
    ? records.reduce((a, r) => a + (r.execSeconds - mean) ** 2, 0) / (n - 1)
    : 0;
  return {
    assigned,
    received: n,
    meanSeconds: mean,
    stdSeconds: Math.sqrt(variance),
    workers: new Set(records.map((r) => r.worker)).size,
    hosts: new Set(records.map((r) => r.hostname)).size,
  };
}

/**
 * The summary as a two-column table like the paper's Table II.
 *
 * @param title The first line.
 * @param s The figures.
 * @returns Lines of text.
 */
export function tableII(title: string, s: Summary): string {
  const rows: [string, string][] = [
    ["Tasks assigned", String(s.assigned)],
    ["Results received", String(s.received)],
    ["Mean execution time", `${s.meanSeconds.toFixed(3)} s`],
    ["Std dev of execution time", `${s.stdSeconds.toFixed(3)} s`],
    ["Workers", String(s.workers)],
    ["Unique hosts", String(s.hosts)],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const v = Math.max(...rows.map(([, x]) => x.length));
  const rule = "-".repeat(w + v + 3);
  return [title, rule, ...rows.map(([k, x]) => `${k.padEnd(w)}   ${x.padStart(v)}`), rule]
    .join("\n");
}

function csvField(v: unknown): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * Rows as CSV text, with a header line.
 *
 * @param header Column names.
 * @param rows Values, one array per row.
 * @returns The CSV text.
 */
export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(",")).join("\n") + "\n";
}

/** Progress on stderr: a bar redrawn in place on a terminal (at most 10 times a second), else a line now and then. */
export class Progress {
  #total: number;
  #tty: boolean;
  #everyMs: number;
  #last = 0;
  #encoder = new TextEncoder();

  /**
   * @param total Workunits in the whole project.
   * @param everyMs How often to print a line when stderr is not a terminal.
   */
  constructor(total: number, everyMs: number) {
    this.#total = total;
    this.#tty = Deno.stderr.isTerminal();
    this.#everyMs = everyMs;
  }

  /**
   * Shows how far the project is.
   *
   * @param done Workunits done.
   * @param running Workunits on workers.
   * @param workers Workers connected.
   * @param force Print now even if a line was printed recently.
   */
  update(done: number, running: number, workers: number, force = false): void {
    const pct = this.#total ? Math.floor(100 * done / this.#total) : 100;
    const text =
      `${done}/${this.#total} workunits (${pct}%), ${running} running, ${workers} workers`;
    const now = Date.now();
    if (!force && now - this.#last < (this.#tty ? 100 : this.#everyMs)) return;
    this.#last = now;
    if (this.#tty) {
      const width = 30;
      const full = this.#total ? Math.round(width * done / this.#total) : width;
      const bar = "#".repeat(full) + ".".repeat(width - full);
      this.#write(`\r[${bar}] ${text}\x1b[K`);
      return;
    }
    this.#write(`progress: ${text}\n`);
  }

  /** Ends the bar's line (on a terminal). */
  finish(): void {
    if (this.#tty) this.#write("\n");
  }

  #write(s: string): void {
    const bytes = this.#encoder.encode(s);
    let n = 0;
    while (n < bytes.length) n += Deno.stderr.writeSync(bytes.subarray(n));
  }
}
