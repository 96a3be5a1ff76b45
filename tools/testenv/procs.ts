/**
 * What runs and listens on this machine, read from `/proc`: processes by an
 * environment variable they inherited, and listening sockets with their
 * owners. The test harness marks every child it starts with a variable of
 * its own, so that it can kill the whole tree, also the processes that left
 * its process group; the test runner marks the whole suite the same way, so
 * that it can find what outlived it.
 *
 * @module
 */

/** The environment variable that marks every process of a test run. */
export const RUN_MARK = "WQ_TEST_RUN";

/** The environment variable that marks a process a test spawned, and what it starts. */
export const PROC_MARK = "WQ_TEST_PROC";

/** A process, as `/proc` shows it. */
export interface ProcInfo {
  pid: number;
  /** Its command line, space-separated. */
  cmdline: string;
}

const decoder = new TextDecoder();

function readProc(path: string): Uint8Array | undefined {
  try {
    return Deno.readFileSync(path);
  } catch {
    return undefined; // it exited, or is not ours to read
  }
}

/** Whether a process is a zombie: dead, only waiting for its parent to reap it. */
function isZombie(pid: number): boolean {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return true;
  const text = decoder.decode(stat);
  return text.slice(text.lastIndexOf(")") + 2).startsWith("Z");
}

function pids(): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (/^\d+$/.test(e.name)) out.push(Number(e.name));
  }
  return out;
}

/**
 * The live processes (zombies left out) whose environment holds `NAME=VALUE`.
 *
 * @param name The variable.
 * @param value Its value.
 * @returns The processes, this one excluded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { processesWithEnv } from "./procs.ts";
 *
 * const id = crypto.randomUUID();
 * const child = new Deno.Command("sleep", { args: ["30"], env: { MARK: id } }).spawn();
 * try {
 *   assert.deepEqual(processesWithEnv("MARK", id).map((p) => p.pid), [child.pid]);
 * } finally {
 *   child.kill("SIGKILL");
 *   await child.status;
 * }
 * assert.deepEqual(processesWithEnv("MARK", id), []);
 * ```
 */
export function processesWithEnv(name: string, value: string): ProcInfo[] {
  const needle = new TextEncoder().encode(`${name}=${value}\0`);
  const out: ProcInfo[] = [];
  for (const pid of pids()) {
    if (pid === Deno.pid) continue;
    const env = readProc(`/proc/${pid}/environ`);
    if (env === undefined || !containsEntry(env, needle) || isZombie(pid)) continue;
    const cmd = readProc(`/proc/${pid}/cmdline`);
    out.push({ pid, cmdline: cmd ? decoder.decode(cmd).replaceAll("\0", " ").trim() : "?" });
  }
  return out;
}

/** Whether the NUL-separated `env` has the entry `needle` (which ends in NUL). */
function containsEntry(env: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= env.length; i++) {
    if (i > 0 && env[i - 1] !== 0) continue;
    for (let j = 0; j < needle.length; j++) {
      if (env[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}

/**
 * SIGKILLs processes, ignoring those that are already gone.
 *
 * @param procs The processes.
 */
export function killAll(procs: readonly { pid: number }[]): void {
  for (const p of procs) {
    try {
      Deno.kill(p.pid, "SIGKILL");
    } catch {
      // it exited meanwhile
    }
  }
}

/** A socket that listens (TCP) or is bound (UDP). */
export interface Listener {
  proto: "tcp" | "tcp6" | "udp" | "udp6";
  port: number;
  /** The socket's inode, which names it in `/proc/PID/fd`. */
  inode: number;
}

/**
 * Every listening TCP socket and bound UDP socket of this network namespace.
 *
 * @returns The sockets.
 */
export function listeners(): Listener[] {
  const out: Listener[] = [];
  for (const proto of ["tcp", "tcp6", "udp", "udp6"] as const) {
    const text = readProc(`/proc/net/${proto}`);
    if (text === undefined) continue;
    for (const line of decoder.decode(text).split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      // st 0A is LISTEN; a UDP socket with a local port is bound (st 07).
      const listening = proto.startsWith("tcp") ? f[3] === "0A" : f[3] === "07";
      if (!listening) continue;
      out.push({ proto, port: parseInt(f[1].split(":")[1], 16), inode: Number(f[9]) });
    }
  }
  return out;
}

/**
 * Which process holds each socket inode.
 *
 * @returns Inode to owner.
 */
export function socketOwners(): Map<number, ProcInfo> {
  const owners = new Map<number, ProcInfo>();
  for (const pid of pids()) {
    let fds: Iterable<Deno.DirEntry>;
    try {
      fds = Deno.readDirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    try {
      for (const fd of fds) {
        let target: string;
        try {
          target = Deno.readLinkSync(`/proc/${pid}/fd/${fd.name}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (!m) continue;
        const cmd = readProc(`/proc/${pid}/cmdline`);
        owners.set(Number(m[1]), {
          pid,
          cmdline: cmd ? decoder.decode(cmd).replaceAll("\0", " ").trim() : "?",
        });
      }
    } catch {
      continue; // it exited while we read its descriptors
    }
  }
  return owners;
}
