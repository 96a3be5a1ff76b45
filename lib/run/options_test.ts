import assert from "node:assert/strict";
import { parseRunArgs, RUN_USAGE } from "./options.ts";

Deno.test("parseRunArgs() defaults: port 9123 on every interface, no workers, progress on", () => {
  assert.deepEqual(parseRunArgs(["tasks.txt"]), {
    taskFile: "tasks.txt",
    port: 9123,
    interface: "0.0.0.0",
    name: undefined,
    catalog: undefined,
    passwordFile: undefined,
    workers: 0,
    out: undefined,
    maxRetries: undefined,
    quiet: false,
  });
});

Deno.test("parseRunArgs() reads every option, long and short", () => {
  const long = [
    "--port=0",
    "--interface",
    "127.0.0.1",
    "--name",
    "proj",
    "--catalog",
    "cat:9097",
    "--password",
    "wq.pw",
    "--workers",
    "3",
    "--out",
    "r.jsonl",
    "--max-retries",
    "2",
    "--quiet",
    "-",
  ];
  const short = ["-p", "0", "-I", "127.0.0.1", "-N", "proj", "-C", "cat:9097", "-P", "wq.pw"]
    .concat(["-w", "3", "-o", "r.jsonl", "--max-retries", "2", "-q", "-"]);
  const want = {
    taskFile: "-",
    port: 0,
    interface: "127.0.0.1",
    name: "proj",
    catalog: "cat:9097",
    passwordFile: "wq.pw",
    workers: 3,
    out: "r.jsonl",
    maxRetries: 2,
    quiet: true,
  };
  assert.deepEqual(parseRunArgs(long), want);
  assert.deepEqual(parseRunArgs(short), want);
  assert.equal(parseRunArgs(["-h"]), "help");
  assert.equal(parseRunArgs(["--help", "x", "y"]), "help");
});

Deno.test("parseRunArgs() rejects bad values with the option's name", () => {
  const cases: [string[], RegExp][] = [
    [[], /^Cannot run: expected one TASKFILE, got 0 arguments$/],
    [["a", "b"], /^Cannot run: expected one TASKFILE, got 2 arguments$/],
    [
      ["-p", "x", "t"],
      /^Cannot use option '--port': expected a whole number up to 65535, got 'x'$/,
    ],
    [["-p", "70000", "t"], /--port/],
    [["-p", "", "t"], /--port/],
    [["--workers=-1", "t"], /^Cannot use option '--workers'/],
    [["-w", "1.5", "t"], /--workers/],
    [["--max-retries", "many", "t"], /^Cannot use option '--max-retries'/],
    [["-N", "two words", "t"], /^Cannot use option '--name': expected a name without spaces/],
    [["-C", "cat:9097", "t"], /^Cannot use option '--catalog': it needs --name PROJECT$/],
    [["--out=", "t"], /^Cannot use option '--out': it is empty$/],
    [["--bogus", "t"], /bogus/],
    [["-p"], /-p/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseRunArgs(args), { message }, args.join(" "));
  }
});

Deno.test("RUN_USAGE lists every long option that parseRunArgs() takes", () => {
  for (const o of ["port", "interface", "name", "catalog", "password", "workers", "out"]) {
    assert.match(RUN_USAGE, new RegExp(`--${o} `));
  }
  assert.match(RUN_USAGE, /--max-retries N/);
  assert.match(RUN_USAGE, /--quiet/);
});
