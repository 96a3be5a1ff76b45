// Inputs made on the worker (a URL, a command) with Debian's CCTools protocol-9
// work_queue_worker: our manager sends `url` and `thirdget`, as CCTools' manager does.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_INPUT_MISSING, WorkQueue } from "../mod.ts";
import { startWorker, tempDir } from "./_harness.ts";

/** An HTTP server on 127.0.0.1 (port 0) serving /data.txt; anything else is a 404. */
function serveData(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      new URL(req.url).pathname === "/data.txt"
        ? new Response("served over http\n")
        : new Response("no such file\n", { status: 404 }),
  );
}

async function cctoolsWorker(port: number, dir: string) {
  await Deno.mkdir(`${dir}/ws`);
  return startWorker(port, {
    cctools: true,
    args: ["-t", "60", "-d", "all", "-o", `${dir}/worker.debug`, "-s", `${dir}/ws`, "--cores", "1"],
  });
}

Deno.test("CCTools' protocol-9 worker fetches a URL input and makes a command input", async () => {
  await using dir = await tempDir();
  await using http = serveData();
  const base = `http://127.0.0.1:${http.addr.port}`;
  await using wq = new WorkQueue({ port: 0 });
  await using worker = await cctoolsWorker(wq.port, dir.path);
  const first = new Task("cat a.txt b.txt").specifyCores(1)
    .specifyUrl(`${base}/data.txt`, "a.txt")
    .specifyFileCommand("echo made > %%", "b.txt", { cache: false });
  const second = new Task({
    command: "wc -c < a.txt",
    cores: 1,
    inputs: [{ url: `${base}/data.txt`, remote: "a.txt" }],
  });
  for (const t of [first, second]) {
    wq.submit(t);
    const back = await wq.wait(60);
    assert.equal(back, t, worker.log());
    assert.equal(t.ok, true, `${t.failure} ${worker.log()}`);
  }
  assert.equal(first.output, "served over http\nmade\n");
  assert.equal(second.output.trim(), "17");
  wq.shutdownWorkers(0);
  assert.equal((await worker.status).code, 0, worker.log());
});

Deno.test("a URL that answers 404 makes CCTools' worker disconnect: the task fails as input-missing after 3 tries, no endless loop", async () => {
  await using dir = await tempDir();
  await using http = serveData();
  const url = `http://127.0.0.1:${http.addr.port}/missing.txt`;
  const logs: string[] = [];
  await using wq = new WorkQueue({ port: 0, logger: (level, m) => logs.push(`${level}: ${m}`) });
  await using worker = await cctoolsWorker(wq.port, dir.path);
  const t = new Task("cat m.txt").specifyCores(1).specifyUrl(url, "m.txt");
  wq.submit(t);
  assert.equal(await wq.wait(90), t, worker.log());
  assert.equal(t.result, WORK_QUEUE_RESULT_INPUT_MISSING);
  assert.equal(t.outcome, "input-missing");
  assert.match(
    t.failure!,
    new RegExp(
      `^worker \\S+ \\(127\\.0\\.0\\.1:\\d+\\) dropped the connection while making input URL '${
        url.replaceAll(".", "\\.")
      }' \\(m\\.txt\\) \\(3 workers lost so;`,
    ),
  );
  assert.equal(logs.filter((l) => /task 1 cannot run/.test(l)).length, 1, logs.join("\n"));
  // The worker is still welcome: a good task runs on it afterwards.
  const ok = new Task("echo fine").specifyCores(1);
  wq.submit(ok);
  assert.equal(await wq.wait(60), ok, worker.log());
  assert.equal(ok.output, "fine\n");
  wq.shutdownWorkers(0);
  assert.equal((await worker.status).code, 0, worker.log());
});
