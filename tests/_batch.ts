/**
 * Helpers for the tests that submit workers through the real SLURM and Grid
 * Engine of this machine, which `deno task test` starts before the suite
 * (tools/testenv/).
 *
 * @module
 */

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { denoRunArgs } from "../tools/entrypoints.ts";
import { spawn, tempDir, until } from "./_harness.ts";
import { batchRunning, STATE_DIR, type System } from "../tools/testenv/setup.ts";
import { SGE_ENV } from "../tools/testenv/sge.ts";
import { slurmEnv } from "../tools/testenv/slurm.ts";

/**
 * The environment of `system`'s commands (sbatch, qsub...); fails with one
 * line naming the command that starts it, unless its daemons run.
 */
function batchEnv(system: System): Record<string, string> {
  if (!batchRunning(system)) {
    throw new Error(
      `Cannot test ${system}: its daemons are not running; \`deno task test\` starts them ` +
        `(as root), or run \`deno task test --setup-only\` first`,
    );
  }
  return {
    ...(system === "slurm" ? slurmEnv(STATE_DIR) : SGE_ENV),
    USER: Deno.env.get("USER") || "root",
  };
}

/**
 * Submits two workers to `system` with `wq-submit-workers` (run with its
 * exact permission flags), runs tasks on them through a manager on
 * 127.0.0.1 port 0, checks that both connected, and cancels the jobs.
 */
export async function submitAndRun(system: System): Promise<void> {
  const env = batchEnv(system);
  await using dir = await tempDir(`wq-${system}-`);
  await using wq = new WorkQueue({ port: 0 });
  await using submit = spawn([
    ...denoRunArgs("submit"),
    "-T",
    system,
    "--cores",
    "1",
    "-t",
    "60",
    "-d",
    dir.path,
    // The workspace in the test's directory: a job that qdel or scancel
    // kills cannot remove its own.
    `--worker-options=--single-shot -s ${dir.path}`,
    "127.0.0.1",
    String(wq.port),
    "2",
  ], { env });
  const status = await submit.status;
  assert.equal(status.code, 0, submit.log());
  const ids = [...submit.log().matchAll(new RegExp(`^submitted ${system} (\\S+) `, "gm"))].map((
    m,
  ) => m[1]);
  assert.equal(ids.length, 2, submit.log());
  try {
    for (let i = 0; i < 4; i++) {
      const t = new Task(`echo task ${i} on $(hostname)`);
      t.specifyCores(1);
      wq.submit(t);
    }
    let done = 0;
    const deadline = Date.now() + 60_000;
    while (done < 4) {
      if (Date.now() > deadline) throw new Error(`tasks did not finish: ${await logs(dir.path)}`);
      const t = await wq.wait(1);
      if (t === null) continue;
      assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, t.failure ?? undefined);
      assert.match(t.output ?? "", /^task \d on /);
      done++;
    }
    await until(() => wq.stats.workersJoined >= 2, "both workers to connect", 60_000);
    wq.shutdownWorkers(0);
  } finally {
    await cancelJobs(system, ids, env);
  }
}

/**
 * Cancels jobs and waits until the batch system has let go of them, so that
 * their processes and the scheduler's per-job directories are gone before
 * the test ends.
 */
async function cancelJobs(system: System, ids: string[], env: Record<string, string>) {
  const run = async (argv: string[]) => {
    const out = await new Deno.Command(argv[0], { args: argv.slice(1), env, stderr: "null" })
      .output();
    return new TextDecoder().decode(out.stdout);
  };
  const left = async () => {
    const listing = system === "slurm"
      ? await run(["squeue", "-h", "-o", "%i"])
      : await run(["qstat", "-u", "*"]);
    const listed = listing.split("\n").map((l) => l.trim().split(/\s+/)[0]);
    return ids.filter((id) => listed.includes(id));
  };
  await run(system === "slurm" ? ["scancel", ...ids] : ["qdel", ...ids]);
  await until(async () => (await left()).length === 0, `${system} to end jobs ${ids}`, 60_000);
}

async function logs(dir: string): Promise<string> {
  let text = "";
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.endsWith(".sh")) {
      text += `\n--- ${e.name}\n${await Deno.readTextFile(`${dir}/${e.name}`)}`;
    }
  }
  return text;
}
