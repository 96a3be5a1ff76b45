/**
 * Password authentication (CCTools' `-P FILE`, `specify_password`) in both
 * directions, with real processes on loopback: our manager with CCTools'
 * `work_queue_worker` and with ours, our worker with CCTools' Python manager,
 * and status queries (CCTools' `work_queue_status` and ours).
 */

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { runStatusTool } from "./_catalog.ts";
import {
  PYTHON,
  read,
  requireBinary,
  spawn,
  startWorker,
  type TempDir,
  tempDir,
  until,
} from "./_harness.ts";

/** A manager whose log lines are kept. */
function manager(options: ConstructorParameters<typeof WorkQueue>[0]) {
  const log: string[] = [];
  const wq = new WorkQueue({ port: 0, ...options, logger: (_l, m) => log.push(m) });
  return { wq, log, text: () => log.join("\n") };
}

/** Writes the password files: the right one ends in a newline, which is part of it. */
async function passwords(dir: TempDir) {
  const right = `${dir.path}/pw`;
  const wrong = `${dir.path}/wrong-pw`;
  await Deno.writeTextFile(right, "s3cret\n");
  await Deno.writeTextFile(wrong, "s3cret"); // no newline: a different password
  return { right, wrong };
}

/** A task that turns an input buffer into an output file. */
function upperTask(dir: string, name: string): Task {
  const t = new Task("tr a-z A-Z < in.txt > out.txt; echo ran");
  t.specifyInputBuffer(`hello ${name}\n`, "in.txt", { cache: false });
  t.specifyOutputFile(`${dir}/${name}.out`, "out.txt");
  return t;
}

/** Sends `text` on a fresh connection and returns all the manager answers until it closes. */
async function rawQuery(port: number, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(text));
    let reply = "";
    const buf = new Uint8Array(4096);
    for (let n; (n = await conn.read(buf)) !== null;) {
      reply += new TextDecoder().decode(buf.subarray(0, n));
    }
    return reply;
  } finally {
    conn.close();
  }
}

async function waitTask(wq: WorkQueue, context: () => string): Promise<Task> {
  const t = await wq.wait(60);
  assert.ok(t, `no task came back within 60 s\n${context()}`);
  return t;
}

Deno.test("our manager with a password runs a task on CCTools' work_queue_worker -P; a wrong password is refused", async () => {
  await using dir = await tempDir("wq-auth-");
  const pw = await passwords(dir);
  const m = manager({});
  await using wq = m.wq;
  wq.specifyPasswordFile(pw.right);
  await Deno.mkdir(`${dir.path}/bad`);
  await Deno.mkdir(`${dir.path}/good`);

  await using bad = startWorker(wq.port, {
    cctools: true,
    args: ["-P", pw.wrong, "-t", "60", "-s", `${dir.path}/bad`],
  });
  const context = () => `--- manager:\n${m.text()}\n--- bad worker:\n${bad.log()}`;
  await until(
    () => /wrong password for manager 127\.0\.0\.1/.test(bad.log()),
    `CCTools' worker to report the wrong password\n${context()}`,
  );
  assert.match(
    m.text(),
    /disconnected 127\.0\.0\.1:\d+: Cannot authenticate: the peer presented the wrong password/,
  );

  const t = upperTask(dir.path, "cctools");
  wq.submit(t);
  await using good = startWorker(wq.port, {
    cctools: true,
    args: ["-P", pw.right, "--single-shot", "-t", "60", "-s", `${dir.path}/good`],
  });
  const done = await waitTask(wq, () => `${context()}\n--- good worker:\n${good.log()}`);
  assert.equal(done.result, WORK_QUEUE_RESULT_SUCCESS, done.failure ?? undefined);
  assert.equal(done.returnStatus, 0);
  assert.equal(done.output, "ran\n");
  assert.equal(await read(`${dir.path}/cctools.out`), "HELLO CCTOOLS\n");
  // Only the worker with the right password ever joined.
  assert.equal(wq.stats.workersJoined, 1, context());
});

