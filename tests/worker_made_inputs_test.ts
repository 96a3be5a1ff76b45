/**
 * Our worker against a scripted protocol-11 manager replaying traces 01 and
 * 02 (tests/fixtures/p11/), with a local HTTP server standing in for the
 * trace's; then the cases the traces do not cover: a command that creates
 * nothing, a lazy URL, a coprocess task, `env NAME` in protocol 11, and
 * protocol 9's `url` and `thirdget`. The connection stays up throughout.
 */

import assert from "node:assert/strict";
import { ROOT, tempDir } from "./_harness.ts";
import { type FakeConn, Scenario, task } from "./_fake_manager.ts";
import { recordedWorkerSide, replay } from "./_replay.ts";

const FIXTURES = `${ROOT}/tests/fixtures/p11`;

/** An HTTP server on 127.0.0.1: `/data.txt` is served, anything else is 404. */
function httpServer(): Deno.HttpServer<Deno.NetAddr> & { hits: string[] } {
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    hits.push(path);
    if (path === "/data.txt") return new Response("served over http\n");
    return new Response("<html>not found</html>\n", { status: 404 });
  });
  return Object.assign(server, { hits });
}

/** A port on 127.0.0.1 that refuses connections (it was free a moment ago). */
function refusedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

/** Ends the session and checks that it was the only connection. */
async function finish(s: Scenario, c: FakeConn): Promise<void> {
  await c.send("exit\n");
  await c.closed();
  await s.assertCleanExit();
  assert.equal(s.conns.length, 1);
  assert.doesNotMatch(s.worker.log(), /disconnected from manager .*closed|reconnecting/);
}

Deno.test("trace 01 replayed: our protocol-11 worker answers as the 7.17 worker did", async () => {
  await using dir = await tempDir();
  await using s = Scenario.start(dir.path, ["--cores=1", "--memory=512"]);
  const c = await s.accept();
  const script = (await Deno.readTextFile(`${FIXTURES}/01_session.manager_to_worker.raw.txt`))
    // The recorded deadline is a few days after the recording: make it far.
    .replace(/^end_time \d+\.\d+$/m, "end_time 4102444800.000000");
  const ours = await replay(c, script);
  const theirs = recordedWorkerSide(
    await Deno.readTextFile(`${FIXTURES}/01_session.worker_to_manager.raw.txt`),
  );
  // Task 1 also checks that `env 8⏎UNSET_ME⏎` (no `=`) is ignored in 11.
  assert.deepEqual(ours.results, theirs.results);
  assert.deepEqual(ours.gets, theirs.gets);
  assert.deepEqual(ours.cache, []);
  await finish(s, c);
});

