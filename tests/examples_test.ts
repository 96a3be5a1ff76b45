// The examples run as the README says: `deno task demo` (with the permissions
// defined once in deno.json) and `deno task convert` against a fake
// ImageMagick `convert` and one of our workers. The code blocks of README.md
// and docs/ are run or type-checked by doc_examples_test.ts.

import assert from "node:assert/strict";
import { exists, listeningPort, read, ROOT, spawn, startWorker, tempDir } from "./_harness.ts";

/** `deno task NAME ARGS...` from the repository root. */
function denoTask(name: string, args: string[] = []): string[] {
  return [Deno.execPath(), "task", "--quiet", name, ...args];
}

Deno.test("examples/demo.ts: two local workers run the ensemble and every output is right", async () => {
  await using demo = spawn(denoTask("demo"), { cwd: ROOT });
  const status = await demo.status;
  const log = demo.log();
  assert.equal(status.code, 0, `demo failed:\n${log}`);
  assert.match(log, /^all 20 tasks succeeded and all outputs are right$/m, log);
  assert.match(log, /tasks: +20 done of 20 submitted, 20 succeeded/, log);
  assert.match(log, /outputs: +20 of 20 verified/, log);
  assert.equal(
    log.match(/^\[ ?\d+\/20\] task +\d+ on .*: exit 0, .*; output ok$/gm)?.length,
    20,
    log,
  );
  assert.equal(
    log.match(/^ +worker: +.* ran \d+$/gm)?.length,
    2,
    `expected both workers to run tasks:\n${log}`,
  );
  const dir = log.match(/files in (\S+)/)?.[1];
  assert.ok(dir, log);
  assert.equal(await exists(dir), false, "the demo removes its temporary directory");
});

Deno.test("examples/convert.ts: one task per image through a fake convert on one of our workers", async () => {
  await using tmp = await tempDir();
  const d = tmp.path;
  // A stand-in for ImageMagick: `convert -swirl 360 IN OUT` copies IN to OUT and marks it.
  await Deno.mkdir(`${d}/bin`);
  await Deno.writeTextFile(
    `${d}/bin/convert`,
    '#!/bin/sh\ncat "$3" > "$4" && echo "swirled $1 $2" >> "$4"\n',
  );
  await Deno.chmod(`${d}/bin/convert`, 0o755);
  await Deno.mkdir(`${d}/images`);
  const names = ["a.jpg", "b.jpg", "it's c.png"];
  for (const n of names) await Deno.writeTextFile(`${d}/images/${n}`, `image ${n}\n`);
  await Deno.writeTextFile(`${d}/images/notes.txt`, "not an image\n");

  await using manager = spawn(
    denoTask("convert", ["--port", "0", "--hostname", "127.0.0.1", `${d}/images`]),
    { cwd: ROOT },
  );
  const port = await listeningPort(manager, "convert.ts");
  await Deno.mkdir(`${d}/ws`);
  await using worker = startWorker(port, {
    args: ["--single-shot", "-t", "60", "-s", `${d}/ws`],
    env: { PATH: `${d}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
  });

  const status = await manager.status;
  const log = manager.log();
  assert.equal(status.code, 0, `convert.ts failed:\n${log}\nworker:\n${worker.log()}`);
  assert.equal(log.match(/^submitted task \(id# \d+\): convert -swirl 360 /gm)?.length, 3, log);
  assert.equal(log.match(/^task \(id# \d+\) complete: .*\(return code 0\)$/gm)?.length, 3, log);
  assert.match(log, /^all tasks complete!$/m);
  for (const n of names) {
    const out = `${d}/images/${n.replace(/\.[^.]*$/, "")}.swirl.jpg`;
    assert.equal(await read(out), `image ${n}\nswirled -swirl 360\n`, out);
  }
  assert.equal(await exists(`${d}/images/notes.swirl.jpg`), false);
  // The manager closed, so the single-shot worker leaves.
  assert.equal((await worker.status).code, 0, worker.log());
});
