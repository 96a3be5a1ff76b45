/**
 * Starting a task's `/bin/sh` in a session of its own with one exec: glibc's
 * `posix_spawn` with `POSIX_SPAWN_SETSID`, called through Deno's FFI.
 * `Deno.Command` cannot make a session without either exec-ing `setsid(1)`
 * first or forking the whole worker (`detached`); here the child calls
 * setsid() between its vfork-style clone and its exec, so a task costs what
 * `--fast-spawn` costs, with its isolation kept.
 *
 * Used only on Linux (x86_64, aarch64) with glibc, and only when the worker
 * has `--allow-ffi`; otherwise {@linkcode libcSpawner} is undefined and the
 * executor execs `setsid(1)` as before. Nothing here prompts for permission.
 *
 * @module
 */

import { openLibc } from "./libc.ts";

/** Flags and numbers of Linux on x86_64 and aarch64 (asm-generic). */
const O_WRONLY = 0o1;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const F_DUPFD_CLOEXEC = 1030;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;

const SYMBOLS = {
  posix_spawn: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
  posix_spawnattr_setsigdefault: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_setsigmask: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
  },
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  posix_spawn_file_actions_addchdir_np: { parameters: ["buffer", "buffer"], result: "i32" },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  strerror: { parameters: ["i32"], result: "pointer" },
  wait4: {
    parameters: ["i32", "buffer", "i32", "buffer"],
    result: "i32",
    nonblocking: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** What {@linkcode LibcSpawner.spawn} starts. */
export interface SessionSpawnSpec {
  /** The script for `/bin/sh -c`. */
  script: string;
  /** Working directory. */
  cwd: string;
  /** The complete environment. */
  env: Record<string, string>;
  /** File for stdout and stderr, created or truncated. */
  stdoutPath: string;
  /** The descriptor the task's processes inherit the sentinel pipe's write end as. */
  sentinelFd: number;
}

/**
 * What a reaped shell and the descendants it waited for used, from the
 * `struct rusage` that wait4() fills in.
 */
export interface ChildUsage {
  /** User plus system CPU time, in seconds. */
  cpuSeconds: number;
  /**
   * The largest peak resident size of any one of those processes, in MB
   * (`ru_maxrss`): a lower bound of the peak of the whole tree.
   */
  maxRssMB: number;
}

/** A process started by {@linkcode LibcSpawner.spawn}. */
export interface SessionChild {
  /** Its pid, which is also its session and process group id. */
  pid: number;
  /** Resolves with its raw wait status once it was reaped. */
  status: Promise<number>;
  /** What it used, once `status` has resolved (undefined before). */
  readonly usage: ChildUsage | undefined;
  /** Whether some process still holds the sentinel pipe (reads it without blocking). */
  sentinelOpen(): boolean;
  /** Closes the worker's end of the sentinel pipe. */
  closeSentinel(): void;
}

/** Starts processes in new sessions through glibc. */
export interface LibcSpawner {
  /**
   * How many of its processes are not reaped yet. Each holds a thread of
   * Deno's blocking pool (in `wait4`), which file operations share.
   */
  readonly unreaped: number;
  /**
   * Starts `/bin/sh -c script` in a new session, stdin from /dev/null,
   * stdout and stderr into `stdoutPath`, with the sentinel pipe's write end
   * as `sentinelFd`, every signal at its default and none blocked.
   *
   * @throws {Deno.errors.NotFound} If `cwd` is missing (and other errors as glibc reports them).
   */
  spawn(spec: SessionSpawnSpec): SessionChild;
}

/** `struct rusage` on 64-bit Linux: 2 timevals, then 14 longs (144 bytes). */
const RUSAGE_WORDS = 18;

/**
 * Reads the CPU time and peak size out of a `struct rusage`: `ru_utime`
 * and `ru_stime` (seconds and microseconds each), then `ru_maxrss` (KB).
 */
function readRusage(r: BigInt64Array): ChildUsage {
  const seconds = (i: number) => Number(r[i]) + Number(r[i + 1]) / 1e6;
  return { cpuSeconds: seconds(0) + seconds(2), maxRssMB: Number(r[4]) / 1024 };
}

const encoder = new TextEncoder();

function cString(s: string): Uint8Array<ArrayBuffer> {
  if (s.includes("\0")) {
    throw new TypeError(`Cannot pass '${s.slice(0, 80)}' to exec: it holds a NUL byte`);
  }
  return encoder.encode(`${s}\0`);
}

/** A NULL-ended array of pointers to the strings (which must outlive its use). */
function pointerArray(strings: Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  const a = new BigUint64Array(strings.length + 1);
  for (let i = 0; i < strings.length; i++) {
    a[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(strings[i])));
  }
  return new Uint8Array(a.buffer);
}

