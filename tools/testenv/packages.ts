/**
 * The Debian packages the test suite needs, which of them are missing, and
 * how they are installed: with `apt-get` when the suite runs as root, and
 * otherwise not at all, with one message that names the command to run.
 *
 * @module
 */

import { exists, run } from "./run.ts";

/** One package the suite needs, and why. */
export interface Need {
  /** The Debian package. */
  pkg: string;
  /** What needs it, for messages. */
  why: string;
  /** Install it with its recommended packages (Chromium's fonts). */
  recommends?: boolean;
}

/** Everything the suite needs beyond Deno, Node.js and a POSIX shell. */
export const NEEDS: readonly Need[] = [
  { pkg: "coop-computing-tools", why: "CCTools' worker, catalog and status tools (interop)" },
  { pkg: "python3-workqueue", why: "CCTools' Python managers (interop)" },
  // work_queue.py imports distutils.spawn, which python3-workqueue does not depend on.
  { pkg: "python3-distutils", why: "CCTools' Python module imports distutils" },
  {
    pkg: "openmpi-bin",
    why: "Debian's makeflow is linked with MPI and aborts at start without it",
  },
  { pkg: "gnuplot-nox", why: "work_queue_graph_log plots our statistics log (logs test)" },
  { pkg: "gcc", why: "the benchmark's C ceiling" },
  { pkg: "libc6-dev", why: "the benchmark's C ceiling" },
  { pkg: "openssl", why: "the TLS tests' certificates" },
  { pkg: "iproute2", why: "ss, for the restart test" },
  { pkg: "util-linux", why: "setsid and unshare (process groups, the disk-full test)" },
  { pkg: "procps", why: "ps, for the process-group tests" },
  { pkg: "chromium", why: "the catalog dashboard test", recommends: true },
  { pkg: "slurmctld", why: "the SLURM submission test" },
  { pkg: "slurmd", why: "the SLURM submission test" },
  { pkg: "slurm-client", why: "the SLURM submission test" },
  { pkg: "munge", why: "SLURM's authentication" },
  { pkg: "gridengine-master", why: "the Grid Engine submission test" },
  { pkg: "gridengine-exec", why: "the Grid Engine submission test" },
  { pkg: "gridengine-client", why: "the Grid Engine submission test" },
];

/**
 * Which of `pkgs` dpkg does not list as installed.
 *
 * @param pkgs Package names.
 * @returns The missing ones, in the order given.
 */
export async function missingPackages(pkgs: readonly string[]): Promise<string[]> {
  // dpkg-query prints one line per known package and exits 1 if any is unknown.
  const out = await run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\\n", ...pkgs], {
    check: false,
  });
  const installed = new Set(
    out.stdout.split("\n").filter((l) => l.endsWith(" installed")).map((l) => l.split(" ")[0]),
  );
  return pkgs.filter((p) => !installed.has(p));
}

/** What the set-up does about packages. */
export type PackagePlan =
  | { kind: "ready" }
  | { kind: "install"; plain: string[]; withRecommends: string[] }
  | { kind: "refuse"; message: string };

/**
 * Decides what to do about the missing packages.
 *
 * @param missing The missing packages.
 * @param options `root`: whether this process may run apt-get; `rerun`: the
 *   command that does the whole set-up, for the message when it may not.
 * @returns The plan.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planPackages } from "./packages.ts";
 *
 * assert.deepEqual(planPackages([], { root: false, rerun: "sudo deno task test" }), {
 *   kind: "ready",
 * });
 * const p = planPackages(["gcc", "chromium"], { root: false, rerun: "sudo deno task test" });
 * assert.equal(p.kind, "refuse");
 * assert.match(p.kind === "refuse" ? p.message : "", /gcc, chromium.*sudo deno task test/);
 * ```
 */
export function planPackages(
  missing: readonly string[],
  options: { root: boolean; rerun: string },
): PackagePlan {
  if (missing.length === 0) return { kind: "ready" };
  if (!options.root) {
    return {
      kind: "refuse",
      message: `Cannot set up the tests: ${missing.length} Debian package(s) are missing ` +
        `(${missing.join(", ")}) and installing them needs root; run: ${options.rerun}`,
    };
  }
  const recommends = new Set(NEEDS.filter((n) => n.recommends).map((n) => n.pkg));
  return {
    kind: "install",
    plain: missing.filter((p) => !recommends.has(p)),
    withRecommends: missing.filter((p) => recommends.has(p)),
  };
}

/**
 * Debconf answers that let Grid Engine's packages install without a prompt:
 * configure a cell named `default` whose master is `localhost`.
 */
const GRIDENGINE_DEBCONF = [
  "gridengine-common",
  "gridengine-master",
  "gridengine-exec",
  "gridengine-client",
]
  .flatMap((p) => [
    `${p} shared/gridengineconfig boolean true`,
    `${p} shared/gridenginecell string default`,
    `${p} shared/gridenginemaster string localhost`,
  ]).join("\n") + "\n";

/**
 * Installs packages with apt-get, as root, without prompts and without
 * letting their maintainer scripts start daemons (the suite starts the
 * batch systems itself, as plain processes). Fetches the package lists
 * first.
 *
 * @param plan What to install.
 * @param log Where progress lines go.
 * @throws {Error} With apt-get's output when it fails.
 */
export async function installPackages(
  plan: { plain: string[]; withRecommends: string[] },
  log: (line: string) => void,
): Promise<void> {
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const apt = ["apt-get", "-q", "-y", "-o", "DPkg::Lock::Timeout=300"];
  await run(["debconf-set-selections"], { stdin: GRIDENGINE_DEBCONF });
  // policy-rc.d exit 101 tells invoke-rc.d that no service may start now.
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !(await exists(policy));
  if (ownPolicy) await Deno.writeTextFile(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    log("apt-get update");
    await run([...apt, "update"], { env });
    if (plan.plain.length > 0) {
      log(`apt-get install ${plan.plain.join(" ")}`);
      await run([...apt, "install", "--no-install-recommends", ...plan.plain], { env });
    }
    if (plan.withRecommends.length > 0) {
      log(`apt-get install ${plan.withRecommends.join(" ")} (with recommends)`);
      await run([...apt, "install", ...plan.withRecommends], { env });
    }
  } finally {
    if (ownPolicy) await Deno.remove(policy);
  }
}