Deno.test("trace 02 replayed: URL and command inputs, cache-update and cache-invalid", async () => {
  await using dir = await tempDir();
  await using http = httpServer();
  const refused = refusedPort();
  await using s = Scenario.start(dir.path, ["--cores=1", "--memory=512"]);
  const c = await s.accept();
  const script = (await Deno.readTextFile(`${FIXTURES}/02_url_command.manager_to_worker.raw.txt`))
    .replaceAll("127.0.0.1:40325", `127.0.0.1:${http.addr.port}`)
    .replaceAll("127.0.0.1:44183", `127.0.0.1:${refused}`);
  const ours = await replay(c, script);
  const theirs = recordedWorkerSide(
    await Deno.readTextFile(`${FIXTURES}/02_url_command.worker_to_manager.raw.txt`),
  );
  const names = (side: string[]) => side.map((l) => l.split(" ").slice(0, 2).join(" "));
  assert.deepEqual(names(ours.cache), [
    "cache-update url-0-3db6155f8aa8e22f395bfc65b3375f65",
    // Ours: an HTTP error status is a failure (7.17's curl stored the error page).
    "cache-invalid url-3-5d6563c3c74cac47f179af954c2e960f",
    "cache-invalid url-4-834e66a5842008b964aef083596f672e",
    "cache-update cmd-0-4dcd794da11cfd23da5432ae5179c5ae",
    "cache-invalid cmd-7-752c5a422bde7f7140ae3d6669e08d53",
  ]);
  assert.deepEqual(names(theirs.cache).filter((n) => !n.includes("url-3")), [
    ...names(ours.cache).filter((n) => !n.includes("url-3")),
  ]);
  // Sizes of what was made match the recording.
  assert.match(ours.cache[0], / 17 \d+$/);
  assert.match(ours.cache[3], / 15 \d+$/);
  assert.match(ours.cache[1], /\nHTTP 404 Not Found\n/);
  assert.match(ours.cache[2], /\ncannot fetch it: .*(refused|Connect)/i);
  assert.match(ours.cache[4], /exited with status 3: cannot make \/.*\/cache\/cmd-7-752c/);
  assert.match(
    ours.cache[4],
    /\ncannot make \/.*\/cache\/cmd-7-752c5a422bde7f7140ae3d6669e08d53\n/,
  );

  const byId = new Map(ours.results.map(([h, out]) => [Number(h.split(" ")[4]), [h, out]]));
  const recorded = new Map(theirs.results.map(([h, out]) => [Number(h.split(" ")[4]), [h, out]]));
  for (const id of [1, 2, 5, 6]) assert.deepEqual(byId.get(id), recorded.get(id), `task ${id}`);
  const failed = (id: number, why: RegExp) => {
    const [h, out] = byId.get(id)!;
    assert.equal(h, `result 1 1 ${new TextEncoder().encode(out).length} ${id}`);
    assert.match(out, why);
    assert.equal(out.split("\n").length, 2, out); // one line
  };
  const url = `http://127\\.0\\.0\\.1:`;
  failed(3, new RegExp(`input 'nf\\.txt' from ${url}\\d+/no-such-file\\.txt: HTTP 404 Not Found`));
  failed(4, new RegExp(`input 'x\\.txt' from ${url}${refused}/x\\.txt: cannot fetch it: `));
  failed(7, /input 'bad\.txt' from command 'echo cannot make %%; exit 3': the command exited/);
  // The cached URL was fetched once for two tasks; the 404 once.
  assert.deepEqual(http.hits, ["/data.txt", "/no-such-file.txt"]);
  await finish(s, c);
});

