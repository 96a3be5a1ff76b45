/**
 * The worker's resources: detection (cores, memory, disk, GPUs), task
 * requests, and the ledger that decides which tasks fit right now.
 *
 * @module
 */

import { readdirSync, statfsSync } from "node:fs";

/** Amounts of the four resources a worker offers and a task asks for. */
export interface Resources {
  /** Whole cores. */
  cores: number;
  /** Megabytes of memory. */
  memory: number;
  /** Megabytes of disk. */
  disk: number;
  /** Whole GPUs. */
  gpus: number;
}

/** A task's request as received: any amount may be missing. */
export type ResourceRequest = Partial<Resources>;

const MB = 1024 * 1024;
const KINDS = ["cores", "memory", "disk", "gpus"] as const;

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

/**
 * What a task will hold while it runs. A request that names no resource at
 * all takes the whole worker; otherwise missing or negative amounts are 0
 * (CCTools `normalize_resources`).
 *
 * @param req The task's request.
 * @param total The worker's resources.
 * @returns The amounts to reserve.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const total = { cores: 4, memory: 1000, disk: 1000, gpus: 0 };
 * assert.deepEqual(normalizeRequest({}, total), total); // asks for nothing: the whole worker
 * assert.deepEqual(normalizeRequest({ cores: 1 }, total), {
 *   cores: 1,
 *   memory: 0, // nothing of what it does not ask for
 *   disk: 0,
 *   gpus: 0,
 * });
 * ```
 */
export function normalizeRequest(req: ResourceRequest, total: Resources): Resources {
  const given = KINDS.some((k) => req[k] !== undefined && req[k]! >= 0);
  if (!given) return { ...total };
  const out = { cores: 0, memory: 0, disk: 0, gpus: 0 };
  for (const k of KINDS) out[k] = Math.max(0, Math.floor(req[k] ?? 0));
  return out;
}

/**
 * Whether `need` fits in `have` in every resource.
 *
 * @param need The amounts wanted.
 * @param have The amounts available.
 * @returns `true` if it fits.
 */
export function fits(need: Resources, have: Resources): boolean {
  return KINDS.every((k) => need[k] <= have[k]);
}

/**
 * The first resource in which `need` is over `have`, as `"cores 8 > 4"`.
 *
 * @param need The amounts wanted.
 * @param have The amounts available.
 * @returns A description, or `undefined` if it fits.
 */
export function shortfall(need: Resources, have: Resources): string | undefined {
  const k = KINDS.find((k) => need[k] > have[k]);
  return k && `${k} ${need[k]} > ${have[k]}`;
}

/**
 * Tracks what running tasks hold out of the worker's total.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const l = new ResourceLedger({ cores: 2, memory: 100, disk: 100, gpus: 0 });
 * const one = { cores: 1, memory: 10, disk: 10, gpus: 0 };
 * assert.equal(l.tryReserve(one), true);
 * assert.equal(l.tryReserve(one), true);
 * assert.equal(l.tryReserve(one), false); // both cores are taken
 * l.release(one);
 * assert.equal(l.tryReserve(one), true);
 * ```
 */
export class ResourceLedger {
  /** The worker's resources. */
  readonly total: Resources;
  #used: Resources = { cores: 0, memory: 0, disk: 0, gpus: 0 };

  /** @param total The worker's resources. */
  constructor(total: Resources) {
    this.total = { ...total };
  }

  /** What is held now. */
  get used(): Resources {
    return { ...this.#used };
  }

  /**
   * Reserves `need` if it fits in what is free.
   *
   * @param need The amounts.
   * @returns Whether it was reserved.
   */
  tryReserve(need: Resources): boolean {
    if (!KINDS.every((k) => this.#used[k] + need[k] <= this.total[k])) return false;
    for (const k of KINDS) this.#used[k] += need[k];
    return true;
  }

  /**
   * Gives back what {@linkcode tryReserve} took.
   *
   * @param held The amounts.
   */
  release(held: Resources): void {
    for (const k of KINDS) {
      this.#used[k] -= held[k];
      if (this.#used[k] < 0) {
        throw new RangeError(`Cannot release ${k}: ${held[k]} is more than was held`);
      }
    }
  }
}
