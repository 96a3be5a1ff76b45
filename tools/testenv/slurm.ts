/**
 * A one-machine SLURM cluster for the submission tests: munged, slurmctld
 * and one slurmd, as background processes of the test environment, with
 * every daemon address on 127.0.0.1. The configuration is private to the
 * test environment (`SLURM_CONF` points the clients at it), so that a
 * machine's own `/etc/slurm` is never touched. Idempotent.
 *
 * @module
 */

import { Daemons, poll } from "./daemons.ts";
import { run } from "./run.ts";

/** The environment the SLURM clients (sbatch, squeue, scancel) need. */
export function slurmEnv(stateDir: string): { SLURM_CONF: string } {
  return { SLURM_CONF: `${stateDir}/slurm/slurm.conf` };
}

/**
 * The cluster's configuration. Facts behind it: a node is named by its
 * host's short name and reached at `NodeAddr`; without cgroups and
 * accounting (no systemd here) the linuxproc tracker and no task plugin
 * are what works; `config_overrides` lets the node offer more CPUs than
 * the machine has, so that the tests' 1-core workers never queue behind
 * each other; a node that was down returns to service when it registers.
 *
 * @param options The state directory, host name, CPUs and memory (MB).
 * @returns The text of `slurm.conf`.
 */
export function slurmConf(
  options: { dir: string; host: string; cpus: number; memoryMB: number },
): string {
  const { dir, host, cpus, memoryMB } = options;
  return [
    "# The test environment's one-machine cluster (tools/testenv/slurm.ts).",
    "ClusterName=wq-tests",
    `SlurmctldHost=${host}(127.0.0.1)`,
    "SlurmctldPort=6817",
    "SlurmdPort=6818",
    "SlurmUser=root",
    "SlurmdUser=root",
    "AuthType=auth/munge",
    "CredType=cred/munge",
    `StateSaveLocation=${dir}/ctld`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/slurmctld.log`,
    `SlurmdLogFile=${dir}/slurmd.log`,
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    "JobCompType=jobcomp/none",
    "MpiDefault=none",
    "MailProg=/bin/true",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core",
    "SlurmdParameters=config_overrides",
    "ReturnToService=2",
    "KillWait=2",
    "MinJobAge=30",
    `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memoryMB} State=UNKNOWN`,
    `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
    "",
  ].join("\n");
}

/** The host's short name, as SLURM names its node. */
async function shortHostname(): Promise<string> {
  return (await run(["hostname", "-s"])).stdout.trim();
}

/**
 * Starts what is not running of the cluster and waits until its node takes
 * jobs. A changed configuration restarts the daemons.
 *
 * @param stateDir The test environment's state directory.
 * @param log Where progress lines go.
 * @returns Whether it started anything.
 * @throws {Error} Naming the daemon that failed and its log.
 */
export async function slurmUp(stateDir: string, log: (l: string) => void): Promise<boolean> {
  const dir = `${stateDir}/slurm`;
  const d = new Daemons(dir);
  const env = slurmEnv(stateDir);
  const host = await shortHostname();
  const probe = await run(["slurmd", "-C"], { check: false });
  const memoryMB = Number(/RealMemory=(\d+)/.exec(probe.stdout)?.[1] ?? 1000);
  const conf = slurmConf({ dir, host, cpus: Math.max(4, navigator.hardwareConcurrency), memoryMB });
  let old = "";
  try {
    old = await Deno.readTextFile(env.SLURM_CONF);
  } catch { /* first run */ }
  if (old !== conf) {
    for (const n of ["slurmd", "slurmctld"]) await d.stop(n);
    await Deno.mkdir(`${dir}/ctld`, { recursive: true });
    await Deno.mkdir(`${dir}/spool`, { recursive: true });
    await Deno.writeTextFile(env.SLURM_CONF, conf);
  }
  let started = false;
  if (await startMunge(d)) started = true;
  if (d.pid("slurmctld") === undefined) {
    log("starting slurmctld");
    // -c: a clean start, without the jobs of an earlier run.
    await d.start("slurmctld", ["/usr/sbin/slurmctld", "-D", "-c", "-f", env.SLURM_CONF], {
      comm: "slurmctld",
    });
    started = true;
    const up = await poll(async () => {
      if (d.pid("slurmctld") === undefined) return true;
      return /UP/.test((await run(["scontrol", "ping"], { env, check: false })).stdout);
    }, 30_000);
    if (!up || d.pid("slurmctld") === undefined) {
      throw new Error(`Cannot start slurmctld: ${d.tail("slurmctld")}`);
    }
  }
  if (d.pid("slurmd") === undefined) {
    log("starting slurmd");
    await d.start("slurmd", ["/usr/sbin/slurmd", "-D", "-N", host, "-f", env.SLURM_CONF], {
      comm: "slurmd",
    });
    started = true;
  }
  let state = "";
  const ready = await poll(async () => {
    const out = await run(["sinfo", "-h", "-N", "-o", "%t"], { env, check: false });
    state = out.stdout.trim();
    if (/down|drain/.test(state)) {
      await run(["scontrol", "update", `nodename=${host}`, "state=resume"], { env, check: false });
    }
    return /^(idle|mix|alloc)$/.test(state) || d.pid("slurmd") === undefined;
  }, 60_000);
  if (!ready || d.pid("slurmd") === undefined) {
    throw new Error(`Cannot start SLURM: node ${host} is '${state}': ${d.tail("slurmd")}`);
  }
  return started;
}

/** Starts munged, as its own user, if it is not running; returns whether it did. */
async function startMunge(d: Daemons): Promise<boolean> {
  const works = async () => {
    const cred = await run(["munge", "-n"], { check: false });
    return cred.code === 0 &&
      (await run(["unmunge"], { stdin: cred.stdout, check: false })).code === 0;
  };
  if (d.pid("munged") !== undefined && await works()) return false;
  for (const p of ["/run/munge", "/var/log/munge", "/var/lib/munge"]) {
    await Deno.mkdir(p, { recursive: true });
    await run(["chown", "munge:munge", p]);
  }
  try {
    await Deno.stat("/etc/munge/munge.key");
  } catch {
    await run(["mungekey", "--create", "--keyfile=/etc/munge/munge.key"]);
    await run(["chown", "munge:munge", "/etc/munge/munge.key"]);
  }
  await d.stop("munged");
  await d.start("munged", [
    "setpriv",
    "--reuid=munge",
    "--regid=munge",
    "--init-groups",
    "/usr/sbin/munged",
    "--foreground",
    "--force",
  ], { comm: "munged" });
  if (!await poll(works, 10_000)) throw new Error(`Cannot start munged: ${d.tail("munged")}`);
  return true;
}

/**
 * Cancels every job of the cluster, then stops its daemons.
 *
 * @param stateDir The test environment's state directory.
 * @returns Whether anything was running.
 */
export async function slurmDown(stateDir: string): Promise<boolean> {
  const d = new Daemons(`${stateDir}/slurm`);
  const env = slurmEnv(stateDir);
  if (d.pid("slurmctld") !== undefined) {
    const jobs = (await run(["squeue", "-h", "-o", "%i"], { env, check: false })).stdout.split(
      /\s+/,
    )
      .filter(Boolean);
    if (jobs.length > 0) await run(["scancel", "--quiet", ...jobs], { env, check: false });
    await poll(
      async () => (await run(["squeue", "-h"], { env, check: false })).stdout.trim() === "",
      15_000,
    );
  }
  let any = false;
  for (const n of ["slurmd", "slurmctld", "munged"]) {
    if (await d.stop(n, 5_000)) any = true;
  }
  return any;
}
