import assert from "node:assert/strict";
import { parseBytes, parseDuration, parseWorkerArgs } from "./options.ts";

Deno.test("parseWorkerArgs() reads HOST PORT with defaults", () => {
  const o = parseWorkerArgs(["manager.example", "9123"]);
  assert.equal(o.action, "run");
  assert.equal(o.host, "manager.example");
  assert.equal(o.port, 9123);
  assert.equal(o.cores, undefined);
  assert.equal(o.memory, undefined);
  assert.equal(o.idleTimeout, 900);
  assert.equal(o.connectTimeout, 900);
  assert.equal(o.singleShot, false);
  assert.equal(o.debug, false);
  assert.equal(o.minBackoff, 1);
  assert.equal(o.maxBackoff, 60);
  assert.equal(o.maxStdout, 2 ** 30);
  assert.ok(o.workdir.length > 0);
});

Deno.test("parseWorkerArgs() reads HOST:PORT and [v6]:PORT", () => {
  assert.deepEqual([parseWorkerArgs(["h:1"]).host, parseWorkerArgs(["h:1"]).port], ["h", 1]);
  assert.equal(parseWorkerArgs(["[::1]:9000"]).host, "::1");
});

Deno.test("parseWorkerArgs() reads every option", () => {
  const o = parseWorkerArgs([
    "--cores=4",
    "--memory",
    "512",
    "--disk",
    "1000",
    "--gpus",
    "1",
    "-t",
    "2m",
    "-s",
    "/scratch",
    "--single-shot",
    "-o",
    "/tmp/d.log",
    "-i",
    "0.5",
    "-b",
    "10",
    "--max-stdout",
    "1M",
    "h",
    "1",
  ]);
  assert.equal(o.cores, 4);
  assert.equal(o.memory, 512);
  assert.equal(o.disk, 1000);
  assert.equal(o.gpus, 1);
  assert.equal(o.idleTimeout, 120);
  assert.equal(o.connectTimeout, 120);
  assert.equal(o.workdir, "/scratch");
  assert.equal(o.singleShot, true);
  assert.equal(o.debugFile, "/tmp/d.log");
  assert.equal(o.minBackoff, 0.5);
  assert.equal(o.maxBackoff, 10);
  assert.equal(o.maxStdout, 1 << 20);
});

Deno.test("parseWorkerArgs() lets --idle-timeout and --connect-timeout refine -t", () => {
  const o = parseWorkerArgs(["-t", "60", "--connect-timeout", "5", "h", "1"]);
  assert.equal(o.idleTimeout, 60);
  assert.equal(o.connectTimeout, 5);
});

Deno.test("parseWorkerArgs() takes -d with or without a subsystem", () => {
  assert.equal(parseWorkerArgs(["-d", "h", "1"]).debug, true);
  assert.equal(parseWorkerArgs(["-d", "h", "1"]).host, "h");
  assert.equal(parseWorkerArgs(["-d", "all", "h", "1"]).host, "h");
  assert.equal(parseWorkerArgs(["-d", "wq,tcp", "h", "1"]).debug, true);
  assert.equal(parseWorkerArgs(["-dwq", "h", "1"]).debug, true);
  assert.equal(parseWorkerArgs(["--debug=all", "h", "1"]).debug, true);
  assert.equal(parseWorkerArgs(["--debug", "h", "1"]).debug, true);
  assert.equal(parseWorkerArgs(["-d", "none", "h", "1"]).debug, false);
  assert.equal(parseWorkerArgs(["h", "1", "-d"]).port, 1);
});

Deno.test("parseWorkerArgs() treats 'all' and --cores 0 as detect", () => {
  assert.equal(parseWorkerArgs(["--cores", "all", "h", "1"]).cores, undefined);
  assert.equal(parseWorkerArgs(["--cores", "0", "h", "1"]).cores, undefined);
  assert.equal(parseWorkerArgs(["--gpus", "0", "h", "1"]).gpus, 0);
  assert.equal(parseWorkerArgs(["--memory", "all", "h", "1"]).memory, undefined);
});

Deno.test("parseWorkerArgs() answers --help and --version without HOST PORT", () => {
  assert.equal(parseWorkerArgs(["--help"]).action, "help");
  assert.equal(parseWorkerArgs(["-h"]).action, "help");
  assert.equal(parseWorkerArgs(["-v"]).action, "version");
});

