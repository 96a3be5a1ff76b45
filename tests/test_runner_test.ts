// `deno task test` itself (tools/test.ts): its set-up refuses clearly
// without root, a second set-up skips what is there, and its leftover check
// fails a run that leaves a process, a file or a port behind.

import assert from "node:assert/strict";
import { ROOT } from "../tools/entrypoints.ts";
import { isRunning } from "../tools/testenv/daemons.ts";
import { tempDir } from "./_harness.ts";

/** Runs `tools/test.ts` from the checkout, as root. */
async function runner(
  args: string[],
  options: { env?: Record<string, string> } = {},
): Promise<{ code: number; out: string; stdout: string }> {
  return await output(
    [Deno.execPath(), "run", "--allow-all", `${ROOT}/tools/test.ts`, ...args],
    { cwd: ROOT, env: options.env },
  );
}

async function output(
  argv: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number; out: string; stdout: string }> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
  }).output();
  const d = new TextDecoder();
  const stdout = d.decode(out.stdout);
  return { code: out.code, out: stdout + d.decode(out.stderr), stdout };
}

Deno.test("deno task test --setup-only a second time finds everything and installs nothing", async () => {
  const r = await runner(["--setup-only"]);
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /apt-get|installed|starting/, r.out);
  assert.match(r.out, /set up; nothing else to do/);
});

Deno.test("without root, a missing package stops the set-up at once with one line naming the command", async () => {
  // As the user nobody. The checkout and Deno may sit where nobody cannot
  // read (under /root): the runner's tools/ and Deno go to a directory of
  // the test's first.
  await using dir = await tempDir("wq-nobody-");
  await Deno.chmod(dir.path, 0o755);
  await Deno.mkdir(`${dir.path}/home`, { mode: 0o777 });
  await Deno.chmod(`${dir.path}/home`, 0o777);
  await copyTree(`${ROOT}/tools`, `${dir.path}/tools`);
  const deno = `${dir.path}/deno`;
  await Deno.copyFile(Deno.execPath(), deno);
  const r = await output([
    "setpriv",
    "--reuid=nobody",
    "--regid=nogroup",
    "--clear-groups",
    deno,
    "run",
    "--allow-all",
    `${dir.path}/tools/test.ts`,
    "--setup-only",
  ], {
    cwd: dir.path,
    env: {
      HOME: `${dir.path}/home`,
      DENO_DIR: `${dir.path}/home/deno`,
      WQ_TEST_PACKAGES: "coop-computing-tools wq-no-such-package",
    },
  });
  assert.equal(r.code, 1, r.out);
  const lines = r.out.trim().split("\n").filter((l) => l.startsWith("test: "));
  assert.equal(lines.length, 1, r.out);
  assert.match(
    lines[0],
    /missing \(wq-no-such-package\) and installing them needs root; run: sudo \S+ task test$/,
  );
});

/** Copies a directory tree, readable by all. */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { mode: 0o755 });
  await Deno.chmod(to, 0o755);
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile) {
      await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
      await Deno.chmod(`${to}/${e.name}`, 0o644);
    }
  }
}

Deno.test("the leftover check fails a run that leaves a process, a file and a port behind", async () => {
  const r = await runner(["tests/fixtures/leaky_test_file.ts"]);
  const leak = /leaked pid (\d+) port (\d+)/.exec(r.out);
  assert.ok(leak, r.out);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, new RegExp(`leftover: process ${leak[1]} still runs: .*deno eval`));
  assert.match(r.out, /leftover: temporary file or directory left: \S+\/forgotten\.txt/);
  assert.match(
    r.out,
    new RegExp(`leftover: port still listening: tcp ${leak[2]} \\(pid ${leak[1]}`),
  );
  assert.match(r.out, /leftover check FAILED/);
  assert.match(r.stdout.trim().split("\n").at(-1) ?? "", /^1 passed, 1 failed$/);
  assert.ok(!isRunning(Number(leak[1]), "deno"), `the runner did not kill pid ${leak[1]}`);
});
