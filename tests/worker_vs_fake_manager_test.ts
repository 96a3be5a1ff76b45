/**
 * Our worker against a scripted manager on loopback: protocol errors,
 * unsafe names, kills, limits and the end of a session.
 */

import assert from "node:assert/strict";
import { denoRunArgs } from "../tools/entrypoints.ts";
import { exists, spawn, startWorker, tempDir, until } from "./_harness.ts";
import { FakeConn, Scenario, task } from "./_fake_manager.ts";

/** Whether a process exists and is not a zombie. */
async function alive(pid: number): Promise<boolean> {
  try {
    return !/^\d+ \(.*\) Z/.test(await Deno.readTextFile(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

Deno.test("handshake lists protocol 11 (the default) or 9, resources, tag and end time", async () => {
  await using dir = await tempDir();
  await using s11 = Scenario.start(dir.path);
  const c11 = new FakeConn(await s11.listener.accept());
  s11.conns.push(c11);
  assert.match((await c11.handshake())[0], /^workqueue 11 \S+ Linux x86_64 8\.0\.0$/);
  await c11.send("exit\n");
  await s11.assertCleanExit();

  await using s = Scenario.start(dir.path, ["--protocol", "9"]);
  const c = new FakeConn(await s.listener.accept());
  s.conns.push(c);
  const lines = await c.handshake();
  assert.match(lines[0], /^workqueue 9 \S+ Linux x86_64 8\.0\.0$/);
  assert.match(lines[1], /^info worker-id worker-[0-9a-f]{32}$/);
  assert.deepEqual(lines.slice(2), [
    "alive",
    "resource workers 1 1 1",
    "resource disk 1000 1000 1000",
    "resource memory 1000 1000 1000",
    "resource gpus 0 0 0",
    "resource cores 2 2 2",
    "resource tag 0",
    "info end_of_resource_update 0",
    "info tasks_running 0",
    "info wq-deno-fastpath 2", // ours: an info field CCTools' managers ignore
    "info worker-end-time 0",
  ]);
  await c.send("check\n");
  assert.equal(await c.line(), "alive");
  assert.equal(await c.line(), "info tasks_running 0");
  await c.send("exit\n");
  await c.closed();
  await s.assertCleanExit();
});

Deno.test("unknown command, auth and an over-long line make the worker disconnect", async (t) => {
  for (
    const [name, text] of [
      ["unknown", "bogus 1 2 3\n"],
      ["auth", "auth password sha1\n"],
      ["long line", "x".repeat(5000) + "\n"],
    ]
  ) {
    await t.step(name, async () => {
      await using dir = await tempDir();
      await using s = Scenario.start(dir.path);
      const c = await s.accept();
      await c.send(text);
      await c.closed();
      await s.assertCleanExit();
      if (name === "auth") assert.match(s.worker.log(), /this manager requires a password/);
    });
  }
});

Deno.test("infile missing from the cache fails the task (INPUT_MISSING), in both dialects", async () => {
  for (const protocol of ["9", "11"]) {
    await using dir = await tempDir();
    await using s = Scenario.start(dir.path, ["--protocol", protocol]);
    const c = await s.accept();
    await c.send(task(1, "true", "infile file-0-nothere x.txt 1\n"));
    await c.expect("info tasks_running 0");
    const [[h, out]] = await c.results();
    assert.equal(h, `result 1 1 ${out.length} 0 1`);
    assert.match(
      out,
      /input 'x\.txt' \(cache name 'file-0-nothere'\) is not in this worker's cache/,
    );
    await c.send("kill 1\nexit\n");
    await c.closed();
    await s.assertCleanExit();
  }
});

Deno.test("unsafe names are refused and nothing is written outside the workspace", async (t) => {
  const cases: [string, string][] = [
    ["put ../evil", "put ../evil 3 0644\nabc"],
    ["put encoded ../evil", "put ..%2Fevil 3 0644\nabc"],
    ["put ..", "put %2E%2E 3 0644\nabc"],
    ["dir entry ../evil", "dir good\nput ../evil 3 0644\nabcend\n"],
    ["get ../x", "get ../x 1\n"],
    ["unlink ..", "unlink ..\n"],
    ["infile remote ../../evil", "put a 3 0644\nabc" + task(1, "true", "infile a ../../evil 0\n")],
    ["infile remote /abs", "put a 3 0644\nabc" + task(1, "true", `infile a /tmp/evil-wq-abs 0\n`)],
    ["outfile remote ../../evil", task(1, "echo hi > x", "outfile ../evil ../../evil 0\n")],
    ["task dir ../../evil", task(1, "true", "dir ../../evil\n")],
  ];
  for (const [name, text] of cases) {
    await t.step(name, async () => {
      await using dir = await tempDir();
      const work = `${dir.path}/a/b`;
      await using s = Scenario.start(work);
      const c = await s.accept();
      await c.send(text);
      await c.closed();
      await s.assertCleanExit();
      for (
        const p of [`${dir.path}/evil`, `${dir.path}/a/evil`, `${work}/evil`, "/tmp/evil-wq-abs"]
      ) {
        assert.equal(await exists(p), false, `${p} was written`);
      }
    });
  }
});

Deno.test("kill stops a running task and its children, and forgets it", async () => {
  await using dir = await tempDir();
  await using s = Scenario.start(dir.path);
  const c = await s.accept();
  const pidFile = `${dir.path}/pid`;
  await c.send(task(1, `sleep 30 & echo $! > ${pidFile}; wait`, "cores 1\n"));
  await c.expect("info tasks_running 1");
  await until(
    async () => (await exists(pidFile)) && (await Deno.readTextFile(pidFile)).endsWith("\n"),
    "pid",
  );
  const pid = Number((await Deno.readTextFile(pidFile)).trim());
  await Deno.remove(pidFile);
  assert.ok(await alive(pid));
  const ws = await s.workspace();
  assert.ok(await exists(`${ws}/t.1`));
  await c.send("kill 1\ncheck\n");
  await c.expect("alive");
  assert.equal(await c.line(), "info tasks_running 0");
  await until(async () => !(await alive(pid)), "the background sleep to die");
  assert.equal(await exists(`${ws}/t.1`), false);
  // Unknown ids and kill -1 are fine.
  await c.send("kill 99\nkill -1\ncheck\n");
  await c.expect("alive");
  await c.send("exit\n");
  await c.closed();
  await s.assertCleanExit();
});

Deno.test("results: forsaken, wall time, signal, env, stdout limit, end time", async () => {
  await using dir = await tempDir();
  await using s = Scenario.start(dir.path, ["--max-stdout=10", "--protocol=9"]);
  const c = await s.accept();

  await c.send(task(1, "true", "cores 64\n"));
  assert.deepEqual(await c.results(), [["result 40 0 0 0 1", ""]]);

  await c.send(task(2, "sleep 10", "cores 1\nwall_time 0.2\n"));
  const [[wall]] = await c.results();
  assert.match(wall, /^result 56 9 0 \d+ 2$/);

  await c.send(task(3, "kill -9 $$", "cores 1\n"));
  const [[sig]] = await c.results();
  assert.match(sig, /^result 0 9 0 \d+ 3$/);

  await c.send(
    task(4, 'echo "$FOO|${HOME-unset}|$CORES|$TMPDIR"', "cores 1\nenv 7\nFOO=bar\nenv 4\nHOME\n"),
  );
  const [[h4, out4]] = await c.results();
  assert.match(h4, /^result 4 0 10 \d+ 4$/); // 10-byte limit: STDOUT_MISSING
  assert.equal(out4, "bar|unset|");

  await c.send(task(5, "echo 0123", "cores 1\n"));
  const [[h5, out5]] = await c.results();
  assert.match(h5, /^result 0 0 5 \d+ 5$/);
  assert.equal(out5, "0123\n");

  await c.send(task(6, "echo late", "cores 1\nend_time 1.000000\n"));
  const [[h6]] = await c.results();
  assert.match(h6, /^result 24 0 0 \d+ 6$/);

  await c.send("exit\n");
  await c.closed();
  await s.assertCleanExit();
});

Deno.test("put, dir, get and unlink keep files in the cache and stream them back", async () => {
  await using dir = await tempDir();
  await using s = Scenario.start(dir.path);
  const c = await s.accept();
  await c.send("put my%20file 5 0755\nhello");
  await c.send(
    "dir tree\nput a.txt 1 0644\nAdir sub\nput b.txt 2 0600\nBBend\nsymlink out 11\n/etc/passwdsymlink in 5\na.txtend\n",
  );
  await c.send("get my%20file 1\n");
  assert.equal(await c.expect(/^file /), "file my file 5");
  assert.equal(await c.body(5), "hello");
  await c.expect("end");
  const ws = await s.workspace();
  assert.equal((await Deno.stat(`${ws}/cache/my file`)).mode! & 0o777, 0o755);

  await c.send("get tree 1\n");
  const got: string[] = [];
  for (;;) {
    const l = await c.expect(/^(file|dir|missing|end)/);
    if (l === "end") break;
    got.push(l.startsWith("file ") ? `${l}:${await c.body(Number(l.split(" ").pop()))}` : l);
  }
  assert.deepEqual(got, [
    "dir tree 0",
    "file tree/a.txt 1:A",
    "file tree/in 1:A",
    "missing tree/out 2", // resolves outside the workspace
    "dir tree/sub 0",
    "file tree/sub/b.txt 2:BB",
  ]);

  await c.send("get nothing 1\n");
  assert.equal(await c.expect(/^missing/), "missing nothing 2");
  await c.expect("end");

  // A task sees the tree linked in, writes an output dir, which comes back.
  await c.send(
    task(1, "cat t/sub/b.txt > o/x; ls t", "cores 1\ninfile tree t 0\ndir o\noutfile res o 0\n"),
  );
  const [[h, out]] = await c.results();
  assert.match(h, /^result 0 0 \d+ \d+ 1$/);
  assert.equal(out, "a.txt\nin\nout\nsub\n");
  await c.send("get res 1\n");
  assert.equal(await c.expect(/^dir/), "dir res 0");
  assert.equal(await c.expect(/^file/), "file res/x 2");
  assert.equal(await c.body(2), "BB");
  await c.expect("end");

  await c.send("kill 1\nunlink tree\nunlink res\nunlink never-there\ncheck\n");
  await c.expect("alive");
  assert.equal(await exists(`${ws}/cache/tree`), false);
  assert.equal(await exists(`${ws}/t.1`), false);
  await c.send("exit\n");
  await c.closed();
  await s.assertCleanExit();
});

Deno.test("tasks queue when resources are busy and run when they free up", async () => {
  await using dir = await tempDir();
  await using s = Scenario.start(dir.path);
  const c = await s.accept();
  // Each takes both cores: the second waits for the first, which waits for the gate.
  await using gates = await tempDir(); // not the work dir, which must be left empty
  const gate = `${gates.path}/gate`;
  const first = `while [ ! -e ${gate} ]; do sleep 0.05; done; echo one`;
  await c.send(task(1, first, "cores 2\n") + task(2, "echo two", "cores 2\n"));
  await c.expect("info tasks_running 1");
  await c.send("check\n");
  await c.expect("alive");
  assert.equal(await c.line(), "info tasks_running 1");
  await Deno.writeTextFile(gate, "");
  const seen = new Map<number, string>();
  while (seen.size < 2) {
    for (const [h, out] of await c.results()) seen.set(Number(h.split(" ")[5]), out);
  }
  assert.deepEqual([...seen.entries()].sort(), [[1, "one\n"], [2, "two\n"]]);
  await c.send("exit\n");
  await c.closed();
  await s.assertCleanExit();
});

Deno.test("without --single-shot the worker reconnects after a lost connection and after release", async () => {
  await using dir = await tempDir();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using worker = startWorker(listener.addr.port, {
    args: ["-s", dir.path, "-i", "0.05", "-b", "0.2", "--cores=1", "--memory=100", "--disk=100"],
  });
  try {
    const first = new FakeConn(await listener.accept());
    await first.handshake();
    await first.send("put a 1 0644\nA");
    first.close(); // lost: the worker wipes its workspace and redials
    const second = new FakeConn(await listener.accept());
    await second.handshake();
    await second.send("get a 1\n");
    assert.equal(await second.expect(/^missing/), "missing a 2"); // the cache was wiped
    await second.expect("end");
    await second.send("release\n");
    await second.closed();
    const third = new FakeConn(await listener.accept());
    await third.handshake();
    await third.send("exit\n");
    await third.closed();
    third.close();
    second.close();
    assert.equal((await worker.status).code, 0);
  } finally {
    listener.close();
  }
  const left = [];
  for await (const e of Deno.readDir(dir.path)) left.push(e.name);
  assert.deepEqual(left, []);
});

Deno.test("idle timeout: the worker says so and exits 0", async () => {
  await using dir = await tempDir();
  await using s = Scenario.start(dir.path, ["-t", "0.3"]);
  const c = await s.accept();
  await c.expect("info idle-disconnecting 0.3");
  await c.closed();
  await s.assertCleanExit();
});

Deno.test("SIGTERM kills the tasks and removes the workspace", async () => {
  await using dir = await tempDir();
  await using s = Scenario.start(dir.path);
  const c = await s.accept();
  const pidFile = `${dir.path}/pid`;
  await c.send(task(1, `echo $$ > ${pidFile}; exec sleep 30`, "cores 1\n"));
  await until(
    async () => (await exists(pidFile)) && (await Deno.readTextFile(pidFile)).endsWith("\n"),
    "pid",
  );
  const pid = Number((await Deno.readTextFile(pidFile)).trim());
  await Deno.remove(pidFile);
  s.worker.kill("SIGTERM");
  await c.closed();
  await s.assertCleanExit();
  await until(async () => !(await alive(pid)), "the task to die");
});

Deno.test("bad options: one message naming the option, exit 1", async () => {
  for (
    const [args, pattern] of [
      [["--cores", "x", "h", "1"], /'--cores'/],
      [["--bogus", "h", "1"], /'--bogus'/],
      [["-t", "soon", "h", "1"], /'--timeout'/],
      [["--single-shot=yes", "h", "1"], /'--single-shot'/],
      [["h"], /HOST PORT/],
      [["h", "99999"], /PORT/],
    ] as [string[], RegExp][]
  ) {
    await using w = spawn([...denoRunArgs("worker"), ...args]);
    const st = await w.status;
    assert.equal(st.code, 1, w.log());
    assert.equal(w.log().trim().split("\n").length, 1, w.log());
    assert.match(w.log(), pattern);
  }
});

Deno.test("connect timeout: with no manager the worker gives up, exits 0 and cleans up", async () => {
  await using dir = await tempDir();
  // A port that was just free: nothing listens there.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  await using w = startWorker(port, {
    args: ["-s", dir.path, "--connect-timeout", "0.3", "-i", "0.1", "-b", "0.2"],
  });
  assert.equal((await w.status).code, 0, w.log());
  assert.match(w.log(), /connect timeout/);
  const left = [];
  for await (const e of Deno.readDir(dir.path)) left.push(e.name);
  assert.deepEqual(left, []);
});
