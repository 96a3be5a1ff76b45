// `deno task test` itself (tools/test.ts): its set-up refuses clearly
// without root, a second set-up skips what is there, and its leftover check
// fails a run that leaves a process, a file or a port behind.

import assert from "node:assert/strict";
import { ROOT } from "../tools/entrypoints.ts";
import { isRunning } from "../tools/testenv/daemons.ts";

/**
 * Runs `tools/test.ts`; with `unprivileged`, in a user namespace of its own
 * where it is not root (uid 65534) yet still reads the files it owns, so the
 * checkout and Deno's cache work wherever they are.
 */
async function runner(
  args: string[],
  options: { env?: Record<string, string>; unprivileged?: boolean } = {},
): Promise<{ code: number; out: string; stdout: string }> {
  const argv = [Deno.execPath(), "run", "--allow-all", `${ROOT}/tools/test.ts`, ...args];
  const cmd = options.unprivileged ? ["unshare", "--user", ...argv] : argv;
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: ROOT,
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
  const r = await runner(["--setup-only"], {
    unprivileged: true,
    env: { WQ_TEST_PACKAGES: "coop-computing-tools wq-no-such-package" },
  });
  assert.equal(r.code, 1, r.out);
  const lines = r.out.trim().split("\n").filter((l) => l.startsWith("test: "));
  assert.equal(lines.length, 1, r.out);
  assert.match(
    lines[0],
    /missing \(wq-no-such-package\) and installing them needs root; run: sudo \S+ task test$/,
  );
});

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
