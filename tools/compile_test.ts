// `deno task compile` and the permission flags of tools/entrypoints.ts: the
// task refuses clearly when denort is unavailable, and the worker's narrow
// flags let it work under the temporary directory and the working
// directory but not elsewhere.

import assert from "node:assert/strict";
import { denoRunArgs, ENTRYPOINTS, ROOT } from "./entrypoints.ts";

async function compile(env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "compile"],
    cwd: ROOT,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test("deno task compile without a cached denort or DENORT_BIN prints one clear line", async () => {
  const denoDir = await Deno.makeTempDir({ prefix: "wq-denodir-" });
  try {
    const r = await compile({ DENO_DIR: denoDir });
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split("\n").filter((l) => !l.startsWith("Task "));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      /^compile: Cannot compile: deno compile needs the base runtime 'denort' .* DENORT_BIN is not set/,
    );
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    const bad = await compile({ DENO_DIR: denoDir, DENORT_BIN: `${denoDir}/nope` });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Cannot compile: DENORT_BIN is '.*\/nope', which does not exist/);
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});

Deno.test("the compile task builds every entrypoint with the flags the tests use", async () => {
  const src = await Deno.readTextFile(`${ROOT}/tools/compile.ts`);
  assert.match(src, /\.\.\.e\.permissions/);
  assert.deepEqual(Object.values(ENTRYPOINTS).map((e) => e.binary).sort(), [
    "wq-catalog",
    "wq-pool",
    "wq-run",
    "wq-status",
    "wq-submit-workers",
    "wq-worker",
  ]);
  assert.deepEqual(ENTRYPOINTS.catalog.permissions, ["--allow-net"]);
  for (const e of Object.values(ENTRYPOINTS)) {
    await Deno.stat(`${ROOT}/${e.main}`);
    assert.ok(!e.permissions.includes("--allow-all") && !e.permissions.includes("-A"));
  }
});

Deno.test("the worker's exact flags refuse a workspace outside the temporary and working directories", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "wq-cwd-" });
  try {
    const out = await new Deno.Command(denoRunArgs("worker")[0], {
      args: [
        ...denoRunArgs("worker").slice(1),
        "-s",
        "/var/lib/wq-denied",
        "--single-shot",
        "127.0.0.1",
        "1",
      ],
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.notEqual(out.code, 0);
    assert.match(
      new TextDecoder().decode(out.stderr),
      /Requires write access to "\/var\/lib\/wq-denied"/,
    );
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
