/**
 * How our worker finds the manager's protocol: 11 first, 9 after a silent
 * close right after the handshake; `--protocol` forces one; with `-M`, the
 * catalog record's `protocol` decides.
 */

import assert from "node:assert/strict";
import { startWorker, tempDir, until } from "./_harness.ts";
import { FakeConn, Scenario, task } from "./_fake_manager.ts";

/** Accepts one connection and returns its first line, then closes it without a byte. */
async function refuseOne(s: Scenario): Promise<string | null> {
  const c = new FakeConn(await s.listener.accept());
  const first = await c.line();
  c.close();
  return first;
}

Deno.test("auto: a manager that closes silently on 'workqueue 11' is served in protocol 9", async () => {
  await using dir = await tempDir();
  await using s = Scenario.start(dir.path);
  assert.match((await refuseOne(s))!, /^workqueue 11 /);
  const c = new FakeConn(await s.listener.accept());
  s.conns.push(c);
  assert.match((await c.handshake())[0], /^workqueue 9 /);
  // Protocol 9 unsets with `env NAME`.
  await c.send(task(1, 'echo "${HOME-unset}"', "cores 1\nenv 4\nHOME\n"));
  const [[h, out]] = await c.results();
  assert.match(h, /^result 0 0 6 \d+ 1$/);
  assert.equal(out, "unset\n");
  await c.send("kill 1\nexit\n");
  await c.closed();
  await s.assertCleanExit();
  assert.match(
    s.worker.log(),
    /closed the connection right after the handshake for protocol 11; trying protocol 9/,
  );
});

Deno.test("refused in both dialects, or in the forced one: one clear line naming both", async () => {
  await using dir = await tempDir();
  {
    await using s = Scenario.start(dir.path);
    assert.match((await refuseOne(s))!, /^workqueue 11 /);
    assert.match((await refuseOne(s))!, /^workqueue 9 /);
    await s.assertCleanExit(); // --single-shot
    assert.match(
      s.worker.log(),
      /the manager at 127\.0\.0\.1:\d+ closed the connection right after the handshake for protocol 11 and 9: it speaks another protocol, wants TLS \(--ssl\), or refused this worker/,
    );
  }
  {
    await using s = Scenario.start(dir.path, ["--protocol", "9"]);
    assert.match((await refuseOne(s))!, /^workqueue 9 /);
    await s.assertCleanExit();
    assert.match(
      s.worker.log(),
      /right after the handshake for protocol 9 \(--protocol 9\): it speaks another protocol \(try --protocol 11 or auto\)/,
    );
  }
});

Deno.test("-M: the catalog record's protocol chooses the first dialect (11, or 9 when absent)", async () => {
  for (const protocol of [11, undefined]) {
    await using dir = await tempDir();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const record = {
      type: "wq_master",
      project: "dialect-proj",
      port: listener.addr.port,
      address: "127.0.0.1",
      ...(protocol === undefined ? {} : { protocol }),
      network_interfaces: [{ interface: "lo", address: "127.0.0.1", family: "AF_INET" }],
    };
    await using catalog = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => Response.json([record]),
    );
    await using w = startWorker(null, {
      args: [
        "--single-shot",
        "--cores=1",
        "-s",
        dir.path,
        "-C",
        `127.0.0.1:${catalog.addr.port}`,
        "-M",
        "dialect-proj",
      ],
    });
    const c = new FakeConn(await listener.accept());
    assert.match((await c.handshake())[0], new RegExp(`^workqueue ${protocol ?? 9} `));
    await c.send("exit\n");
    await c.closed();
    c.close();
    listener.close();
    await until(() => w.status.then(() => true), "the worker to exit");
    assert.equal((await w.status).code, 0, w.log());
  }
});
