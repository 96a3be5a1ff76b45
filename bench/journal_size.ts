/**
 * How big a journal grows (docs/journal.md): a manager with a journal runs
 * N tasks on simulated workers (`sim_workers.ts`, in another process),
 * keeping at most WINDOW tasks in play (submitted, not yet delivered; `0`
 * submits all at once), and samples the journal's size as it goes. Prints
 * one JSON line: the largest size, the tasks in play then, the size at the
 * end and the rate.
 *
 * ```sh
 * deno run -A bench/journal_size.ts [--tasks 1000000] [--window 10000] [--workers 200] [--keys]
 * deno run -A bench/journal_size.ts --no-journal ...   # the same run without a journal, for its rate
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Task, WorkQueue } from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    tasks: { type: "string", default: "1000000" },
    window: { type: "string", default: "10000" },
    workers: { type: "string", default: "200" },
    keys: { type: "boolean", default: false },
    "no-journal": { type: "boolean", default: false },
  },
});
const tasks = Number(values.tasks);
const window = Number(values.window) || tasks;
const workers = Number(values.workers);

const dir = await Deno.makeTempDir({ prefix: "wq-journal-size-" });
const path = `${dir}/bench.wqj`;
let child: Deno.ChildProcess | undefined;
try {
  const journal = values["no-journal"] ? undefined : path;
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", journal });
  child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("sim_workers.ts", import.meta.url).pathname,
      "--port",
      String(wq.port),
      "--workers",
      String(workers),
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  while (wq.stats.workersConnected < workers) await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  let submitted = 0;
  let delivered = 0;
  let peak = { bytes: 0, inPlay: 0, at: 0 };
  const sample = () => {
    if (!journal) return;
    const bytes = Deno.statSync(path).size;
    if (bytes > peak.bytes) peak = { bytes, inPlay: submitted - delivered, at: delivered };
  };
  const top = () => {
    while (submitted < tasks && submitted - delivered < window) {
      const t = new Task("/bin/true");
      if (values.keys) t.key = `task-${submitted}`;
      wq.submit(t);
      submitted++;
    }
  };
  top();
  while (delivered < tasks) {
    const t = await wq.wait(60);
    if (!t) throw new Error(`Cannot measure: no task completed in 60 s (${delivered} delivered)`);
    if (t.result !== 0) throw new Error(`Task ${t.id} failed: result ${t.result}`);
    delivered++;
    if (delivered % 1000 === 0) {
      sample();
      top();
    }
  }
  wq.empty(); // acknowledges the last one
  await new Promise((r) => setTimeout(r, 10));
  sample();
  const seconds = (performance.now() - t0) / 1000;
  const finalBytes = journal ? Deno.statSync(path).size : 0;
  console.log(JSON.stringify({
    scenario: "journal-size",
    tasks,
    window: Number(values.window),
    keys: values.keys,
    journal: journal !== undefined,
    peakBytes: peak.bytes,
    peakInPlay: peak.inPlay,
    peakBytesPerTaskInPlay: Math.round(peak.bytes / Math.max(1, peak.inPlay)),
    finalBytes,
    tasksPerSecond: Math.round(tasks / seconds),
    seconds: Number(seconds.toFixed(1)),
  }));
  wq.shutdownWorkers(0);
} finally {
  await child?.stdin.close().catch(() => {});
  await child?.status;
  await Deno.remove(dir, { recursive: true });
}
