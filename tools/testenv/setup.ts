/**
 * Sets up what the test suite needs on this machine: the Debian packages,
 * and the batch systems (SLURM and Grid Engine) as background daemons. A
 * second run skips what is already there.
 *
 * @module
 */

import { Daemons } from "./daemons.ts";
import { installPackages, missingPackages, NEEDS, planPackages } from "./packages.ts";
import { sgeDown, sgeUp } from "./sge.ts";
import { slurmDown, slurmUp } from "./slurm.ts";

/** The command that does the whole set-up and runs the tests, for messages. */
export function rerunCommand(): string {
  return `sudo ${Deno.execPath()} task test`;
}

/** Whether this process runs as root. */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}

/**
 * Makes sure the packages are installed.
 *
 * @param log Where progress lines go.
 * @throws {Error} With one line naming the command to run, when packages
 *   are missing and this process is not root.
 */
export async function ensurePackages(log: (line: string) => void): Promise<void> {
  // WQ_TEST_PACKAGES replaces the list, for the test of this set-up itself.
  const wanted = Deno.env.get("WQ_TEST_PACKAGES")?.split(/\s+/).filter(Boolean) ??
    NEEDS.map((n) => n.pkg);
  const missing = await missingPackages(wanted);
  const plan = planPackages(missing, { root: isRoot(), rerun: rerunCommand() });
  if (plan.kind === "refuse") throw new Error(plan.message);
  if (plan.kind === "install") {
    const t0 = Date.now();
    await installPackages(plan, log);
    const still = await missingPackages(missing);
    if (still.length > 0) {
      throw new Error(`Cannot set up the tests: apt-get left ${still.join(", ")} uninstalled`);
    }
    log(`installed ${missing.length} package(s) in ${elapsed(t0)}`);
  }
}

/** Where the batch systems keep their state and logs between runs. */
export const STATE_DIR = "/var/lib/wq-testenv";

/** A batch system the suite starts. */
export type System = "slurm" | "sge";

const SYSTEMS: Record<System, {
  name: string;
  up: (dir: string, log: (l: string) => void) => Promise<boolean>;
  down: (dir: string) => Promise<boolean>;
  running: (dir: string) => boolean;
}> = {
  slurm: {
    name: "SLURM",
    up: slurmUp,
    down: slurmDown,
    running: (dir) => new Daemons(`${dir}/slurm`).names().length === 3,
  },
  sge: {
    name: "Grid Engine",
    up: sgeUp,
    down: sgeDown,
    running: (dir) => new Daemons(`${dir}/sge`).names().length === 2,
  },
};

/**
 * Whether a batch system's daemons run.
 *
 * @param system Which.
 * @returns Whether all of them run.
 */
export function batchRunning(system: System): boolean {
  return SYSTEMS[system].running(STATE_DIR);
}

/**
 * Starts the batch systems that are not running, all at once.
 *
 * @param systems Which.
 * @param log Where progress lines go.
 * @returns Those it started, for {@linkcode batchDown}.
 * @throws {Error} With one line naming the command to run, when one is
 *   not running and this process is not root; or naming what failed.
 */
export async function batchUp(systems: System[], log: (line: string) => void): Promise<System[]> {
  if (!isRoot()) {
    const down = systems.filter((s) => !batchRunning(s));
    if (down.length > 0) {
      throw new Error(
        `Cannot set up the tests: ${down.map((s) => SYSTEMS[s].name).join(" and ")} ` +
          `must be started, which needs root; run: ${rerunCommand()}`,
      );
    }
    return [];
  }
  const t0 = Date.now();
  const wasRunning = systems.map(batchRunning);
  const results = await Promise.allSettled(systems.map((s) => SYSTEMS[s].up(STATE_DIR, log)));
  const failure = results.find((r) => r.status === "rejected");
  if (failure) {
    // Stop what this call brought up, whole or in part, before saying why.
    await Promise.all(
      systems.filter((_, i) => !wasRunning[i]).map((s) => SYSTEMS[s].down(STATE_DIR)),
    );
    throw failure.reason;
  }
  const which = systems.filter((_, i) => results[i].status === "fulfilled" && results[i].value);
  if (which.length > 0) {
    log(`started ${which.map((s) => SYSTEMS[s].name).join(" and ")} in ${elapsed(t0)}`);
  }
  return which;
}

/**
 * Stops batch systems (jobs first), all at once.
 *
 * @param systems Which.
 * @param log Where progress lines go.
 */
export async function batchDown(systems: System[], log: (line: string) => void): Promise<void> {
  if (systems.length === 0) return;
  const t0 = Date.now();
  await Promise.all(systems.map((s) => SYSTEMS[s].down(STATE_DIR)));
  log(`stopped ${systems.map((s) => SYSTEMS[s].name).join(" and ")} in ${elapsed(t0)}`);
}

function elapsed(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}