Deno.test("parseWorkerArgs() names the bad option", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus", "h", "1"], /unknown option '--bogus'/],
    [["-x", "h", "1"], /unknown option '-x'/],
    [["--cores", "two", "h", "1"], /'--cores'.*'two'/],
    [["--memory", "-5", "h", "1"], /'--memory'/],
    [["h", "1", "--cores"], /option '--cores' needs a value/],
    [["--single-shot=1", "h", "1"], /'--single-shot' does not take a value/],
    [["-t", "soon", "h", "1"], /'--timeout'.*'soon'/],
    [["--connect-timeout", "x", "h", "1"], /'--connect-timeout'/],
    [["-i", "10", "-b", "5", "h", "1"], /'--max-backoff'/],
    [["--max-stdout", "lots", "h", "1"], /'--max-stdout'/],
    [[], /HOST PORT or HOST:PORT, got nothing/],
    [["h"], /HOST PORT/],
    [["h", "1", "2"], /HOST PORT/],
    [["h", "0"], /PORT.*1\.\.65535/],
    [["h", "70000"], /PORT/],
    [["h:x"], /PORT/],
    [["-s", "", "h", "1"], /'--workdir'/],
  ];
  for (const [args, pattern] of cases) {
    assert.throws(() => parseWorkerArgs(args), pattern, args.join(" "));
  }
});

Deno.test("parseDuration() and parseBytes() read units", () => {
  assert.equal(parseDuration("90", "-t"), 90);
  assert.equal(parseDuration("1.5s", "-t"), 1.5);
  assert.equal(parseDuration("2h", "-t"), 7200);
  assert.equal(parseDuration("1d", "-t"), 86400);
  assert.throws(() => parseDuration("-1", "-t"), RangeError);
  assert.equal(parseBytes("10", "--max-stdout"), 10);
  assert.equal(parseBytes("2K", "--max-stdout"), 2048);
  assert.equal(parseBytes("1GiB", "--max-stdout"), 2 ** 30);
  assert.throws(() => parseBytes("1.5G", "--max-stdout"), RangeError);
});

Deno.test("parseWorkerArgs() reads -P, --ssl and --ssl-ca", () => {
  const plain = parseWorkerArgs(["h", "1"]);
  assert.equal(plain.passwordFile, undefined);
  assert.equal(plain.ssl, false);
  const o = parseWorkerArgs(["-P", "pw.txt", "--ssl", "h", "1"]);
  assert.equal(o.passwordFile, "pw.txt");
  assert.equal(o.ssl, true);
  assert.equal(o.sslCa, undefined);
  assert.equal(parseWorkerArgs(["--password=/x/pw", "h:1"]).passwordFile, "/x/pw");
  const ca = parseWorkerArgs(["--ssl-ca", "ca.pem", "h", "1"]);
  assert.equal(ca.ssl, true, "--ssl-ca implies --ssl");
  assert.equal(ca.sslCa, "ca.pem");
  assert.throws(
    () => parseWorkerArgs(["-P", "", "h", "1"]),
    /'--password': the file name is empty/,
  );
  assert.throws(() => parseWorkerArgs(["h", "1", "-P"]), /option '--password' needs a value/);
});

Deno.test("parseWorkerArgs() reads --ssl-fingerprint (repeatable, any case, colons optional) and --ssl-insecure", () => {
  const fp = Array(32).fill("AB").join(":");
  const o = parseWorkerArgs([
    "--ssl-fingerprint",
    `sha256:${fp.toLowerCase()}`,
    "--ssl-fingerprint",
    "cd".repeat(32),
    "h",
    "1",
  ]);
  assert.equal(o.ssl, true, "--ssl-fingerprint implies --ssl");
  assert.deepEqual(o.sslFingerprints, [fp, Array(32).fill("CD").join(":")]);
  assert.equal(o.sslInsecure, false);
  const insecure = parseWorkerArgs(["--ssl-insecure", "h", "1"]);
  assert.deepEqual([insecure.ssl, insecure.sslInsecure], [true, true]);
  assert.equal(parseWorkerArgs(["h", "1"]).sslInsecure, false, "never the default");
  assert.throws(
    () => parseWorkerArgs(["--ssl-fingerprint", "ab:cd", "h", "1"]),
    /Cannot parse option '--ssl-fingerprint': expected a SHA-256 fingerprint .* got 'ab:cd'/,
  );
  assert.throws(
    () => parseWorkerArgs(["--ssl-insecure", "--ssl-ca", "ca.pem", "h", "1"]),
    /Cannot use --ssl-insecure with --ssl-ca or --ssl-fingerprint/,
  );
});

Deno.test("parseWorkerArgs() reads --measure-interval and --no-enforcement", () => {
  const d = parseWorkerArgs(["h", "1"]);
  assert.equal(d.measureInterval, 0.5);
  assert.equal(d.enforce, true);
  const o = parseWorkerArgs(["--measure-interval", "2", "--no-enforcement", "h", "1"]);
  assert.equal(o.measureInterval, 2);
  assert.equal(o.enforce, false);
  assert.equal(parseWorkerArgs(["--measure-interval=1m", "h", "1"]).measureInterval, 60);
  assert.throws(
    () => parseWorkerArgs(["--measure-interval", "0", "h", "1"]),
    /Cannot use option '--measure-interval': it must be above 0, got '0'/,
  );
  assert.throws(
    () => parseWorkerArgs(["--measure-interval", "often", "h", "1"]),
    /Cannot parse option '--measure-interval'/,
  );
  assert.throws(() => parseWorkerArgs(["--no-enforcement=yes", "h", "1"]), /does not take a value/);
});
