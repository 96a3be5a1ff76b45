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
import { LineReader } from "../lib/wire/line_reader.ts";
import { exists, tempDir } from "./_harness.ts";

const enc = new TextEncoder();
const HANDSHAKE = "workqueue 9 evilhost Linux x86_64 8.0.0\nresource workers 1 1 1\n" +
  "resource cores 1 1 1\nresource memory 100 100 100\nresource disk 100 100 100\n" +
  "resource tag 0\ninfo worker-end-time 0\n";

/** A worker that speaks the protocol but answers `get` with chosen entries. */
class EvilWorker {
  #conn: Deno.Conn;
  #r: LineReader;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#r = new LineReader(conn);
  }

  static async connect(port: number): Promise<EvilWorker> {
    const w = new EvilWorker(await Deno.connect({ hostname: "127.0.0.1", port }));
    await w.send(HANDSHAKE);
    return w;
  }

  async send(text: string): Promise<void> {
    const p = enc.encode(text);
    let off = 0;
    while (off < p.length) off += await this.#conn.write(p.subarray(off));
  }

  async #line(): Promise<string> {
    const l = await this.#r.readLine();
    if (l === null) throw new Error("the manager closed the connection");
    return l;
  }

  /** Reads one dispatched task: its id and the cache names of its outputs. */
  async takeTask(): Promise<{ id: number; outputs: string[] }> {
    let id = -1;
    const outputs: string[] = [];
    for (;;) {
      const l = await this.#line();
      const w = l.split(" ");
      if (w[0] === "task") id = Number(w[1]);
      else if (w[0] === "cmd" || w[0] === "put") {
        await this.#r.readExact(Number(w.at(w[0] === "put" ? 2 : 1)));
      } else if (w[0] === "outfile") outputs.push(w[1]);
      else if (l === "end" && id >= 0) return { id, outputs };
    }
  }

  /** Reports the task done and answers each `get` with `reply(name)`, then `end`. */
  async finish(id: number, reply: (name: string) => string, gets: number): Promise<void> {
    await this.send("available_results\n");
    assert.equal(await this.#line(), "send_results -1");
    await this.send(`result 0 0 0 10 ${id}\nend\n`);
    for (let i = 0; i < gets; i++) {
      const l = await this.#line();
      const m = /^get (\S+) 1$/.exec(l);
      assert.ok(m, `expected a get, got '${l}'`);
      await this.send(reply(m[1]) + "end\n");
    }
  }

  close(): void {
    this.#conn.close();
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
  const evil = await EvilWorker.connect(wq.port);
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
      const { id, outputs } = await evil.takeTask();
      assert.equal(id, t.id, name);
      await evil.finish(id, (n) => entries.replaceAll("@@", n), outputs.length);
      assert.equal(await wq.wait(30), t, name);
      assert.equal(t.result, WORK_QUEUE_RESULT_OUTPUT_MISSING, `${name}: ${t.failure}`);
      assert.match(t.failure ?? "", why, name);
      assert.match(t.failure ?? "", /output 'result'/, name);
      assert.equal(await exists(`${d}/out/${name}/result`), false, `${name}: no partial output`);
    }
    assert.ok(
      warnings.some((w) => /evilhost/.test(w) && /refused output/.test(w)),
      warnings.join("\n"),
    );

    // The same connection is still served: a good reply lands in place.
    const good = new Task("true").specifyOutputFile(`${d}/out/good/tree`, "tree");
    wq.submit(good);
    const { id, outputs } = await evil.takeTask();
    await evil.finish(
      id,
      (n) => `dir ${n} 0\ndir ${n}/sub 0\nfile ${n}/sub/b.txt 2\nB\n`,
      outputs.length,
    );
    assert.equal(await wq.wait(30), good);
    assert.equal(good.result, WORK_QUEUE_RESULT_SUCCESS, good.failure);
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
