/**
 * Helpers for the tests with Debian's foreman (`work_queue_worker --foreman`,
 * CCTools 8.0.0, protocol 9) between our manager and workers.
 *
 * @module
 */

import { queryManager } from "../lib/catalog/manager_query.ts";
import type { CatalogRecord } from "../lib/catalog/client.ts";
import { cctoolsEnv } from "./_catalog.ts";
import { type Proc, requireBinary, spawn, until } from "./_harness.ts";

/** A foreman process and the port its workers dial. */
export interface ForemanProc extends Proc {
  port: number;
}

/** Options of {@linkcode startForeman}. */
export interface ForemanOptions {
  /** A directory for its port file (and debug log). */
  dir: string;
  /** `-f NAME`: advertise its own queue to the catalog under this project name. */
  name?: string;
  /**
   * The catalog it advertises to (CATALOG_HOST=127.0.0.1 and this
   * CATALOG_PORT: its `-C` only names where to look managers up). Default
   * port 1, where nothing listens.
   */
  catalogPort?: number;
}

/**
 * Starts Debian's foreman for a manager on 127.0.0.1 and waits for the port
 * it listens on for workers (`-Z`, the port file). It picks the first free
 * port from 1024 up, on every interface: CCTools' foreman takes no listening
 * address. `--single-shot`: it exits when its manager goes.
 *
 * @param managerPort The manager's port.
 * @param options Its directory, project name and catalog.
 * @returns The process, with its port.
 */
export async function startForeman(
  managerPort: number,
  options: ForemanOptions,
): Promise<ForemanProc> {
  const portFile = `${options.dir}/foreman.port`;
  const name = options.name === undefined ? [] : ["-f", options.name];
  const proc = spawn(
    [
      requireBinary("work_queue_worker"),
      "--foreman",
      "-Z",
      portFile,
      ...name,
      "--single-shot",
      "-t",
      "120",
      "-d",
      "wq",
      "-o",
      `${options.dir}/foreman.debug`,
      "127.0.0.1",
      String(managerPort),
    ],
    { env: cctoolsEnv(options.catalogPort ?? 1) },
  );
  let port = 0, exited = false;
  proc.status.then(() => exited = true);
  try {
    await until(async () => {
      const text = await Deno.readTextFile(portFile).catch(() => "");
      port = Number(text.trim());
      return port > 0 || exited;
    }, "the foreman's port file");
    if (!(port > 0)) throw new Error(`the foreman did not start:\n${proc.log()}`);
  } catch (e) {
    await proc[Symbol.asyncDispose]();
    throw e;
  }
  return Object.assign(proc, { port });
}

/** The foremen among a manager's workers (`worker_status`: OS `foreman`). */
export async function foremenOf(managerPort: number): Promise<CatalogRecord[]> {
  const workers = await queryManager({ host: "127.0.0.1", port: managerPort }, "worker_status");
  return workers.filter((w) => w.os === "foreman");
}
