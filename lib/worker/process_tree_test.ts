import assert from "node:assert/strict";
import { killTree, procChildren } from "./process_tree.ts";

/** A process's state letter (R, S, T, Z…), or undefined once it is gone. */
function state(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0];
  } catch {
    return undefined;
  }
}

/** Whether a process is stopped or has a SIGSTOP pending (delivery is asynchronous). */
function stopping(pid: number): boolean {
  if (state(pid) === "T") return true;
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const SIGSTOP = 1n << 18n; // signal 19
  return [...status.matchAll(/^(?:ShdPnd|SigPnd):\s*([0-9a-f]+)$/gm)]
    .some((m) => (BigInt(`0x${m[1]}`) & SIGSTOP) !== 0n);
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Starts `sh -c 'sh -c "sleep 30 & sleep 30 & wait" & wait'`: 5 processes. */
async function startTree(): Promise<{ child: Deno.ChildProcess; all: () => number[] }> {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", `/bin/sh -c 'sleep 30 & sleep 30 & wait' & wait`],
    stdin: "null",
  }).spawn();
  const all = () => {
    const out: number[] = [];
    const walk = (pid: number) => {
      for (const c of procChildren(pid)) {
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
  // The grandchildren are reparented and reaped elsewhere; they must be gone.
  await until("the descendants to die", () => descendants.every((p) => state(p) !== "S"));
  for (const p of descendants) assert.notEqual(state(p), "T", `${p} was left stopped`);
});

Deno.test("killTree() stops each process before it lists its children", async () => {
  const { child } = await startTree();
  const seen: boolean[] = [];
  const n = killTree(child.pid, (pid) => {
    // A pending SIGSTOP already keeps fork() from completing.
    seen.push(stopping(pid));
    return procChildren(pid);
  });
  assert.equal(n, 4);
  assert.deepEqual(seen, [true, true, true, true]);
  await child.status;
});

Deno.test("killTree() of a process that has exited kills nothing", async () => {
  const child = new Deno.Command("/bin/true").spawn();
  await child.status;
  assert.equal(killTree(child.pid), 0);
  assert.deepEqual(procChildren(child.pid), []);
});
