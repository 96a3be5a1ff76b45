// Helpers for running our worker with its workdir on a small private tmpfs,
// and for looking at directory trees (tests/slow_faults_test.ts).

import { denoRunArgs } from "../tools/entrypoints.ts";
import { type Proc, spawn, until } from "./_harness.ts";

/** Every path under `root` with its size and mtime. */
export function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const p = `${dir}/${e.name}`;
      const st = Deno.lstatSync(p);
      out.set(p, `${st.isDirectory ? "d" : "f"} ${st.size} ${st.mtime?.getTime()}`);
      if (st.isDirectory) walk(p);
    }
  };
  walk(root);
  return out;
}

/** Files under a directory and their total size. */
export function usage(root: string): { names: string[]; bytes: number } {
  const names: string[] = [];
  let bytes = 0;
  // The last task's own cleanup may remove entries under our feet: skip those.
  const gone = (e: unknown) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  };
  const walk = (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch (e) {
      return gone(e);
    }
    for (const e of entries) {
      const p = `${dir}/${e.name}`;
      let st: Deno.FileInfo;
      try {
        st = Deno.lstatSync(p);
      } catch (err) {
        gone(err);
        continue;
      }
      names.push(p.slice(root.length + 1));
      if (st.isDirectory) walk(p);
      else bytes += st.size;
    }
  };
  walk(root);
  return { names, bytes };
}

/**
 * Starts our worker with its workdir on a private 4 MiB tmpfs: a mount
 * namespace of its own (root: `unshare -m`; others: `unshare -rm`), so the
 * mount vanishes with the process.
 */
export async function startWorkerOnTmpfs(port: number, mnt: string): Promise<Proc> {
  const unshare = Deno.uid() === 0 ? ["unshare", "-m"] : ["unshare", "-rm"];
  const w = spawn([
    ...unshare,
    "sh",
    "-c",
    'mount -t tmpfs -o size=4m tmpfs "$0" && exec "$@"',
    mnt,
    ...denoRunArgs("worker"),
    "--single-shot",
    "-s",
    mnt,
    "127.0.0.1",
    String(port),
  ], { env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "1" } });
  let exited = false;
  w.status.then(() => exited = true);
  await until(() => exited || /connected to manager/.test(w.log()), "the tmpfs worker to connect");
  if (exited) {
    throw new Error(
      `Cannot run the disk-full test: it mounts a private tmpfs with '${unshare.join(" ")}', ` +
        `which needs root or user namespaces; the worker's command said: ${w.log().trim()}`,
    );
  }
  return w;
}
