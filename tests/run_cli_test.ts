// wq-run (run/main.ts) as a program, with the permission flags of
// tools/entrypoints.ts, over loopback: local workers (--workers), an
// external worker (--port 0), JSON tasks with files, failures, bad input,
// standard input and SIGINT.

import assert from "node:assert/strict";
import { denoRunArgs } from "../tools/entrypoints.ts";
import { listeningPort, read, spawn, startWorker, tempDir, until } from "./_harness.ts";
import type { TaskRecord } from "../lib/run/report.ts";
import { startOurCatalog } from "./_catalog.ts";

/** `wq-run ARGS` on 127.0.0.1, in `cwd`. */
function wqRun(args: string[], cwd: string) {
  return spawn([...denoRunArgs("run"), "-I", "127.0.0.1", ...args], { cwd });
}

/** The JSON lines of a log (stdout and stderr merged): those that start with `{`. */
function records(text: string): TaskRecord[] {
  return text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

/** The lines wq-run printed about itself. */
function messages(log: string): string[] {
  return log.split("\n").filter((l) => l.startsWith("wq-run: "));
}

Deno.test("wq-run --workers 2 runs a file of commands and writes one JSON line per task", async () => {
  await using tmp = await tempDir();
  const lines = ["# six tasks", ""];
  for (let i = 1; i <= 6; i++) lines.push(`echo task ${i}; echo err ${i} >&2`);
  await Deno.writeTextFile(`${tmp.path}/tasks.txt`, lines.join("\n") + "\n");
  await using run = wqRun(["--port", "0", "--workers", "2", "tasks.txt"], tmp.path);
  const status = await run.status;
  const log = run.log();
  assert.equal(status.code, 0, log);
  const got = records(log).toSorted((a, b) => a.id - b.id);
  assert.equal(got.length, 6, log);
  got.forEach((r, i) => {
    assert.equal(r.id, i + 1);
    assert.equal(r.line, i + 3);
    assert.equal(r.command, `echo task ${i + 1}; echo err ${i + 1} >&2`);
    assert.equal(r.ok, true);
    assert.equal(r.result, "success");
    assert.equal(r.exitCode, 0);
    assert.equal(r.output, `task ${i + 1}\nerr ${i + 1}\n`);
    assert.equal(r.failure, null);
    assert.equal(r.tag, null);
    assert.match(r.host!, /^127\.0\.0\.1:\d+$/);
    assert.ok(Date.parse(r.submitted!) <= Date.parse(r.started!));
    assert.ok(Date.parse(r.started!) <= Date.parse(r.finished!));
    assert.equal(typeof r.ms, "number");
  });
  assert.match(
    log,
    /^wq-run: listening on port \d+; start workers with: deno task worker 127\.0\.0\.1 \d+$/m,
  );
  assert.match(log, /^wq-run: 6 tasks: 6 succeeded, 0 failed in \d+\.\d s$/m);
});

Deno.test("wq-run runs JSON tasks: input file, buffer, directory, env and tag in; files and a directory out", async () => {
  await using tmp = await tempDir();
  const d = tmp.path;
  await Deno.mkdir(`${d}/job/data/db`, { recursive: true });
  await Deno.writeTextFile(`${d}/job/data/words.txt`, "pear\napple\npear\n");
  await Deno.writeTextFile(`${d}/job/data/db/x.txt`, "x\n");
  const tasks = [
    {
      command: 'sort -u words.txt > sorted.txt; cat params >> sorted.txt; echo "$GREETING"',
      inputs: ["data/words.txt", { buffer: "n=2\n", remote: "params" }],
      outputs: [{ local: "results/sorted.txt", remote: "sorted.txt" }],
      env: { GREETING: "hello" },
      tag: "sort",
      cores: 1,
    },
    {
      command: "mkdir plots && ls db > plots/listing && echo a > plots/a",
      inputs: [{ directory: "data/db", remote: "db" }],
      outputs: [{ directory: "results/plots", remote: "plots" }],
      priority: 5,
      maxRetries: 2,
    },
  ].map((t) => JSON.stringify(t));
  await Deno.writeTextFile(`${d}/job/tasks.jsonl`, [...tasks, "echo plain line"].join("\n"));
  // Relative paths in the file resolve against its directory, not the working directory.
  await using run = wqRun(
    ["-p", "0", "-w", "1", "--out", "results.jsonl", "--quiet", "job/tasks.jsonl"],
    d,
  );
  const status = await run.status;
  const log = run.log();
  assert.equal(status.code, 0, log);
  assert.equal(await read(`${d}/job/results/sorted.txt`), "apple\npear\nn=2\n");
  assert.equal(await read(`${d}/job/results/plots/listing`), "x.txt\n");
  assert.equal(await read(`${d}/job/results/plots/a`), "a\n");
  assert.deepEqual(records(log), [], "with --out, nothing goes to stdout");
  const out = records(await read(`${d}/results.jsonl`)).toSorted((a, b) => a.line - b.line);
  assert.deepEqual(out.map((r) => [r.line, r.tag, r.ok, r.output]), [
    [1, "sort", true, "hello\n"],
    [2, null, true, ""],
    [3, null, true, "plain line\n"],
  ]);
  assert.deepEqual(
    messages(log).map((m) => m.replace(/\d+/g, "N")),
    [
      "wq-run: listening on port N; start workers with: deno task worker N.N.N.N N",
      "wq-run: N tasks: N succeeded, N failed in N.N s",
    ],
    "--quiet: no progress lines",
  );
});

Deno.test("wq-run exits 1 when a task fails, after running the others", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(
    `${tmp.path}/tasks.txt`,
    [
      "echo first",
      "echo failing; exit 3",
      '{"command": "echo no output", "outputs": ["never.txt"]}',
      "echo last",
    ].join("\n"),
  );
  await using run = wqRun(["-p", "0", "-w", "1", "tasks.txt"], tmp.path);
  const status = await run.status;
  const log = run.log();
  assert.equal(status.code, 1, log);
  const got = records(log).toSorted((a, b) => a.line - b.line);
  assert.deepEqual(got.map((r) => [r.line, r.ok, r.result, r.exitCode]), [
    [1, true, "success", 0],
    [2, false, "success", 3],
    [3, false, "output_missing", 0],
    [4, true, "success", 0],
  ]);
  assert.ok(got[2].failure, log);
  assert.match(log, /^wq-run: 4 tasks: 2 succeeded, 2 failed \(lines 2, 3\) in /m);
});