Deno.test("made inputs: nothing created, lazy URL, retry after failure, coprocess, protocol-11 env", async () => {
  await using dir = await tempDir();
  await using http = httpServer();
  const base = `http://127.0.0.1:${http.addr.port}`;
  await using s = Scenario.start(dir.path);
  const c = await s.accept();
  const ours = await replay(
    c,
    // A command that exits 0 and creates nothing.
    "putcmd true%20%25%25 cmd-0-nofile 0 777\n" +
      task(1, "cat f", "cores 1\ninfile cmd-0-nofile f 0\n") + "send_results -1\nkill 1\n" +
      // A URL no task uses is never fetched.
      `puturl ${base}/never.txt url-0-lazy 0 777\nunlink url-0-lazy\n` +
      // A failed URL is forgotten: queued again, it is fetched again.
      `puturl ${base}/later.txt url-0-later 0 777\n` +
      task(2, "cat l", "cores 1\ninfile url-0-later l 1\n") + "send_results -1\nkill 2\n" +
      `puturl ${base}/data.txt url-0-later 0 777\n` +
      task(3, "cat l", "cores 1\ninfile url-0-later l 1\n") + "send_results -1\nkill 3\n" +
      // Reused from the cache: no fetch.
      task(4, "wc -c < l", "cores 1\ninfile url-0-later l 1\n") + "send_results -1\nkill 4\n" +
      // No coprocess here.
      task(5, "upper_fn", "coprocess 25\nwq_worker_coprocess:upper") + "send_results -1\nkill 5\n" +
      // Protocol 11 ignores `env NAME` without `=`.
      task(6, 'echo "FOO=$FOO"', "cores 1\nenv 7\nFOO=bar\nenv 3\nFOO\n") +
      "send_results -1\nkill 6\n",
  );
  assert.equal(ours.cache.length, 3, ours.cache.join("\n"));
  assert.match(ours.cache[0], /^cache-invalid cmd-0-nofile [1-9]\d*\n.*did not create the file/);
  assert.match(ours.cache[1], /^cache-invalid url-0-later \d+\nHTTP 404 Not Found\n/);
  assert.match(ours.cache[2], /^cache-update url-0-later 17 \d+$/);
  const [r1, r2, r3, r4, r5, r6] = ours.results;
  assert.match(r1[0], /^result 1 1 \d+ 1$/);
  assert.match(r1[1], /input 'f' from command 'true %%': the command exited 0 but did not create/);
  assert.match(r2[0], /^result 1 1 \d+ 2$/);
  assert.match(r2[1], /later\.txt: HTTP 404 Not Found/);
  assert.deepEqual(r3, ["result 0 0 17 3", "served over http\n"]);
  assert.deepEqual(r4, ["result 0 0 3 4", "17\n"]);
  assert.match(r5[0], /^result 32 0 \d+ 5$/);
  assert.match(
    r5[1],
    /needs coprocess 'wq_worker_coprocess:upper', and this worker runs no coprocess/,
  );
  assert.deepEqual(r6, ["result 0 0 8 6", "FOO=bar\n"]);
  assert.deepEqual(http.hits, ["/later.txt", "/data.txt"]);
  await finish(s, c);
});

Deno.test("protocol 9: url and thirdget (command, copy, link) are honoured, with no cache messages", async () => {
  await using dir = await tempDir();
  await using http = httpServer();
  const base = `http://127.0.0.1:${http.addr.port}`;
  const shared = `${dir.path}/shared.txt`;
  await Deno.writeTextFile(shared, "shared\n");
  await using s = Scenario.start(`${dir.path}/work`, ["--protocol", "9"]);
  const c = await s.accept();
  const url = (name: string, u: string, flags: number) =>
    `url ${name} ${u.length} 0777 ${flags}\n${u}`;
  const inputs = "infile url-0-a a 1\ninfile cmd-2-b b 0\ninfile c-3 c 0\ninfile d-4 d 0\n";
  const ours = await replay(
    c,
    url("url-0-a", `${base}/data.txt`, 1) +
      "thirdget 1 cmd-2-b echo made > %%\n" +
      `thirdget 2 c-3 ${shared}\nthirdget 3 d-4 ${shared}\n` +
      task(1, "cat a b c d; test -L d && echo linked", `cores 1\n${inputs}`) +
      "send_results -1\nkill 1\n" +
      url("url-5-m", `${base}/missing.txt`, 0) +
      task(2, "cat m", "cores 1\ninfile url-5-m m 0\n") + "send_results -1\nkill 2\n" +
      "thirdget 2 c-6 /nonexistent/file\n" +
      task(3, "cat c", "cores 1\ninfile c-6 c 0\n") + "send_results -1\nkill 3\n",
  );
  assert.deepEqual(ours.cache, []);
  assert.deepEqual(ours.results[0], [
    "result 0 0 43 1",
    "served over http\nmade\nshared\nshared\nlinked\n",
  ]);
  assert.match(ours.results[1][0], /^result 1 1 \d+ 2$/);
  assert.match(ours.results[1][1], /input 'm' from http:.*missing\.txt: HTTP 404 Not Found/);
  assert.match(ours.results[2][0], /^result 1 1 \d+ 3$/);
  assert.match(
    ours.results[2][1],
    /input 'c' from a copy of '\/nonexistent\/file': cannot copy it/,
  );
  await finish(s, c);
});
