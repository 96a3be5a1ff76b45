/**
 * What the worker's machine offers: cores, memory, disk and GPUs, measured
 * or given on the command line. The accounting of what tasks hold is
 * `lib/resources.ts`, shared with the manager.
 *
 * @module
 */

import { readdirSync, statfsSync } from "node:fs";
import type { Resources } from "../resources.ts";

const MB = 1024 * 1024;

/** Manual amounts that replace what is detected. */
export interface ResourceOverrides {
  cores?: number;
  memory?: number;
  disk?: number;
  gpus?: number;
}

/**
 * Measures the machine: cores from `navigator.hardwareConcurrency`, total
 * memory from `Deno.systemMemoryInfo()`, free disk of the file system that
 * holds `workdir`, and NVIDIA GPUs from `/proc/driver/nvidia/gpus` (none
 * when the worker may not read it).
 *
 * @param workdir A directory on the disk to measure.
 * @param overrides Amounts given on the command line win.
 * @returns What the worker offers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = detectResources(Deno.cwd(), { cores: 3, gpus: 0 });
 * assert.equal(r.cores, 3);
 * assert.ok(r.memory > 0);
 * ```
 */
export function detectResources(workdir: string, overrides: ResourceOverrides = {}): Resources {
  return {
    cores: overrides.cores ?? Math.max(1, navigator.hardwareConcurrency || 1),
    memory: overrides.memory ?? Math.floor(Deno.systemMemoryInfo().total / MB),
    disk: overrides.disk ?? detectDisk(workdir),
    gpus: overrides.gpus ?? detectGpus(),
  };
}

function detectDisk(workdir: string): number {
  const s = statfsSync(workdir);
  return Math.floor((Number(s.bavail) * Number(s.bsize)) / MB);
}

/** Where the NVIDIA driver lists one directory per GPU. */
const NVIDIA_GPUS = "/proc/driver/nvidia/gpus";

function detectGpus(): number {
  // Without read permission there, Deno would ask on a terminal (or deny):
  // count none rather than stop the worker with a prompt.
  if (Deno.permissions.querySync({ name: "read", path: NVIDIA_GPUS }).state !== "granted") {
    return 0;
  }
  try {
    return readdirSync(NVIDIA_GPUS).length;
  } catch {
    return 0; // no NVIDIA driver: no GPUs we know how to count
  }
}