Deno.test("wq-run exits 2 on a bad line with one message, submitting nothing and keeping --out", async () => {
  await using tmp = await tempDir();
  const d = tmp.path;
  await Deno.writeTextFile(`${d}/old.jsonl`, "keep me\n");
  await Deno.writeTextFile(`${d}/in.txt`, "x\n");
  const cases: [string, string][] = [
    [
      'echo a\n\n{"command": "x", "cores": "x"}\necho b\n',
      `wq-run: tasks.txt:3: Cannot read task: 'cores' must be a positive whole number, got "x"`,
    ],
    [
      'echo a\n{"command": "wc -l in.txt", "inputs": ["in.txt"]}\n{"command": "x", "inputs": ["nope.txt"]}\n',
      `wq-run: tasks.txt:3: Cannot read task: input '${d}/nope.txt' does not exist`,
    ],
    [
      '{"command": "a", "outputs": ["r.txt"]}\n{"command": "b", "outputs": ["r.txt"]}\n',
      `wq-run: tasks.txt:2: Cannot read task: output '${d}/r.txt' is also the output of line 1`,
    ],
    [
      "# nothing\n",
      "wq-run: tasks.txt: Cannot read tasks: the file has no task, only blank lines and comments",
    ],
  ];
  for (const [text, message] of cases) {
    await Deno.writeTextFile(`${d}/tasks.txt`, text);
    // Port 1 would fail to listen: a bad file stops wq-run before the manager starts.
    await using run = wqRun(["-p", "1", "-w", "1", "--out", "old.jsonl", "tasks.txt"], d);
    const status = await run.status;
    assert.equal(status.code, 2, run.log());
    assert.equal(run.log(), `${message}\n`);
    assert.equal(await read(`${d}/old.jsonl`), "keep me\n");
  }
  await using missing = wqRun(["-p", "0", "absent.txt"], d);
  assert.equal((await missing.status).code, 2);
  assert.match(missing.log(), /^wq-run: Cannot read task file 'absent\.txt': .+\n$/);
  await using bad = wqRun(["--workers", "many", "tasks.txt"], d);
  assert.equal((await bad.status).code, 2);
  assert.equal(
    bad.log(),
    "wq-run: Cannot use option '--workers': expected a whole number up to 1000, got 'many' (see --help)\n",
  );
});

Deno.test("wq-run --port 0 prints its port, an external worker connects, and progress goes by lines off a terminal", async () => {
  await using tmp = await tempDir();
  const lines = Array.from({ length: 10 }, (_, i) => `echo ${i + 1}`);
  await Deno.writeTextFile(`${tmp.path}/tasks.txt`, lines.join("\n"));
  await using run = wqRun(["--port", "0", "tasks.txt"], tmp.path);
  const port = await listeningPort(run, "wq-run");
  assert.match(
    run.log(),
    new RegExp(`start workers with: deno task worker 127\\.0\\.0\\.1 ${port}\\n`),
  );
  await Deno.mkdir(`${tmp.path}/ws`);
  await using worker = startWorker(port, { args: ["--single-shot", "-s", `${tmp.path}/ws`] });
  const status = await run.status;
  const log = run.log();
  assert.equal(status.code, 0, log);
  assert.equal(records(log).length, 10, log);
  assert.ok(records(log).every((r) => r.ok));
  // One progress line per tenth of the tasks done, the last one left to the summary.
  const progress = messages(log).filter((m) => /^wq-run: \d+\/10: /.test(m));
  assert.equal(progress.length, 9, log);
  assert.match(
    progress[0],
    /^wq-run: 1\/10: 1 ok, 0 failed; \d+ running, \d+ waiting; 1 worker; [\d.]+ tasks\/s$/,
  );
  assert.ok(!log.includes("\x1b"), "no redrawing off a terminal");
  assert.equal((await worker.status).code, 0, worker.log());
});

