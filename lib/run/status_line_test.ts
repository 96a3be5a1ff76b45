import assert from "node:assert/strict";
import { StatusLine } from "./status_line.ts";

function recorder(terminal: boolean) {
  const out: string[] = [];
  return { out, line: new StatusLine({ terminal, write: (t) => out.push(t) }) };
}

Deno.test("StatusLine on a terminal redraws in place, only when the text changes", () => {
  const { out, line } = recorder(true);
  line.draw("1/3");
  line.draw("1/3");
  line.draw("2/3");
  assert.deepEqual(out, ["\r\x1b[K1/3", "\r\x1b[K2/3"]);
});

Deno.test("StatusLine prints lines above itself and draws itself again", () => {
  const { out, line } = recorder(true);
  line.print("before anything is drawn");
  line.draw("1/3");
  line.around(() => out.push("{json}\n"));
  line.clear();
  line.clear();
  line.print("after");
  assert.deepEqual(out, [
    "before anything is drawn\n",
    "\r\x1b[K1/3",
    "\r\x1b[K",
    "{json}\n",
    "1/3",
    "\r\x1b[K",
    "after\n",
  ]);
});

Deno.test("StatusLine off a terminal never draws; printed lines still appear", () => {
  const { out, line } = recorder(false);
  assert.equal(line.terminal, false);
  line.draw("1/3");
  line.print("a line");
  line.around(() => out.push("x\n"));
  line.clear();
  assert.deepEqual(out, ["a line\n", "x\n"]);
});
