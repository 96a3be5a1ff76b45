import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import {
  cacheNameProblem,
  parseIntField,
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
