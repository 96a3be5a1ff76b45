import assert from "node:assert/strict";
import { killTree } from "./process_tree.ts";

/** A process's state letter (R, S, T, Z…), or undefined once it is gone. */
function state(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0];
  } catch {
    return undefined;
  }
}

function children(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/)
      .filter((s) => s !== "").map(Number);
  } catch {
    return [];
  }
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Starts `sh -c 'sh -c "sleep 30 & sleep 30 & wait" & wait'`: 4 processes. */
async function startTree(): Promise<{ child: Deno.ChildProcess; all: () => number[] }> {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", `/bin/sh -c 'sleep 30 & sleep 30 & wait' & wait`],
    stdin: "null",
  }).spawn();
  const all = () => {
    const out: number[] = [];
    const walk = (pid: number) => {
      for (const c of children(pid)) {
        out.push(c);
        walk(c);
      }
    };
    walk(child.pid);
    return out;
  };
  await until("the tree to start", () => all().length === 3);
  return { child, all };
}

Deno.test("killTree() kills a process and all its descendants", async () => {
  const { child, all } = await startTree();
  const descendants = all();
  assert.equal(killTree(child.pid), 4);
  assert.equal((await child.status).signal, "SIGKILL");
  await until(
    "the descendants to die",
    () => descendants.every((p) => state(p) === undefined || state(p) === "Z"),
  );
});

Deno.test("killTree() reaches a grandchild whose parent exec'd", async () => {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", "sh -c 'exec sleep 30' & wait"],
    stdin: "null",
  }).spawn();
  await until("the sleep to start", () => children(child.pid).length === 1);
  const [sleep] = children(child.pid);
  assert.equal(killTree(child.pid), 2);
  await child.status;
  await until("the sleep to die", () => state(sleep) === undefined || state(sleep) === "Z");
});

Deno.test("killTree() of a process that has exited kills nothing", async () => {
  const child = new Deno.Command("/bin/true").spawn();
  await child.status;
  assert.equal(killTree(child.pid), 0);
  assert.throws(() => killTree(1), RangeError);
});
