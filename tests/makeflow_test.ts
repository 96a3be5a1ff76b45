/**
 * CCTools' Makeflow (Debian's, protocol 9) runs a workflow on our worker:
 * `makeflow -T wq` is a Work Queue manager, and our worker serves it.
 */

import assert from "node:assert/strict";
import { exists, read, requireBinary, spawn, startWorker, tempDir, until } from "./_harness.ts";

const WORKFLOW = `upper.txt: in.txt
\ttr a-z A-Z < in.txt > upper.txt

count.txt: upper.txt
\twc -c < upper.txt > count.txt

both.txt: upper.txt count.txt
\tcat upper.txt count.txt > both.txt
`;

Deno.test("CCTools' makeflow -T wq runs a three-rule workflow on our worker", async () => {
  const makeflow = requireBinary("makeflow", "apt-get install -y coop-computing-tools openmpi-bin");
  await using dir = await tempDir("wq-makeflow-");
  await Deno.writeTextFile(`${dir.path}/Makeflow`, WORKFLOW);
  await Deno.writeTextFile(`${dir.path}/in.txt`, "hello makeflow\n");
  await using flow = spawn([makeflow, "-T", "wq", "-Z", "port.txt", "Makeflow"], {
    cwd: dir.path,
    env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "1" },
  });
  await until(() => exists(`${dir.path}/port.txt`), `makeflow's port file\n${flow.log()}`);
  const port = Number((await read(`${dir.path}/port.txt`)).trim());
  assert.ok(port > 0, `makeflow's port: ${port}`);
  await using worker = startWorker(port, {
    args: [
      "-s",
      dir.path,
      "--single-shot",
      "-t",
      "60",
      "--cores",
      "1",
      "--memory",
      "500",
      "--disk",
      "500",
    ],
  });
  const status = await flow.status;
  assert.equal(status.code, 0, `makeflow failed:\n${flow.log()}\n--- worker:\n${worker.log()}`);
  assert.equal(await read(`${dir.path}/both.txt`), "HELLO MAKEFLOW\n15\n");
  assert.match(flow.log(), /nothing left to do/);
  assert.equal((await worker.status).code, 0, worker.log());
});
