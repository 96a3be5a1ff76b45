// A worker is not trusted with the manager's file system: output entries
// that leave the task's declared output (`..`, absolute paths, other names,
// NULs, empty components, symbolic links) are refused with a clear
// failure, nothing is written outside the output, and the same connection
// keeps being served.

import assert from "node:assert/strict";
import {
  Task,
  WORK_QUEUE_RESULT_OUTPUT_MISSING,
  WORK_QUEUE_RESULT_SUCCESS,
  WorkQueue,
} from "../mod.ts";
import { FakeWorker } from "./_fake_worker.ts";
import { exists, tempDir } from "./_harness.ts";

/** Reads one dispatched task: its id and the cache names of its outputs. */
async function takeTask(w: FakeWorker): Promise<{ id: number; outputs: string[] }> {
  const task = await w.expect(/^task \d+$/);
  assert.ok(task, "the manager closed the connection");
  const outputs: string[] = [];
  for (;;) {
    const l = await w.expect(/^(outfile .*|end)$/);
    assert.ok(l !== null, "the manager closed the connection");
    if (l === "end") return { id: Number(task.split(" ")[1]), outputs };
    outputs.push(l.split(" ")[1]);
  }
}

/** Reports the task done and answers each `get` with `reply(name)`, then `end`. */
async function finish(
  w: FakeWorker,
  id: number,
  reply: (name: string) => string,
  gets: number,
): Promise<void> {
  await w.send("available_results\n");
  assert.equal(await w.expect(/^send_results/), "send_results -1");
  await w.send(`result 0 0 0 10 ${id}\nend\n`);
  for (let i = 0; i < gets; i++) {
    const l = await w.expect(/^get /);
    const m = /^get (\S+) 1$/.exec(l ?? "");
    assert.ok(m, `expected a get, got '${l}'`);
    await w.send(reply(m[1]) + "end\n");
  }
}

/** Every path under `dir`, relative, sorted. */
async function tree(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}${rel}`)) {
    const r = `${rel}/${e.name}`;
    out.push(r + (e.isSymlink ? "@" : e.isDirectory ? "/" : ""));
    if (e.isDirectory && !e.isSymlink) out.push(...await tree(dir, r));
  }
  return out.sort();
}

Deno.test("output entries that leave the output are refused; the task fails and the worker is still served", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  await Deno.mkdir(`${d}/outside`);
  await Deno.writeTextFile(`${d}/outside/keep.txt`, "untouched\n");
  const warnings: string[] = [];
  await using wq = new WorkQueue({
    port: 0,
    hostname: "127.0.0.1",
    logger: (level, m) => level === "warn" && warnings.push(m),
  });
  const evil = await FakeWorker.connect(wq.port, { answerChecks: true });
  try {
    // name => entries; `@@` is replaced by the cache name asked for.
    const cases: [string, string, RegExp][] = [
      ["dot-dot", "file @@/../../../escape.txt 5\nEVIL!file @@ 2\nok", /'\.\.' component/],
      ["deep dot-dot", "dir @@ 0\nfile @@/sub/../../../../escape.txt 5\nEVIL!", /'\.\.' component/],
      ["absolute", `file ${d}/outside/escape.txt 5\nEVIL!`, /not inside/],
      ["double slash", `dir @@ 0\nfile @@/${d}/outside/escape.txt 5\nEVIL!`, /absolute path/],
      ["other name", "file @@x 5\nEVIL!", /not inside/],
      ["empty component", "dir @@ 0\nfile @@/ 5\nEVIL!", /empty/],
      ["NUL", "dir @@ 0\nfile @@/a\0b 5\nEVIL!", /NUL/],
      [
        "symlink",
        `dir @@ 0\nsymlink @@/link ${d.length + 8}\n${d}/outsidefile @@/link/escape.txt 5\nEVIL!`,
        /symbolic link/,
      ],
      ["file over dir", "dir @@ 0\nfile @@ 5\nEVIL!", /cannot be written/],
      ["nothing sent", "", /not sent/],
    ];
    for (const [name, entries, why] of cases) {
      const t = new Task("true").specifyOutputFile(`${d}/out/${name}/result`, "result");
      wq.submit(t);
      const { id, outputs } = await takeTask(evil);
      assert.equal(id, t.id, name);
      await finish(evil, id, (n) => entries.replaceAll("@@", n), outputs.length);
      assert.equal(await wq.wait(30), t, name);
      assert.equal(t.result, WORK_QUEUE_RESULT_OUTPUT_MISSING, `${name}: ${t.failure}`);
      assert.match(t.failure ?? "", why, name);
      assert.match(t.failure ?? "", /output 'result'/, name);
      assert.equal(await exists(`${d}/out/${name}/result`), false, `${name}: no partial output`);
    }
    assert.ok(
      warnings.some((w) => /^worker fake \(/.test(w) && /refused output/.test(w)),
      warnings.join("\n"),
    );

    // The same connection is still served: a good reply lands in place.
    const good = new Task("true").specifyOutputFile(`${d}/out/good/tree`, "tree");
    wq.submit(good);
    const { id, outputs } = await takeTask(evil);
    await finish(
      evil,
      id,
      (n) => `dir ${n} 0\ndir ${n}/sub 0\nfile ${n}/sub/b.txt 2\nB\n`,
      outputs.length,
    );
    assert.equal(await wq.wait(30), good);
    assert.equal(good.result, WORK_QUEUE_RESULT_SUCCESS, good.failure ?? undefined);
    assert.equal(await Deno.readTextFile(`${d}/out/good/tree/sub/b.txt`), "B\n");
  } finally {
    evil.close();
  }

  // Nothing outside the declared outputs: only the good output and the
  // (empty) parent directories of the failed ones exist.
  const all = await tree(d);
  const unexpected = all.filter((p) =>
    !/^\/out\/?$/.test(p) && !/^\/out\/[^/]+\/?$/.test(p) && !p.startsWith("/out/good/") &&
    !/^\/outside\/(keep\.txt)?$/.test(p)
  );
  assert.deepEqual(unexpected, [], all.join("\n"));
  assert.equal(await Deno.readTextFile(`${d}/outside/keep.txt`), "untouched\n");
});
