/**
 * Killing a task's whole process tree when it shares the worker's process
 * group (`--fast-spawn`), so that no group kill can reach it alone.
 *
 * Deno grants reading `/proc/<pid>` only with `--allow-all`, so the walk
 * runs in a short `/bin/sh` script (a child process, outside Deno's
 * permissions): it stops each process (SIGSTOP) before listing its
 * children, then SIGKILLs everything it stopped. Once SIGSTOP is pending,
 * the kernel makes a fork() in that process restart instead of completing,
 * so no child can appear behind the walk.
 *
 * @module
 */

/**
 * The walk: `$1` is the root. Children come from
 * `/proc/<pid>/task/<tid>/children`, or, where the kernel lacks that file,
 * from the parent field of every `/proc/<n>/stat`. It prints how many
 * processes it killed.
 */
const SCRIPT = `
children() {
  if [ -e "/proc/$1/task/$1/children" ]; then cat /proc/"$1"/task/*/children 2>/dev/null
  else for s in /proc/[0-9]*/stat; do
    read -r p rest < "$s" 2>/dev/null || continue
    rest=\${rest##*) }; set -- "$1" \$rest; [ "$3" = "$1" ] && echo "$p"
  done; fi
}
walk() {
  kill -STOP "$1" 2>/dev/null || return 0
  stopped="$stopped $1"
  for c in $(children "$1"); do walk "$c"; done
}
stopped=
walk "$1"
[ -n "$stopped" ] && kill -KILL $stopped 2>/dev/null
set -- $stopped
echo $#
`;

/**
 * SIGKILLs a process and all its descendants, stopping each one before
 * its children are listed so that none escapes by forking.
 *
 * @param root The process id (it must not have been reaped yet: its pid could
 * be reused before the worker reaps it).
 * @returns How many processes were killed; 0 if `root` was gone.
 * @throws {Error} If the walk's shell cannot run or fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const child = new Deno.Command("/bin/sh", {
 *   args: ["-c", "sleep 30 & echo forked; wait"],
 *   stdout: "piped",
 * }).spawn();
 * const out = child.stdout.getReader();
 * await out.read(); // "forked": the shell has its child
 * assert.equal(killTree(child.pid), 2);
 * assert.equal((await child.status).signal, "SIGKILL");
 * await out.cancel();
 * ```
 */
export function killTree(root: number): number {
  if (!Number.isSafeInteger(root) || root <= 1) {
    throw new RangeError(`Cannot kill the tree of process ${root}: not a task's pid`);
  }
  const out = new Deno.Command("/bin/sh", {
    args: ["-c", SCRIPT, "wq-kill-tree", String(root)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || !/^\d+$/.test(text)) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`Cannot kill the tree of process ${root}: ${err || `exit ${out.code}`}`);
  }
  return Number(text);
}
