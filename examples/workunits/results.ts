/**
 * The end of a run of the workunits example: Table II and the chains'
 * results on the terminal, and the CSV files.
 *
 * @module
 */

import { type Chain, checkpointFields, checkpointPath } from "./project.ts";
import { summarize, tableII, toCsv } from "./report.ts";
import type { State } from "./state.ts";

/** Prints Table II and the chains' results, and writes the CSV files. */
export async function report(
  dir: string,
  st: State,
  chains: Chain[],
  failedChains: string[],
): Promise<number> {
  const project = st.project;
  const total = chains.length * project.chunks;
  const summary = summarize(st.records, st.dispatched);
  console.log();
  console.log(
    tableII(
      `Table II: project ${project.name}, ${total} workunits in ${chains.length} chains, ${st.runs} run${
        st.runs === 1 ? "" : "s"
      } of the master`,
      summary,
    ),
  );

  const rows = chains.map((c) => {
    const done = st.done[c.id];
    const f = done > 0 ? checkpointFields(Deno.readTextFileSync(checkpointPath(dir, c, done))) : {};
    return [
      c.id,
      c.condition.name,
      c.condition.temperature,
      c.replicate,
      done,
      f.steps ?? 0,
      f.energy ?? "",
      f.rg ?? "",
      f.contacts ?? "",
      done > 0 ? checkpointPath(dir, c, done) : "",
    ];
  });
  const header = [
    "chain",
    "condition",
    "temperature",
    "replicate",
    "chunks",
    "steps",
    "energy",
    "rg",
    "contacts",
    "checkpoint",
  ];
  await Deno.writeTextFile(`${dir}/results.csv`, toCsv(header, rows));
  const recordHeader = [
    "chain",
    "chunk",
    "run",
    "task_id",
    "worker",
    "hostname",
    "exec_seconds",
    "turnaround_seconds",
    "attempts",
    "energy",
    "finished",
  ];
  await Deno.writeTextFile(
    `${dir}/workunits.csv`,
    toCsv(
      recordHeader,
      st.records.map((r) => [
        r.chain,
        r.chunk,
        r.run,
        r.taskId,
        r.worker,
        r.hostname,
        r.execSeconds,
        r.turnaroundSeconds,
        r.attempts,
        r.energy,
        r.finished,
      ]),
    ),
  );

  console.log();
  const shown = rows.map((r) => r.slice(0, 9).map(String));
  const widths = header.slice(0, 9).map((h, i) =>
    Math.max(h.length, ...shown.map((r) => r[i].length))
  );
  for (const r of [header.slice(0, 9), ...shown]) {
    console.log(
      r.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ").trimEnd(),
    );
  }
  console.log();
  console.log(`per-workunit records: ${dir}/workunits.csv; per-chain results: ${dir}/results.csv`);
  const finished = chains.filter((c) => st.done[c.id] === project.chunks).length;
  if (failedChains.length > 0) {
    console.log(`FAILED: chains given up after repeated failures: ${failedChains.join(", ")}`);
    return 1;
  }
  console.log(`all ${finished} chains finished (${summary.received} of ${total} workunits)`);
  return finished === chains.length ? 0 : 1;
}
