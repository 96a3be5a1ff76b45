// One manager serves protocol-9 and protocol-11 workers on one port at once, each in its own
// dialect, and refuses any other protocol without sending a byte.

import assert from "node:assert/strict";
import { Task, WorkQueue } from "../mod.ts";
import { until } from "./_harness.ts";
import { FakeWorker } from "./_fake_worker.ts";

const URL_IN = "http://127.0.0.1:1/data.txt";
const COMMAND = "echo made > %%";

Deno.test("a protocol-9 and a protocol-11 worker at once each get URL and command inputs in their own dialect", async () => {
  await using wq = new WorkQueue({ port: 0 });
  const p9 = await FakeWorker.connect(wq.port, { answerChecks: true, protocol: 9 });
  const p11 = await FakeWorker.connect(wq.port, { answerChecks: true, protocol: 11 });
  try {
    await until(() => wq.stats.workersConnected === 2, "both workers");
    const tasks = [1, 2].map(() =>
      new Task("cat a.txt b.txt").specifyCores(1)
        .specifyUrl(URL_IN, "a.txt")
        .specifyFileCommand(COMMAND, "b.txt", { cache: false })
    );
    for (const t of tasks) wq.submit(t);
    for (const w of [p9, p11]) {
      const id = Number((await w.expect(/^task \d+$/))!.split(" ")[1]);
      await w.expect(/^end$/);
      const made = w === p11
        ? w.transcript.filter((l) => /^cache-|^put(url|cmd) /.test(l))
          .map((l) => l.split(" ").slice(1, 3))
          .map(([, name]) => `cache-update ${name} 5 100\n`).join("")
        : "";
      await w.send(`${made}info tasks_running 1\navailable_results\n`);
      await w.expect(/^send_results -1$/);
      await w.send(`result 0 0 5 1000 ${id}\nmade\nend\n`);
    }
    for (let i = 0; i < 2; i++) assert.equal((await wq.wait(30))?.ok, true);
    const urlMd5 = "([0-9a-f]{32})";
    const nine = p9.transcript.filter((l) =>
      !/^(check|cmd|category|cores|gpus|memory|disk)/.test(l)
    );
    assert.match(nine[0], new RegExp(`^url url-0-${urlMd5} ${URL_IN.length} 0777 1$`));
    assert.equal(nine[1], URL_IN);
    assert.match(nine[2], new RegExp(`^thirdget 1 cmd-[1-9]\\d*-${urlMd5} ${COMMAND}$`));
    assert.match(nine[3], /^task \d+$/);
    assert.match(nine[4], /^infile url-0-\S+ a\.txt 1$/);
    assert.match(nine[5], /^infile cmd-\S+ b\.txt 0$/);
    const eleven = p11.transcript.filter((l) => /^put(url|cmd) /.test(l));
    assert.match(
      eleven[0],
      new RegExp(`^puturl http://127\\.0\\.0\\.1:1/data\\.txt url-0-${urlMd5} 0 777$`),
    );
    assert.match(
      eleven[1],
      new RegExp(`^putcmd echo%20made%20%3E%20%25%25 cmd-\\d+-${urlMd5} 0 777$`),
    );
    assert.ok(!p9.transcript.some((l) => /^(puturl|putcmd|coprocess)/.test(l)));
    assert.ok(!p11.transcript.some((l) => /^(url|thirdget) /.test(l)));
    // The non-cached command input is unlinked after each task, in both dialects.
    await until(
      () => [p9, p11].every((w) => w.transcript.some((l) => /^unlink cmd-/.test(l))),
      "the unlinks",
    );
    assert.equal(wq.stats.workersConnected, 2);
  } finally {
    p9.close();
    p11.close();
  }
});

for (const protocol of [10, 12]) {
  Deno.test(`a worker speaking protocol ${protocol} is closed without a byte, and the log says why`, async () => {
    const logs: string[] = [];
    await using wq = new WorkQueue({ port: 0, logger: (level, m) => logs.push(`${level}: ${m}`) });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: wq.port });
    try {
      await conn.write(
        new TextEncoder().encode(
          `workqueue ${protocol} vm Linux x86_64 7.17.1\ninfo worker-id w\nalive\n` +
            "resource workers 1 1 1\nresource tag 0\ninfo worker-end-time 0\n",
        ),
      );
      const buf = new Uint8Array(64);
      let got = 0;
      for (;;) {
        const n = await conn.read(buf).catch((e) => {
          if (e instanceof Deno.errors.ConnectionReset) return null;
          throw e;
        });
        if (n === null) break;
        got += n;
      }
      assert.equal(got, 0, "no byte before the close");
      const local = conn.localAddr as Deno.NetAddr;
      assert.deepEqual(logs.filter((l) => l.includes("refused")), [
        `warn: refused worker 127.0.0.1:${local.port}: it speaks protocol ${protocol}; this manager speaks 9 and 11`,
      ]);
      assert.equal(wq.stats.workersConnected, 0);
      assert.equal(wq.stats.workersJoined, 0);
    } finally {
      conn.close();
    }
  });
}