Deno.test("wq-run --name --catalog --password: a worker finds the run by project and proves the password", async () => {
  await using tmp = await tempDir();
  const d = tmp.path;
  await using catalog = await startOurCatalog();
  const at = `127.0.0.1:${catalog.port}`;
  const name = `wq-run-test-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(`${d}/wq.pw`, "secret\n");
  await Deno.writeTextFile(`${d}/tasks.txt`, "echo found\n");
  await using run = wqRun(
    ["-p", "0", "--name", name, "--catalog", at, "--password", `${d}/wq.pw`, "tasks.txt"],
    d,
  );
  const port = await listeningPort(run, "wq-run");
  assert.match(
    run.log(),
    new RegExp(
      `start workers with: deno task worker -P ${d}/wq\\.pw 127\\.0\\.0\\.1 ${port} \\(or -M ${name}\\)\\n`,
    ),
  );
  await Deno.mkdir(`${d}/ws`);
  await using worker = startWorker(null, {
    args: ["--single-shot", "-s", `${d}/ws`, "-P", `${d}/wq.pw`, "-M", name, "-C", at],
  });
  const status = await run.status;
  assert.equal(status.code, 0, `${run.log()}\nworker:\n${worker.log()}`);
  assert.deepEqual(records(run.log()).map((r) => [r.ok, r.output]), [[true, "found\n"]]);
});

Deno.test("wq-run - reads the tasks from standard input, paths relative to the working directory", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.path}/in.txt`, "from stdin\n");
  await Deno.writeTextFile(
    `${tmp.path}/tasks.jsonl`,
    '{"command": "cat in.txt > out.txt", "inputs": ["in.txt"], "outputs": ["out.txt"]}\n',
  );
  const [exe, ...args] = [...denoRunArgs("run"), "-I", "127.0.0.1", "-p", "0", "-w", "1", "-"];
  await using run = spawn(["sh", "-c", 'exec "$0" "$@" < tasks.jsonl', exe, ...args], {
    cwd: tmp.path,
  });
  const status = await run.status;
  assert.equal(status.code, 0, run.log());
  assert.equal(await read(`${tmp.path}/out.txt`), "from stdin\n");
  assert.deepEqual(records(run.log()).map((r) => [r.line, r.ok]), [[1, true]]);
});

Deno.test("wq-run passes on the manager's warning about a task too large, and stops on SIGINT with exit 130", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(
    `${tmp.path}/tasks.txt`,
    'echo small\n{"command": "echo big", "cores": 100000}\n',
  );
  await using run = wqRun(["-p", "0", "-w", "1", "tasks.txt"], tmp.path);
  await until(
    () => records(run.log()).length === 1 && /manager: task 2 needs 100000 cores/.test(run.log()),
    "the small task done and the big one explained",
  );
  assert.match(
    run.log(),
    /^wq-run: manager: task 2 needs 100000 cores; the largest worker has \d+; it waits for a larger worker$/m,
  );
  run.kill("SIGINT");
  const status = await run.status;
  assert.equal(status.code, 130, run.log());
  assert.match(
    run.log(),
    /^wq-run: 2 tasks: 1 succeeded, 0 failed, 1 not done in [\d.]+ s \(interrupted\)$/m,
  );
});

Deno.test("wq-run on a terminal redraws one progress bar, and keeps it off the JSON lines", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.path}/tasks.txt`, "echo one\necho two\n");
  // script(1) gives wq-run a pseudo-terminal for stdout and stderr.
  const argv = [...denoRunArgs("run"), "-I", "127.0.0.1", "-p", "0", "tasks.txt"];
  const command = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  await using run = spawn(["script", "-qec", command, "/dev/null"], { cwd: tmp.path });
  const port = await listeningPort(run, "wq-run");
  // No worker yet: the bar shows both tasks waiting.
  // The terminal's line erase, made visible for the patterns below.
  const shown = () => run.log().replaceAll("\r\x1b[K", "<CLEAR>").replaceAll("\r\n", "\n");
  await until(() => shown().includes("<CLEAR>[....."), "the progress bar");
  assert.match(shown(), /<CLEAR>\[\.+\] 0\/2: 0 ok, 0 failed; 0 running, 2 waiting; 0 workers; /);
  await Deno.mkdir(`${tmp.path}/ws`);
  await using worker = startWorker(port, { args: ["--single-shot", "-s", `${tmp.path}/ws`] });
  const status = await run.status;
  const log = shown();
  assert.equal(status.code, 0, log);
  // Each JSON line starts right after the bar is cleared, and is whole.
  const json = log.split("\n").map((l) => l.slice(l.lastIndexOf("<CLEAR>") + 7))
    .filter((l) => l.startsWith("{"));
  assert.deepEqual(json.map((l) => JSON.parse(l).output).sort(), ["one\n", "two\n"]);
  // The bar is cleared before the summary, which is a line of its own.
  assert.match(log, /<CLEAR>wq-run: 2 tasks: 2 succeeded, 0 failed in [\d.]+ s\n/);
  assert.equal((await worker.status).code, 0, worker.log());
});