function bind(lib: Libc): LibcSpawner {
  const check = (rc: number, what: string) => {
    if (rc === 0) return;
    const why = Deno.UnsafePointerView.getCString(lib.strerror(rc)!);
    const Err = rc === 2 ? Deno.errors.NotFound : rc === 13 ? Deno.errors.PermissionDenied : Error;
    throw new Err(`Cannot start the task's shell: ${what}: ${why}`);
  };
  const attr = new Uint8Array(1024);
  check(lib.posix_spawnattr_init(attr), "posix_spawnattr_init");
  const allSignals = new Uint8Array(128).fill(0xff);
  check(lib.posix_spawnattr_setsigdefault(attr, allSignals), "setsigdefault");
  check(lib.posix_spawnattr_setsigmask(attr, new Uint8Array(128)), "setsigmask");
  const flags = POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  check(lib.posix_spawnattr_setflags(attr, flags), "setflags");
  const sh = cString("/bin/sh");
  const dashC = cString("-c");
  const devNull = cString("/dev/null");

  let unreaped = 0;
  return {
    get unreaped() {
      return unreaped;
    },
    spawn(spec) {
      const argv = [sh, dashC, cString(spec.script)];
      const envp = Object.entries(spec.env).map(([k, v]) => cString(`${k}=${v}`));
      const cwd = cString(spec.cwd);
      const stdoutPath = cString(spec.stdoutPath);
      const fds = new Int32Array(2);
      if (lib.pipe2(new Uint8Array(fds.buffer), O_CLOEXEC | O_NONBLOCK) !== 0) {
        throw new Error("Cannot start the task's shell: cannot make the sentinel pipe");
      }
      let [reader, writer] = fds;
      if (writer === spec.sentinelFd) {
        // dup2() onto itself would leave close-on-exec set.
        const moved = lib.fcntl(writer, F_DUPFD_CLOEXEC, spec.sentinelFd + 1);
        lib.close(writer);
        writer = moved;
      }
      const actions = new Uint8Array(1024);
      check(lib.posix_spawn_file_actions_init(actions), "file_actions_init");
      const pid = new Int32Array(1);
      try {
        check(lib.posix_spawn_file_actions_addchdir_np(actions, cwd), "addchdir");
        check(lib.posix_spawn_file_actions_addopen(actions, 0, devNull, 0, 0), "addopen");
        const out = O_WRONLY | O_CREAT | O_TRUNC;
        check(lib.posix_spawn_file_actions_addopen(actions, 1, stdoutPath, out, 0o666), "addopen");
        check(lib.posix_spawn_file_actions_adddup2(actions, 1, 2), "adddup2");
        check(lib.posix_spawn_file_actions_adddup2(actions, writer, spec.sentinelFd), "adddup2");
        check(
          lib.posix_spawn(
            new Uint8Array(pid.buffer),
            sh,
            actions,
            attr,
            pointerArray(argv),
            pointerArray(envp),
          ),
          `cannot run /bin/sh in '${spec.cwd}'`,
        );
      } catch (e) {
        lib.close(reader);
        throw e;
      } finally {
        lib.posix_spawn_file_actions_destroy(actions);
        lib.close(writer);
      }
      const raw = new Int32Array(1);
      const rusage = new BigInt64Array(RUSAGE_WORDS);
      let usage: ChildUsage | undefined;
      unreaped++;
      const status = lib.wait4(
        pid[0],
        new Uint8Array(raw.buffer),
        0,
        new Uint8Array(rusage.buffer),
      ).then((r) => {
        unreaped--;
        if (r !== pid[0]) throw new Error(`Cannot reap process ${pid[0]}: wait4 returned ${r}`);
        usage = readRusage(rusage);
        return raw[0];
      });
      const scratch = new Uint8Array(256);
      let open = true;
      return {
        pid: pid[0],
        status,
        get usage() {
          return usage;
        },
        sentinelOpen() {
          // Data (a task wrote to it) is skipped; 0 is end of file; -1 is EAGAIN: still held.
          for (let n = 1; open && n > 0;) {
            n = Number(lib.read(reader, scratch, BigInt(scratch.length)));
            if (n === 0) this.closeSentinel();
          }
          return open;
        },
        closeSentinel() {
          if (!open) return;
          open = false;
          lib.close(reader);
        },
      };
    },
  };
}

function load(): LibcSpawner | undefined {
  // Without libc (no FFI permission, not glibc: musl lacks addchdir_np, or too old), setsid(1) serves.
  const libc = openLibc(SYMBOLS);
  return libc && bind(libc.symbols);
}

/**
 * The spawner, or undefined where it cannot work (not Linux with glibc
 * 2.29 or later, or no `--allow-ffi`). Loaded once, when this module is
 * first imported, so that the library is not a resource of any one test.
 */
export const libcSpawner: LibcSpawner | undefined = load();
