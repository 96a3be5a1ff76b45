/**
 * Helpers of the fault tests (tests/slow_faults_test.ts,
 * tests/frozen_worker_test.ts): figures for $WQ_RELIABILITY_OUT, processes
 * that must not outlive a test, and the manager's log.
 *
 * @module
 */

/** Appends one line about what a test exercised to $WQ_RELIABILITY_OUT, if set. */
export async function report(name: string, counts: Record<string, unknown>): Promise<void> {
  const out = Deno.env.get("WQ_RELIABILITY_OUT");
  if (!out) return;
  const line = JSON.stringify({ test: "slow_faults", case: name, ...counts }) + "\n";
  await Deno.writeTextFile(out, line, { append: true });
}

/** Whether a process still runs (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false; // no such process
  }
}

/** SIGKILLs these processes on dispose, if they still run (so a failed test leaks none). */
export function killOnDispose(pids: number[]): Disposable {
  return {
    [Symbol.dispose]() {
      for (const pid of pids) {
        if (!alive(pid)) continue;
        try {
          Deno.kill(pid, "SIGKILL");
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        }
      }
    },
  };
}

/** How many times `pattern` occurs in `text`. */
export function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(new RegExp(pattern.source, "g"))].length;
}

/** Collects the manager's log lines. */
export function collector(): { lines: string[]; logger: (level: string, m: string) => void } {
  const lines: string[] = [];
  return { lines, logger: (_level, m) => lines.push(m) };
}
