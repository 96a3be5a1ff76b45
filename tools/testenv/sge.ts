/**
 * A one-machine (Son of) Grid Engine for the submission tests: sge_qmaster
 * and sge_execd as background processes of the test environment, the queue
 * `all.q` on this host, root's jobs allowed, a scheduler that runs every
 * second. Idempotent.
 *
 * @module
 */

import { Daemons, poll } from "./daemons.ts";
import { run } from "./run.ts";

/** The environment of Debian's Grid Engine commands (their own defaults, made explicit). */
export const SGE_ENV = { SGE_ROOT: "/var/lib/gridengine", SGE_CELL: "default" } as const;

const COMMON = `${SGE_ENV.SGE_ROOT}/${SGE_ENV.SGE_CELL}/common`;
const SPOOL = "/var/spool/gridengine";

/**
 * Grid Engine refuses a host whose own name differs from the name its
 * address resolves to. Every daemon here talks over 127.0.0.1, which
 * resolves to a name such as `localhost`, while the host calls itself
 * something else: `host_aliases` makes the names one host.
 *
 * @returns The canonical name (127.0.0.1's) and the host's other names.
 */
async function hostNames(): Promise<{ canon: string; aliases: string[] }> {
  const byAddr = await run(["/usr/lib/gridengine/gethostbyaddr", "127.0.0.1"], { check: false });
  const canon = /^Hostname: (\S+)/m.exec(byAddr.stdout)?.[1] ?? "localhost";
  const names = new Set<string>(["localhost"]);
  for (const argv of [["hostname"], ["hostname", "-s"], ["hostname", "-f"]]) {
    const out = await run(argv, { check: false });
    if (out.code === 0 && out.stdout.trim()) names.add(out.stdout.trim());
  }
  names.delete(canon);
  return { canon, aliases: [...names].sort() };
}

/** Writes `path` if its text differs; returns whether it did. */
async function writeIfChanged(path: string, text: string): Promise<boolean> {
  try {
    if (await Deno.readTextFile(path) === text) return false;
  } catch { /* missing */ }
  await Deno.writeTextFile(path, text);
  await run(["chown", "sgeadmin:sgeadmin", path]);
  return true;
}

/** Runs qconf; throws with its output if it fails. */
function qconf(args: string[], check = true) {
  return run(["qconf", ...args], { env: SGE_ENV, check });
}

/**
 * Rewrites `key value` lines of a Grid Engine configuration text.
 *
 * @param text The configuration, as `qconf -s...` prints it.
 * @param values The keys to set.
 * @returns The new text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setKeys } from "./sge.ts";
 *
 * assert.equal(setKeys("a 1\nb   2\n", { b: "3" }), "a 1\nb 3\n");
 * ```
 */
export function setKeys(text: string, values: Record<string, string>): string {
  return text.replace(
    /^(\S+)[ \t]+.*$/gm,
    (line, key: string) => key in values ? `${key} ${values[key]}` : line,
  );
}

/**
 * Applies the configuration: root's jobs allowed (Grid Engine refuses uids
 * under 1000 by default), no mail, a scheduler run every second instead of
 * every 15, this host as submit and execution host, the parallel
 * environment `smp`, and the queue `all.q` with `slots` slots.
 */
async function configure(canon: string, slots: number, dir: string): Promise<void> {
  const global = setKeys((await qconf(["-sconf", "global"])).stdout, {
    min_uid: "0",
    min_gid: "0",
    mailer: "/bin/true",
    load_report_time: "00:00:05",
  });
  // qconf -Mconf takes the configuration's name from the file's name.
  await Deno.writeTextFile(`${dir}/global`, global);
  await qconf(["-Mconf", `${dir}/global`]);
  const sched = setKeys((await qconf(["-ssconf"])).stdout, {
    schedule_interval: "0:0:1",
    flush_submit_sec: "1",
    flush_finish_sec: "1",
  });
  await Deno.writeTextFile(`${dir}/sched`, sched);
  await qconf(["-Msconf", `${dir}/sched`]);
  if (!(await qconf(["-ss"], false)).stdout.split("\n").includes(canon)) {
    await qconf(["-as", canon]);
  }
  if ((await qconf(["-se", canon], false)).code !== 0) {
    // The global host's attributes, less those the daemon measures itself.
    const host = setKeys((await qconf(["-se", "global"])).stdout, { hostname: canon })
      .replace(/^(load_values|processors)\s.*\n/gm, "");
    await Deno.writeTextFile(`${dir}/exechost`, host);
    await qconf(["-Ae", `${dir}/exechost`]);
  }
  await Deno.copyFile("/usr/share/gridengine/util/resources/pe/smp", `${dir}/smp`);
  const hasPe = (await qconf(["-sp", "smp"], false)).code === 0;
  await qconf([hasPe ? "-Mp" : "-Ap", `${dir}/smp`]);
  const existing = await qconf(["-sq", "all.q"], false);
  // Without a queue name, -sq prints the template of a new queue.
  const base = existing.code === 0 ? existing.stdout : (await qconf(["-sq"])).stdout;
  const queue = setKeys(base, {
    qname: "all.q",
    hostlist: canon,
    slots: String(slots),
    pe_list: "smp",
    shell: "/bin/sh",
    shell_start_mode: "unix_behavior",
    tmpdir: "/tmp",
    // The template's np_load_avg=1.75 would close the queue on a busy 2-core machine.
    load_thresholds: "NONE",
  });
  await Deno.writeTextFile(`${dir}/all.q`, queue);
  await qconf([existing.code === 0 ? "-Mq" : "-Aq", `${dir}/all.q`]);
}

