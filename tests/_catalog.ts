/**
 * Helpers for the catalog tests: our catalog (`wq-catalog`) and CCTools'
 * `catalog_server` on loopback, our status tool, and CCTools' clients. Every
 * CCTools program gets CATALOG_HOST/CATALOG_PORT pointing at loopback.
 *
 * @module
 */

import { denoRunArgs } from "../tools/entrypoints.ts";
import { type CatalogAddress, queryCatalog } from "../lib/catalog/client.ts";
import { queryManager } from "../lib/catalog/manager_query.ts";
import {
  type Proc,
  PYTHON,
  requireBinary,
  spawn,
  startWorker,
  type TempDir,
  tempDir,
  until,
} from "./_harness.ts";

/** A catalog process and where it listens. */
export interface CatalogProc extends Proc {
  port: number;
  address: CatalogAddress;
}

/** The environment CCTools programs get: loopback catalog only. */
export function cctoolsEnv(port: number): Record<string, string> {
  return { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: String(port) };
}

/** Starts our catalog on free ports of 127.0.0.1 and reads the ports it prints. */
export async function startOurCatalog(args: string[] = []): Promise<CatalogProc> {
  const proc = spawn([...denoRunArgs("catalog"), "-p", "0", "-I", "127.0.0.1", ...args]);
  const re = /catalog listening on http 127\.0\.0\.1:(\d+) udp (\d+) tcp-updates (\d+)/;
  let exited = false;
  proc.status.then(() => exited = true);
  await until(() => exited || re.test(proc.log()), "wq-catalog to print its ports");
  const m = re.exec(proc.log());
  if (!m) throw new Error(`wq-catalog did not start: ${proc.log()}`);
  const port = Number(m[1]);
  if (Number(m[2]) !== port || Number(m[3]) !== port + 1) {
    throw new Error(`unexpected ports: ${m[0]}`);
  }
  return Object.assign(proc, { port, address: { host: "127.0.0.1", port } });
}

/** A TCP port that is free now, with port+1 free too (catalogs take both, and UDP on the first). */
function freePortPair(): number {
  for (;;) {
    const a = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = a.addr.port;
    try {
      if (port >= 65534) continue;
      Deno.listen({ hostname: "127.0.0.1", port: port + 1 }).close();
      return port;
    } catch {
      continue; // port+1 is taken: try another pair
    } finally {
      a.close();
    }
  }
}

/**
 * Starts CCTools' `catalog_server` on 127.0.0.1 (never reporting to the
 * public catalog: `-u` names an unused loopback port), in a temporary
 * directory so that its `catalog.history` lands there. Retries with other
 * ports if the chosen ones were taken meanwhile.
 */
export async function startCctoolsCatalog(): Promise<CatalogProc & { dir: TempDir }> {
  const bin = requireBinary("catalog_server");
  let lastLog = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = await tempDir("wq-cctools-catalog-");
    const port = freePortPair();
    const proc = spawn(
      [
        bin,
        "-p",
        String(port),
        "-I",
        "127.0.0.1",
        "-u",
        `127.0.0.1:${port + 1}`,
        "-H",
        `${dir.path}/history`,
      ],
      { env: cctoolsEnv(port), cwd: dir.path },
    );
    let exited = false;
    proc.status.then(() => exited = true);
    const address = { host: "127.0.0.1", port };
    await until(async () => {
      if (exited) return true;
      try {
        await queryCatalog(address, { timeoutMs: 1000 });
        return true;
      } catch {
        return false;
      }
    }, "catalog_server to answer");
    if (!exited) {
      const handle = Object.assign(proc, { port, address, dir });
      const dispose = proc[Symbol.asyncDispose];
      handle[Symbol.asyncDispose] = async () => {
        await dispose();
        await dir[Symbol.asyncDispose]();
      };
      return handle;
    }
    lastLog = proc.log();
    await dir[Symbol.asyncDispose]();
  }
  throw new Error(`catalog_server did not start: ${lastLog}`);
}

/** What a finished program printed. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion. */
export async function run(argv: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs our status tool (`catalog/status.ts`, with its shipped permissions). */
export function runStatusTool(
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  return run([...denoRunArgs("status"), ...args], {
    CATALOG_HOST: "127.0.0.1",
    CATALOG_PORT: "1",
    ...env,
  });
}

/** The rows of an aligned table whose first column is `first`, split on whitespace. */
export function tableRow(table: string, first: string): string[] | undefined {
  return table.split("\n").map((l) => l.trim().split(/\s+/)).find((cells) => cells[0] === first);
}

/** Polls a catalog until `pred` holds for its records. */
export async function untilCatalog(
  address: CatalogAddress,
  pred: (records: Record<string, unknown>[]) => boolean,
  what: string,
): Promise<Record<string, unknown>[]> {
  let records: Record<string, unknown>[] = [];
  await until(async () => {
    records = await queryCatalog(address).catch(() => []);
    return pred(records);
  }, what);
  return records;
}

/**
 * Starts our worker with 1 core, 100 MB memory and 100 MB disk on a manager
 * of 127.0.0.1, and waits until it runs one task there.
 */
export async function startOneTaskWorker(port: number): Promise<Proc> {
  // Without the fast path, which would queue one more task on the worker:
  // the status tests count exactly one task on it and the rest waiting.
  const worker = startWorker(port, {
    args: ["--cores", "1", "--memory", "100", "--disk", "100", "--no-fast-path"],
  });
  try {
    await until(async () => {
      const [q] = await queryManager({ host: "127.0.0.1", port }, "queue_status");
      return q.tasks_running === 1 && q.workers === 1;
    }, "one task running on one worker");
  } catch (e) {
    await worker[Symbol.asyncDispose]();
    throw e;
  }
  return worker;
}

/**
 * Starts Debian's Python manager (`work_queue`) on a free port, with the
 * tasks that `submits` (Python lines using `q`, `Task`) queues, serving
 * status requests in `q.wait(1)` until it is disposed of.
 */
export async function startPythonManager(
  submits: string,
  cwd: string,
): Promise<Proc & { port: number }> {
  const script = `from work_queue import WorkQueue, Task
q = WorkQueue(port=0)
${submits}
print("PORT", q.port, flush=True)
while True:
    q.wait(1)
`;
  const proc = spawn([PYTHON, "-c", script], { env: cctoolsEnv(1), cwd });
  try {
    await until(() => /PORT \d+/.test(proc.log()), "the Python manager's port");
  } catch (e) {
    await proc[Symbol.asyncDispose]();
    throw e;
  }
  return Object.assign(proc, { port: Number(/PORT (\d+)/.exec(proc.log())![1]) });
}
