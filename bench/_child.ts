/**
 * Child processes of the sim-workers and foremen-fanout benchmarks: Deno
 * scripts of this directory started with enough open files for their
 * sockets, a child's CPU time from /proc, and its stdout read line by line.
 *
 * @module
 */

import process from "node:process";
import type { Task, WorkQueue } from "../mod.ts";

const HERE = new URL(".", import.meta.url);

/** The soft and hard limits on open files of this process. */
function fileLimits(): { soft: number; hard: number } {
  const text = Deno.readTextFileSync("/proc/self/limits");
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  const n = (v: string | undefined) => v === undefined || v === "unlimited" ? Infinity : Number(v);
  return { soft: n(m?.[1]), hard: n(m?.[2]) };
}

/**
 * `deno run -A FLAGS script ARGS`, through `sh -c 'ulimit -n HARD; exec …'`
 * when the soft limit on open files cannot hold `sockets`.
 */
export function denoCommand(
  script: string,
  args: { flags: string[]; args: string[]; sockets: number; stdout: "piped" | "null" },
): Deno.Command {
  const deno = Deno.execPath();
  const argv = ["run", "-A", ...args.flags, new URL(script, HERE).pathname, ...args.args];
  const need = args.sockets + 256;
  const { soft, hard } = fileLimits();
  const options = { stdin: "piped", stdout: args.stdout, stderr: "inherit" } as const;
  if (need <= soft) return new Deno.Command(deno, { args: argv, ...options });
  if (need > hard) {
    throw new RangeError(
      `Cannot run ${script}: ${args.sockets} sockets need ${need} open files, and the hard limit is ${hard}`,
    );
  }
  const sh = ["-c", `ulimit -n ${hard} && exec "$0" "$@"`, deno, ...argv];
  return new Deno.Command("/bin/sh", { args: sh, ...options });
}

/** The CPU seconds (user + system) a process has spent so far, from /proc. */
export function cpuSeconds(pid: number): number {
  // After the command's ")" come the state (field 3) ... utime (14) and stime (15).
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
}

/** CPU seconds so far of each thread of this process, summed by thread name. */
export function threadSeconds(): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of Deno.readDirSync("/proc/self/task")) {
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/self/task/${e.name}/stat`);
    } catch {
      continue; // the thread ended
    }
    const name = Number(e.name) === Deno.pid
      ? "main"
      : stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
  }
  return out;
}

/** Reads one line from a child's stdout; `buffered` keeps what came after it. */
export async function readLine(
  r: ReadableStreamDefaultReader<Uint8Array>,
  buffered: { text: string },
  what: string,
): Promise<string> {
  const dec = new TextDecoder();
  for (;;) {
    const nl = buffered.text.indexOf("\n");
    if (nl >= 0) {
      const line = buffered.text.slice(0, nl);
      buffered.text = buffered.text.slice(nl + 1);
      return line;
    }
    const { value, done } = await r.read();
    if (done) throw new Error(`Cannot run the benchmark: the ${what} exited early`);
    buffered.text += dec.decode(value, { stream: true });
  }
}

/** What {@linkcode runTasks} measured. */
export interface TasksRun {
  /** Tasks completed. */
  done: number;
  /** From the first submit to the last task returned. */
  seconds: number;
  /** CPU (user + system) this process spent meanwhile, from `getrusage`. */
  cpuSeconds: number;
}

/**
 * Submits `n` tasks at once and collects them all, each of which must
 * succeed: the manager's side of a measured run.
 */
export async function runTasks(wq: WorkQueue, n: number, make: () => Task): Promise<TasksRun> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) wq.submit(make());
  let done = 0;
  for await (const t of wq) {
    if (t.result !== 0) throw new Error(`Task ${t.id} failed: result ${t.result}`);
    done++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { done, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