/** A CCTools Python manager with a password: one task, its result as JSON lines. */
const PYTHON_MANAGER = `
import json, os, sys, time
from work_queue import WorkQueue, Task
pwfile, outdir = sys.argv[1], sys.argv[2]
q = WorkQueue(port=0)
q.specify_password(open(pwfile).read())  # the whole file, newline included
print(json.dumps({"event": "port", "port": q.port}), flush=True)
t = Task("tr a-z A-Z < in.txt > out.txt; echo ran")
t.specify_buffer("hello python\\n", "in.txt", cache=False)
t.specify_output_file(os.path.join(outdir, "python.out"), "out.txt", cache=False)
q.submit(t)
end = time.time() + 90
while time.time() < end:
    r = q.wait(1)
    if r:
        print(json.dumps({"event": "task", "result": r.result, "status": r.return_status,
                          "output": r.output}), flush=True)
        break
`;

Deno.test("CCTools' Python manager with a password runs a task on our worker -P; a wrong password is refused clearly", async () => {
  await using dir = await tempDir("wq-auth-py-");
  const pw = await passwords(dir);
  const script = `${dir.path}/manager.py`;
  await Deno.writeTextFile(script, PYTHON_MANAGER);
  await using py = spawn([PYTHON, script, pw.right, dir.path], {
    env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "1" },
  });
  const events = () =>
    py.log().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  await until(() => events().some((e) => e.event === "port"), `the manager's port\n${py.log()}`);
  const port = events().find((e) => e.event === "port").port as number;

  await using bad = startWorker(port, { args: ["-P", pw.wrong, "-t", "60", "-i", "0.2"] });
  const context = () => `--- manager:\n${py.log()}\n--- bad worker:\n${bad.log()}`;
  const refusal =
    /manager 127\.0\.0\.1:\d+: Cannot authenticate: the manager refused our password, and the manager's password is different/g;
  await until(
    () => (bad.log().match(refusal)?.length ?? 0) >= 2,
    `our worker to be refused twice (it keeps retrying)\n${context()}`,
  );
  await until(
    () => /presented the wrong password/.test(py.log()),
    `the Python manager to log the wrong password\n${context()}`,
  );
  // It never got in, so it never ran the task.
  assert.doesNotMatch(bad.log(), /connected to manager/);
  bad.kill();
  await bad.status;

  await using good = startWorker(port, { args: ["-P", pw.right, "--single-shot", "-t", "60"] });
  await until(
    () => events().some((e) => e.event === "task"),
    `the task's result\n${context()}\n--- good worker:\n${good.log()}`,
    90_000,
  );
  assert.deepEqual(events().find((e) => e.event === "task"), {
    event: "task",
    result: 0,
    status: 0,
    output: "ran\n",
  });
  assert.equal(await read(`${dir.path}/python.out`), "HELLO PYTHON\n");
  assert.equal((await good.status).code, 0, good.log());
});

Deno.test("our manager and our worker: the right password runs a task; a wrong one or none is refused on both sides", async () => {
  await using dir = await tempDir("wq-auth-ours-");
  const pw = await passwords(dir);
  const m = manager({ password: "s3cret\n" });
  await using wq = m.wq;

  // A peer that connects and says nothing, and one that sends half a line,
  // must not hold up anyone else.
  using _silent = await Deno.connect({ hostname: "127.0.0.1", port: wq.port });
  using garbage = await Deno.connect({ hostname: "127.0.0.1", port: wq.port });
  await garbage.write(new TextEncoder().encode("auth password sh"));

  await using none = startWorker(wq.port, { args: ["-t", "60", "-i", "0.2"] });
  await using wrong = startWorker(wq.port, { args: ["-P", pw.wrong, "-t", "60", "-i", "0.2"] });
  const context = () =>
    `--- manager:\n${m.text()}\n--- no -P:\n${none.log()}\n--- wrong -P:\n${wrong.log()}`;
  await until(
    () =>
      /this manager requires a password \(start the worker with -P FILE\)/.test(none.log()) &&
      /Cannot authenticate: the manager refused our password/.test(wrong.log()),
    `both workers to be refused\n${context()}`,
  );
  await until(
    () =>
      /Cannot authenticate: the peer presented the wrong password/.test(m.text()) &&
      /its first line was 'workqueue (9|11) .*' \(a worker started without a password\)/.test(
        m.text(),
      ),
    `the manager to log both refusals\n${context()}`,
  );

  wq.submit(upperTask(dir.path, "ours"));
  await using good = startWorker(wq.port, { args: ["-P", pw.right, "--single-shot", "-t", "60"] });
  const done = await waitTask(wq, () => `${context()}\n--- good:\n${good.log()}`);
  assert.equal(done.result, WORK_QUEUE_RESULT_SUCCESS, done.failure ?? undefined);
  assert.equal(done.output, "ran\n");
  assert.equal(await read(`${dir.path}/ours.out`), "HELLO OURS\n");
  assert.equal(wq.stats.workersJoined, 1, context());
  assert.doesNotMatch(wrong.log(), /connected to manager/);
});