/**
 * Starts what is not running of Grid Engine, configures it and waits until
 * its queue takes jobs. Changed host names restart the daemons.
 *
 * @param stateDir The test environment's state directory.
 * @param log Where progress lines go.
 * @returns Whether it started anything.
 * @throws {Error} Naming the daemon that failed and its log.
 */
export async function sgeUp(stateDir: string, log: (l: string) => void): Promise<boolean> {
  const dir = `${stateDir}/sge`;
  const d = new Daemons(dir);
  await initCell();
  const { canon, aliases } = await hostNames();
  const changed =
    await writeIfChanged(`${COMMON}/host_aliases`, `${canon} ${aliases.join(" ")}\n`) ||
    await writeIfChanged(`${COMMON}/act_qmaster`, `${canon}\n`);
  if (changed) { for (const n of ["sge_execd", "sge_qmaster"]) await d.stop(n, 15_000); }
  let started = false;
  const env = { ...SGE_ENV, SGE_ND: "1" }; // SGE_ND: stay in the foreground
  if (d.pid("sge_qmaster") === undefined) {
    log("starting sge_qmaster");
    await d.start("sge_qmaster", ["/usr/sbin/sge_qmaster"], { comm: "sge_qmaster", env });
    started = true;
    const up = await poll(
      async () => d.pid("sge_qmaster") === undefined || (await qconf(["-sh"], false)).code === 0,
      30_000,
    );
    if (!up || d.pid("sge_qmaster") === undefined) {
      throw new Error(`Cannot start sge_qmaster: ${d.tail("sge_qmaster")}`);
    }
  }
  // The configuration lives in the master's spool: apply it once, and again
  // only when it would differ or the queue is gone.
  const slots = Math.max(4, navigator.hardwareConcurrency);
  const mark = `${dir}/configured`, want = JSON.stringify({ canon, slots });
  const done = await Deno.readTextFile(mark).catch(() => "");
  if (done !== want || (await qconf(["-sq", "all.q"], false)).code !== 0) {
    await configure(canon, slots, dir);
    await Deno.writeTextFile(mark, want);
  }
  if (d.pid("sge_execd") === undefined) {
    log("starting sge_execd");
    await d.start("sge_execd", ["/usr/sbin/sge_execd"], { comm: "sge_execd", env });
    started = true;
  }
  const instance = `all.q@${canon}`;
  let line = "";
  const ready = await poll(async () => {
    const out = await run(["qstat", "-f", "-q", instance], { env: SGE_ENV, check: false });
    line = out.stdout.split("\n").find((l) => l.startsWith("all.q@")) ?? "";
    const f = line.trim().split(/\s+/);
    // Columns: queue, type, used/total, load, arch, states (absent when fine).
    if (f.length === 5 && f[3] !== "-NA-") return true;
    if (/[Ed]/.test(f[5] ?? "")) {
      await run(["qmod", "-c", instance], { env: SGE_ENV, check: false });
      await run(["qmod", "-e", instance], { env: SGE_ENV, check: false });
    }
    return d.pid("sge_execd") === undefined;
  }, 60_000);
  if (!ready || d.pid("sge_execd") === undefined) {
    throw new Error(`Cannot start Grid Engine: queue '${line}': ${d.tail("sge_execd")}`);
  }
  return started;
}

/** Makes the cell's spool if the package's set-up did not (it does, given debconf answers). */
async function initCell(): Promise<void> {
  try {
    await Deno.stat(`${SPOOL}/spooldb/sge`);
  } catch {
    await Deno.mkdir(`${SPOOL}/qmaster/job_scripts`, { recursive: true });
    await Deno.mkdir(`${SPOOL}/spooldb`, { recursive: true });
    await run(["chown", "-R", "sgeadmin:sgeadmin", `${SPOOL}/qmaster`, `${SPOOL}/spooldb`]);
    const init = "/usr/share/gridengine/scripts/init_cluster";
    await run([
      "su",
      "-s",
      "/bin/sh",
      "-c",
      `${init} ${SGE_ENV.SGE_ROOT} ${SGE_ENV.SGE_CELL} ${SPOOL}/spooldb sgeadmin`,
      "sgeadmin",
    ]);
  }
  for (const p of [`${SPOOL}/execd`, "/run/gridengine"]) {
    await Deno.mkdir(p, { recursive: true });
    await run(["chown", "sgeadmin:sgeadmin", p]);
  }
}

/**
 * Deletes every job, then stops the daemons (the master takes about ten
 * seconds for its orderly shutdown).
 *
 * @param stateDir The test environment's state directory.
 * @returns Whether anything was running.
 */
export async function sgeDown(stateDir: string): Promise<boolean> {
  const d = new Daemons(`${stateDir}/sge`);
  if (d.pid("sge_qmaster") !== undefined && d.pid("sge_execd") !== undefined) {
    const jobs = async () =>
      (await run(["qstat", "-u", "*"], { env: SGE_ENV, check: false })).stdout.split("\n")
        .slice(2).map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
    const ids = await jobs();
    if (ids.length > 0) {
      await run(["qdel", "-f", ...new Set(ids)], { env: SGE_ENV, check: false });
      await poll(async () => (await jobs()).length === 0, 15_000);
    }
  }
  let any = false;
  for (const n of ["sge_execd", "sge_qmaster"]) {
    if (await d.stop(n, 20_000)) any = true;
  }
  return any;
}
