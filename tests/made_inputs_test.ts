/**
 * Inputs made on the worker, end to end: our manager and our worker, in
 * protocol 11 (the worker's `auto` choice with our manager) and protocol 9
 * (`--protocol 9`), with URLs served by a local HTTP server. A URL or a
 * command that fails ends its task as input-missing, with the reason, and
 * the worker stays connected.
 */

import assert from "node:assert/strict";
import { Task, WorkQueue } from "../mod.ts";
import { read, startWorker, tempDir, until } from "./_harness.ts";

/** A file server on 127.0.0.1: `/data.txt` and 404 for the rest; counts requests. */
function serveFiles() {
  const hits: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const path = new URL(req.url).pathname;
      hits.push(path);
      return path === "/data.txt"
        ? new Response("hello-url\n")
        : new Response("not here\n", { status: 404 });
    },
  );
  return {
    hits,
    url: (path: string) => `http://127.0.0.1:${server.addr.port}${path}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

for (const dialect of [11, 9] as const) {
  Deno.test(`protocol ${dialect}: URL and command inputs made by our worker; failures end the task, not the connection`, async () => {
    await using dir = await tempDir("wq-made-");
    await using files = serveFiles();
    await using wq = new WorkQueue({ port: 0, logger: () => {} });
    const debug = `${dir.path}/worker.debug`;
    const args = ["-s", dir.path, "--cores", "1", "--memory", "500", "--disk", "500"];
    args.push("-d", "all", "-o", debug, "-t", "60");
    if (dialect === 9) args.push("--protocol", "9");
    await using worker = startWorker(wq.port, { args });
    await until(() => wq.stats.workersConnected === 1, `the worker to connect\n${worker.log()}`);

    const both = await wq.run(
      new Task({
        command: "cat a.txt b.txt",
        inputs: [
          { url: files.url("/data.txt"), remote: "a.txt" },
          { command: "printf 'made\\n' > %%", remote: "b.txt", cache: false },
        ],
      }),
    );
    assert.equal(both.ok, true, both.failure ?? "");
    assert.equal(both.output, "hello-url\nmade\n");

    // Cached: the second task takes the URL from the worker's cache.
    const again = await wq.run(
      new Task({
        command: "cat a.txt",
        inputs: [{ url: files.url("/data.txt"), remote: "a.txt" }],
      }),
    );
    assert.equal(again.output, "hello-url\n");
    assert.deepEqual(files.hits, ["/data.txt"]);

    const missing = await wq.run(
      new Task({
        command: "cat x.txt",
        inputs: [{ url: files.url("/nope.txt"), remote: "x.txt" }],
      }),
    );
    assert.equal(missing.outcome, "input-missing");
    assert.ok(missing.failure?.includes(files.url("/nope.txt")), missing.failure ?? "");
    assert.match(missing.failure ?? "", /404/);

    const failing = await wq.run(
      new Task({
        command: "cat y.txt",
        inputs: [{ command: "echo cannot make it; exit 3 # %%", remote: "y.txt" }],
      }),
    );
    assert.equal(failing.outcome, "input-missing");
    assert.match(failing.failure ?? "", /echo cannot make it/);

    const nothing = await wq.run(
      new Task({ command: "cat z.txt", inputs: [{ command: "true %%", remote: "z.txt" }] }),
    );
    assert.equal(nothing.outcome, "input-missing");
    assert.match(nothing.failure ?? "", /true %%/);

    // The same worker, never dropped, still runs tasks.
    const after = await wq.run(new Task({ command: "echo still-here" }));
    assert.equal(after.output, "still-here\n");
    assert.equal(wq.stats.workersConnected, 1);
    assert.equal(wq.stats.workersRemoved, 0);

    const log = await read(debug);
    const hello = log.match(/workqueue (9|11) /g) ?? [];
    assert.deepEqual(hello, [`workqueue ${dialect} `], `one handshake, in protocol ${dialect}`);
    if (dialect === 11) assert.match(log, /cache-invalid/);
    else assert.doesNotMatch(log, /cache-(invalid|update)/);
  });
}
