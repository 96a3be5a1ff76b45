/**
 * The worker's `-d [SUBSYS]`: CCTools' optional-valued debug flag, rewritten
 * for node:util's parseArgs (private to lib/worker/options.ts).
 *
 * @module
 */

// The debug subsystems CCTools knows; `-d X` only consumes X when it is one
// of these, so that `-d HOST PORT` still works.
const DEBUG_FLAGS = new Set([
  "all",
  "none",
  "wq",
  "debug",
  "notice",
  "tcp",
  "dns",
  "auth",
  "process",
  "resolve",
  "local",
  "http",
  "cache",
  "poll",
  "batch",
  "rmonitor",
  "time",
  "channel",
  "syscall",
  "libcall",
  "user",
  "remote",
  "login",
  "jx",
  "vine",
]);

/** Whether `s` is a comma-separated list of debug subsystems. */
function isDebugFlag(s: string): boolean {
  return s.length > 0 && s.split(",").every((f) => DEBUG_FLAGS.has(f.replace(/^-/, "")));
}

/**
 * Rewrites `-d`/`--debug` without a subsystem into `--debug=all`, and `-N`
 * into `-M`, for node:util's parseArgs.
 *
 * @param args The worker's arguments.
 * @returns The arguments parseArgs reads.
 */
export function normalizeDebug(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (a === "-N") {
      out.push("-M");
    } else if (a === "-d" || a === "--debug") {
      const next = args[i + 1];
      if (next !== undefined && isDebugFlag(next)) {
        out.push(`--debug=${next}`);
        i++;
      } else {
        out.push("--debug=all");
      }
    } else {
      out.push(a);
    }
  }
  return out;
}