Deno.test("a worker without -P that a password manager refuses gives up at its connect timeout", async () => {
  const m = manager({ password: "s3cret\n" });
  await using wq = m.wq;
  await using none = startWorker(wq.port, {
    // Several refusals fit in the timeout: none of them may restart it.
    args: ["--connect-timeout", "0.6", "-i", "0.1", "-b", "0.2"],
  });
  let exited: Deno.CommandStatus | undefined;
  none.status.then((s) => exited = s);
  await until(() => exited !== undefined, `the worker to give up\n${none.log()}`, 60_000);
  assert.equal(exited!.code, 0, none.log());
  assert.match(none.log(), /this manager requires a password/);
  assert.match(none.log(), /stopping: no manager served us in 0.6 s \(connect timeout\)/);
});

Deno.test("our worker -P: a missing or empty password file is one clear error and exit 1", async () => {
  await using dir = await tempDir("wq-auth-file-");
  const empty = `${dir.path}/empty`;
  await Deno.writeTextFile(empty, "");
  for (
    const [file, why] of [
      [`${dir.path}/missing`, "no such file"],
      [empty, "it is empty"],
    ]
  ) {
    await using w = startWorker(9, { args: ["-P", file, "-t", "5"] });
    const status = await w.status;
    assert.equal(status.code, 1, w.log());
    const lines = w.log().trim().split("\n");
    assert.equal(lines.length, 1, w.log());
    assert.match(
      lines[0],
      new RegExp(`^wq-worker: Cannot .*password file '${file}' given to -P/--password: ${why}$`),
    );
  }
});

Deno.test("status queries obey the password: CCTools' work_queue_status is refused; ours needs --password", async () => {
  await using dir = await tempDir("wq-auth-status-");
  const pw = await passwords(dir);
  const m = manager({ name: "auth-status", password: await Deno.readFile(pw.right) });
  await using wq = m.wq;
  wq.submit(new Task("true"));

  const cctools = await new Deno.Command(requireBinary("work_queue_status"), {
    args: ["-t", "10", "127.0.0.1", String(wq.port)],
    env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ccOut = new TextDecoder().decode(cctools.stdout) + new TextDecoder().decode(cctools.stderr);
  assert.doesNotMatch(ccOut, /auth-status/, `CCTools' status got the queue:\n${ccOut}`);
  await until(
    () =>
      /its first line was 'queue_status' \(a status query without the password\)/.test(m.text()),
    `the manager to log the refused status query\n${m.text()}\n--- work_queue_status:\n${ccOut}`,
  );

  const without = await runStatusTool(["--json", "127.0.0.1", String(wq.port)]);
  assert.equal(without.code, 1, without.stdout);
  assert.match(
    without.stderr,
    /^wq-status: Cannot query manager 127\.0\.0\.1:\d+: the manager requires a password \(give it with --password FILE\)\n$/,
  );

  const wrong = await runStatusTool(["--password", pw.wrong, "127.0.0.1", String(wq.port)]);
  assert.equal(wrong.code, 1, wrong.stdout);
  assert.match(wrong.stderr, /Cannot authenticate: the manager refused our password/);

  const right = await runStatusTool([
    "--json",
    "--password",
    pw.right,
    "127.0.0.1",
    String(wq.port),
  ]);
  assert.equal(right.code, 0, right.stderr);
  const [record] = JSON.parse(right.stdout);
  assert.equal(record.project, "auth-status");
  assert.equal(record.tasks_waiting, 1);

  // The HTTP status path is behind the password too.
  assert.equal(
    await rawQuery(wq.port, "GET /queue_status HTTP/1.1\r\n\r\n"),
    "auth password sha1\n",
  );
  await until(
    () => /its first line was 'GET \/queue_status HTTP\/1\.1'/.test(m.text()),
    `the manager to log the refused HTTP query\n${m.text()}`,
  );
});
