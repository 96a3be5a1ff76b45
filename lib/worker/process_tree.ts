/**
 * Killing a task's whole process tree. Tasks share the worker's process
 * group (spawning into a new group forces Deno's slow fork path), so a kill
 * walks the tree in `/proc` instead: it stops each process (SIGSTOP) before
 * listing its children, then SIGKILLs everything it stopped. Once SIGSTOP
 * is pending, the kernel makes a fork() in that process restart instead of
 * completing, so no child can appear behind the walk.
 *
 * @module
 */

/** Where a process's children are found: a seam for tests. */
export type ChildLister = (pid: number) => number[];

/**
 * The direct children of a process, from
 * `/proc/<pid>/task/<tid>/children` (every thread), or, where the kernel
 * lacks that file, from the parent field of every `/proc/<n>/stat`.
 *
 * @param pid The process.
 * @returns Its children's pids; empty if it is gone.
 * @throws {Deno.errors.NotCapable} Without read permission on `/proc`.
 *
 * @example
 * ```ts
 * const child = new Deno.Command("sleep", { args: ["5"] }).spawn();
 * console.assert(procChildren(Deno.pid).includes(child.pid));
 * child.kill("SIGKILL");
 * await child.status;
 * ```
 */
export function procChildren(pid: number): number[] {
  const out: number[] = [];
  let tids: string[];
  try {
    tids = [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return out; // it is gone
    throw e;
  }
  for (const tid of tids) {
    let text: string;
    try {
      text = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/children`);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound && tid === String(pid)) {
        try {
          Deno.statSync(`/proc/${pid}/task/${tid}`);
        } catch {
          return out; // the process is gone
        }
        return childrenFromStat(pid); // no CONFIG_PROC_CHILDREN
      }
      continue; // the thread ended
    }
    for (const f of text.split(" ")) {
      const n = Number(f);
      if (f !== "" && Number.isSafeInteger(n)) out.push(n);
    }
  }
  return out;
}

/** Children by scanning every `/proc/<n>/stat` for parent `pid`. */
function childrenFromStat(pid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
    } catch {
      continue;
    }
    // "<pid> (<comm>) <state> <ppid> ...": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === pid) out.push(Number(e.name));
  }
  return out;
}

/** Sends a signal; false if the process no longer exists. */
function signal(pid: number, sig: Deno.Signal): boolean {
  try {
    Deno.kill(pid, sig);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * SIGKILLs a process and all its descendants. Each process is stopped
 * before its children are listed, so a process that forks during the walk
 * cannot hide a child; processes that left the tree before the walk (a
 * double fork reparents them to init) are not reached.
 *
 * @param root The task's process (the worker's own child, so its pid cannot
 * be reused before the worker reaps it).
 * @param children How to list children. Default {@linkcode procChildren}.
 * @returns How many processes were killed.
 * @throws {Deno.errors.NotCapable} Without read permission on `/proc`; the
 * processes found so far (at least `root`) are killed first.
 *
 * @example
 * ```ts
 * const child = new Deno.Command("/bin/sh", { args: ["-c", "sleep 30 & wait"] }).spawn();
 * await new Promise((r) => setTimeout(r, 100));
 * console.assert(killTree(child.pid) >= 1);
 * console.assert((await child.status).signal === "SIGKILL");
 * ```
 */
export function killTree(root: number, children: ChildLister = procChildren): number {
  const stopped: number[] = [];
  const seen = new Set<number>();
  const todo = [root];
  try {
    while (todo.length > 0) {
      const pid = todo.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      if (!signal(pid, "SIGSTOP")) continue;
      stopped.push(pid);
      for (const c of children(pid)) todo.push(c);
    }
  } finally {
    // Even if listing failed (no /proc permission), what was stopped dies.
    for (const pid of stopped) signal(pid, "SIGKILL");
  }
  return stopped.length;
}
