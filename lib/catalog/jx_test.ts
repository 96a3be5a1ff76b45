import assert from "node:assert/strict";
import { evalJx, JX_ERROR, matchesJx, parseJx } from "./jx.ts";

const manager = {
  type: "wq_master",
  project: "proj",
  port: 9123,
  tasks_waiting: 3,
  load: 0.5,
  up: true,
  tags: [1, 2],
};

function ev(text: string, record: Record<string, unknown> = manager) {
  return evalJx(parseJx(text), record);
}

Deno.test("parseJx() gives `and` precedence over `or`, as work_queue_status needs", () => {
  const e = parseJx('true and type=="wq_manager" or type=="wq_master"');
  assert.equal(e.kind, "binary");
  assert.equal(e.kind === "binary" && e.op, "or");
  assert.equal(matchesJx(e, { type: "wq_master" }), true);
  assert.equal(matchesJx(e, { type: "wq_manager" }), true);
  assert.equal(matchesJx(e, { type: "catalog" }), false);
  // a or (b and c): the `and` binds first
  assert.equal(ev('project == "proj" or project == "x" and port == 1'), true);
  assert.equal(ev('(project == "proj" or project == "x") and port == 1'), false);
});

Deno.test("evalJx() compares numbers, strings, booleans, null and arrays", () => {
  assert.equal(ev("tasks_waiting > 2"), true);
  assert.equal(ev("tasks_waiting >= 3 && tasks_waiting <= 3"), true);
  assert.equal(ev("tasks_waiting < 3"), false);
  assert.equal(ev("port == 9123.0"), true);
  assert.equal(ev('project != "other"'), true);
  assert.equal(ev('"abc" < "abd"'), true);
  assert.equal(ev("up == true"), true);
  assert.equal(ev("load == 0.5"), true);
  assert.equal(ev("tags == [1, 2]"), true);
  assert.equal(ev("tags == [2, 1]"), false);
  assert.equal(ev("null == null"), true);
  assert.equal(ev('"1" == 1'), false);
  assert.equal(ev('"1" != 1'), true);
  assert.equal(ev("1e3 == 1000"), true);
  assert.equal(ev('"a\\"b" == "a\\"b"'), true);
});

Deno.test("evalJx() reads a missing field as null", () => {
  assert.equal(ev("missing == null"), true);
  assert.equal(ev('missing == "x"'), false);
  assert.equal(ev("missing != null"), false);
  assert.equal(ev("missing > 1"), JX_ERROR);
});

Deno.test("evalJx() does arithmetic and prefix operators", () => {
  assert.equal(ev("tasks_waiting + 1"), 4);
  assert.equal(ev("tasks_waiting * 2 - 1"), 5);
  assert.equal(ev("-tasks_waiting"), -3);
  assert.equal(ev("7 % 4"), 3);
  assert.equal(ev('"a" + "b"'), "ab");
  assert.equal(ev("1 / 0"), JX_ERROR);
  assert.equal(ev("not up"), false);
  assert.equal(ev("!false"), true);
  assert.equal(ev("not not true"), true);
});

Deno.test("evalJx() makes type mismatches errors, which never match", () => {
  assert.equal(ev('port < "a"'), JX_ERROR);
  assert.equal(ev("not project"), JX_ERROR);
  assert.equal(ev("1 and true"), JX_ERROR);
  assert.equal(ev("true and 1"), JX_ERROR);
  // as in JX, `not` binds tighter than `==`: (not type) == "x" is an error
  assert.equal(ev('not type == "x"'), JX_ERROR);
  assert.equal(matchesJx(parseJx("port"), manager), false);
  assert.equal(matchesJx(parseJx("1"), manager), false);
  // short-circuit: the right side is not looked at
  assert.equal(ev("false and 1"), false);
  assert.equal(ev("true or 1"), true);
});

Deno.test("parseJx() rejects what is not an expression with SyntaxError", () => {
  for (
    const bad of [
      "",
      'type=="x" or',
      "type=='wq_master'",
      "(true",
      "true)",
      "a ==",
      '"unterminated',
      "a $ b",
      "and",
      "[1, 2",
      "1 2",
    ]
  ) {
    assert.throws(() => parseJx(bad), SyntaxError, bad);
  }
});

Deno.test("parseJx() bounds nesting and length", () => {
  assert.throws(() => parseJx("(".repeat(1000) + "true" + ")".repeat(1000)), SyntaxError);
  assert.throws(() => parseJx("!".repeat(1000) + "true"), SyntaxError);
  assert.throws(() => parseJx("true or ".repeat(5000) + "true"), RangeError);
  assert.equal(ev("((((true))))"), true);
});
