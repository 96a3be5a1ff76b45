/**
 * Where a V8 CPU profile spent its time: the functions with the most self
 * time, and the share of idle, GC and native ("program") time. For the
 * profiles `deno task bench --profile DIR` writes.
 *
 * ```sh
 * deno run --allow-read bench/profile_top.ts FILE.cpuprofile... [--top 20] [--last SECONDS]
 * ```
 *
 * `--last S` counts only the last S seconds of each profile: for the
 * sim-workers scenarios, the measured run (its `seconds`) without the workers
 * connecting before it.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** A node of a `.cpuprofile`. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The parts of a `.cpuprofile` this reads. */
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time of one function, in microseconds. */
export interface SelfTime {
  name: string;
  micros: number;
}

/**
 * Sums the self time of every function of a profile.
 *
 * @param profile A parsed `.cpuprofile`.
 * @param lastMicros Count only the samples of this many final microseconds (default: all).
 * @returns Functions by self time, largest first, and the time counted.
 */
export function selfTimes(
  profile: CpuProfile,
  lastMicros = Infinity,
): { rows: SelfTime[]; totalMicros: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const sums = new Map<string, number>();
  const from = profile.endTime - lastMicros;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from) continue;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    const f = node.callFrame;
    const file = f.url.replace(/^file:\/\/.*?\/(lib|bench|worker|tests|mod\.ts)/, "$1");
    const name = f.url ? `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}` : f
      .functionName;
    // A sample's time is the delta to the next sample.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    sums.set(name, (sums.get(name) ?? 0) + dt);
  }
  const rows = [...sums].map(([name, micros]) => ({ name, micros }));
  rows.sort((a, b) => b.micros - a.micros);
  const total = profile.endTime - Math.max(profile.startTime, from);
  return { rows, totalMicros: total };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { top: { type: "string", default: "20" }, last: { type: "string" } },
    allowPositionals: true,
  });
  for (const file of positionals) {
    const last = values.last === undefined ? Infinity : Number(values.last) * 1e6;
    const { rows, totalMicros } = selfTimes(JSON.parse(await Deno.readTextFile(file)), last);
    console.log(`${file}: ${(totalMicros / 1e6).toFixed(2)} s profiled`);
    for (const r of rows.slice(0, Number(values.top))) {
      const pct = (100 * r.micros / totalMicros).toFixed(1).padStart(5);
      console.log(`  ${pct}%  ${(r.micros / 1000).toFixed(0).padStart(6)} ms  ${r.name}`);
    }
  }
}
