// `deno task worker` (catalog, status, submit, pool, run) in deno.json runs each
// entrypoint with exactly the flags of tools/entrypoints.ts, and arguments
// after the task name reach the program.

import assert from "node:assert/strict";
import { ENTRYPOINTS, ROOT, taskCommand } from "./entrypoints.ts";

const NAMES = Object.keys(ENTRYPOINTS) as (keyof typeof ENTRYPOINTS)[];

async function denoJsonTasks(): Promise<Record<string, string>> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  return config.tasks;
}

Deno.test("taskCommand() spells deno run, the flags and the main of an entrypoint", () => {
  assert.equal(
    taskCommand("status"),
    "deno run --allow-net --allow-env=CATALOG_HOST,CATALOG_PORT --allow-read catalog/status.ts",
  );
  assert.equal(taskCommand("catalog"), "deno run --allow-net catalog/main.ts");
});

Deno.test("deno.json has a task per entrypoint, with exactly the flags and main of tools/entrypoints.ts", async () => {
  const tasks = await denoJsonTasks();
  assert.deepEqual(NAMES.toSorted(), ["catalog", "pool", "run", "status", "submit", "worker"]);
  for (const name of NAMES) {
    assert.equal(
      tasks[name],
      taskCommand(name),
      `deno.json task '${name}' differs from tools/entrypoints.ts`,
    );
  }
});

/** Runs `deno task --quiet ARGS` in the repository root. */
async function denoTask(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test("deno task NAME --help runs each program from the repository root", async () => {
  const usage: Record<keyof typeof ENTRYPOINTS, RegExp> = {
    worker: /^Usage: wq-worker \[options\] HOST PORT$/m,
    catalog: /^Usage: wq-catalog \[options\]$/m,
    status: /^Usage: wq-status \[options\]/m,
    submit: /^Usage: wq-submit-workers -T SYSTEM/m,
    pool: /^Usage: wq-pool -T SYSTEM/m,
    run: /^Usage: wq-run \[options\] TASKFILE$/m,
  };
  await Promise.all(NAMES.map(async (name) => {
    const out = await denoTask([name, "--help"]);
    const stdout = out.stdout;
    assert.equal(out.code, 0, `deno task ${name} --help: ${out.stderr}`);
    assert.match(stdout, usage[name], `deno task ${name} --help printed:\n${stdout}`);
  }));
});

Deno.test("deno task worker passes its arguments through: a bad one is the worker's error", async () => {
  const out = await denoTask(["worker", "--cores", "many", "127.0.0.1", "9123"]);
  assert.equal(out.code, 1);
  assert.match(
    out.stderr,
    /^wq-worker: Cannot parse option '--cores': expected a whole number or 'all', got 'many' \(see --help\)$/m,
  );
});

Deno.test("the worker's flags grant reading /proc/driver/nvidia/gpus, so it counts GPUs without a prompt", async () => {
  const probe =
    `console.log(Deno.permissions.querySync({ name: "read", path: "/proc/driver/nvidia/gpus" }).state)`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...ENTRYPOINTS.worker.permissions, `data:application/javascript,${probe}`],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "granted");
});
