import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import {
  cacheNameProblem,
  formatMode,
  parseDecimalField,
  parseIntField,
  parseMode,
  remoteNameProblem,
  urlDecode,
  urlEncode,
} from "./protocol.ts";

Deno.test("urlEncode encodes what CCTools encodes and urlDecode undoes it", () => {
  assert.equal(urlEncode("a b%c\\d<e>f'g\"h{|}~"), "a%20b%25c%5Cd%3Ce%3Ef%27g%22h%7B%7C%7D%7E");
  assert.equal(urlEncode("plain-name_1.txt"), "plain-name_1.txt");
  for (const s of ["my file.txt", "100%", "tab\there", "x+y", "ünï"]) {
    assert.equal(urlDecode(urlEncode(s)), s);
  }
  assert.equal(urlDecode("a+b%2"), "a+b%2");
});

Deno.test("remoteNameProblem refuses names that leave the sandbox", () => {
  for (const bad of ["", "/etc/passwd", "../x", "a/../../x", "a/..", ".", "./", "a\0b", "a\nb"]) {
    assert.ok(remoteNameProblem(bad), `should refuse '${bad}'`);
  }
  for (const good of ["a", "a/b/c.txt", "./a", "..a", "a..b/c"]) {
    assert.equal(remoteNameProblem(good), undefined);
  }
});

Deno.test("cacheNameProblem refuses paths and dot names", () => {
  for (const bad of ["", "a/b", ".", "..", "x\0"]) assert.ok(cacheNameProblem(bad));
  assert.equal(cacheNameProblem("file-0-abc-in.txt"), undefined);
});

Deno.test("parseIntField accepts integers and names the bad field", () => {
  assert.equal(parseIntField("-1", "n", "kill -1"), -1);
  assert.throws(
    () => parseIntField("1x", "length", "put a 1x 0644"),
    (e: Error) => e instanceof ProtocolError && /length/.test(e.message) && /1x/.test(e.message),
  );
  assert.throws(() => parseIntField(undefined, "id", "task"), ProtocolError);
});

Deno.test("urlEncode() gives back a name that needs no encoding as it is", () => {
  for (
    const s of [
      "file-0-fc91f21b3f8552b556a1ea9731c804d5-in.txt",
      "a/b.c_d-e",
      "",
      "z!#$&()*+,;=?@[]^`",
    ]
  ) {
    assert.equal(urlEncode(s), s);
  }
  assert.equal(urlEncode("é"), "%C3%A9");
  assert.equal(urlEncode("a\u007fb"), "a%7Fb");
});

Deno.test("parseMode() reads octal like %o and formatMode() writes it as the C manager does", () => {
  assert.equal(parseMode("0644", "l"), 0o644);
  assert.equal(parseMode("777", "l"), 0o777);
  assert.equal(parseMode("4755", "l"), 0o4755);
  for (const bad of ["0x1", "8", "", "-644", "06440000"]) {
    assert.throws(() => parseMode(bad, "l"), ProtocolError, bad);
  }
  assert.throws(() => parseMode(undefined, "l"), ProtocolError);
  assert.equal(formatMode(0o644), "0644");
  assert.equal(formatMode(0o100600), "0600");
  for (const m of [0, 0o7, 0o640, 0o755, 0o777]) assert.equal(parseMode(formatMode(m), "l"), m);
});

Deno.test("parseDecimalField() reads CCTools' decimals and nothing else", () => {
  assert.equal(parseDecimalField("1.000", "cores", "l"), 1);
  assert.equal(parseDecimalField("1795531400.000000", "t", "l"), 1795531400);
  assert.equal(parseDecimalField("-2", "t", "l"), -2);
  assert.equal(parseDecimalField("3.", "t", "l"), 3);
  for (const bad of ["", ".5", "1e3", "0x10", "1.2.3", " 1", "NaN"]) {
    assert.throws(() => parseDecimalField(bad, "t", "l"), ProtocolError, bad);
  }
});
