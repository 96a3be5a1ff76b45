/**
 * Resource accounting, shared by the manager and the worker: the four
 * resources of protocol 9 (cores, memory in MB, disk in MB, GPUs), what a
 * task takes on a worker, whether it fits beside what is in use, and the
 * books of what is held.
 *
 * Two readings of a request live here side by side, because the two ends of
 * the connection apply different rules to the same four numbers:
 * {@linkcode allocationFor} is what the manager reserves on a worker and
 * sends in the `task` block; {@linkcode normalizeRequest} is how a worker
 * reads the block's resource lines (CCTools' `normalize_resources`).
 *
 * @module
 */

/** The resources a task asks for and a worker offers, in the protocol's order of `resource` lines. */
export const RESOURCE_KINDS = ["cores", "memory", "disk", "gpus"] as const;

/** One of {@linkcode RESOURCE_KINDS}. */
export type ResourceKind = typeof RESOURCE_KINDS[number];

/** Amounts of the four resources. */
export interface Resources {
  /** Cores (fractions are allowed on the manager's books). */
  cores: number;
  /** Megabytes of memory. */
  memory: number;
  /** Megabytes of disk. */
  disk: number;
  /** GPUs. */
  gpus: number;
}

/** A request as a task states it or a `task` block carries it: any amount may be missing. */
export type ResourceRequest = Partial<Resources>;

/** What a worker has and what its tasks hold now. */
export interface ResourcePool {
  /** The worker's totals. */
  readonly total: Readonly<Resources>;
  /** What is held; absent means nothing. */
  readonly inUse?: Readonly<Resources>;
}

/**
 * A zero amount of everything.
 *
 * @returns A fresh object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(noResources(), { cores: 0, memory: 0, disk: 0, gpus: 0 });
 * ```
 */
export function noResources(): Resources {
  return { cores: 0, memory: 0, disk: 0, gpus: 0 };
}

/**
 * Whether a request names no resource at all: such a task takes a whole
 * worker (spec §4.1).
 *
 * @param req The request.
 * @returns `true` if every amount is missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(asksForNothing({}), true);
 * assert.equal(asksForNothing({ disk: 0 }), false);
 * ```
 */
export function asksForNothing(req: Readonly<ResourceRequest>): boolean {
  return req.cores === undefined && req.memory === undefined && req.disk === undefined &&
    req.gpus === undefined;
}

/**
 * What the manager reserves for a task on a worker with `total` resources:
 * a task that asks for nothing takes the whole worker (as in CCTools);
 * otherwise what it asks for, with unset amounts taken as 0 (disk, memory,
 * gpus) or 1 core when it asks only for memory, disk or gpus.
 *
 * @param req The task's request.
 * @param total The worker's totals.
 * @returns The allocation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const total = { cores: 4, memory: 8000, disk: 10000, gpus: 0 };
 * assert.deepEqual(allocationFor({}, total), total); // asks for nothing: the whole worker
 * assert.deepEqual(allocationFor({ memory: 100 }, total), {
 *   cores: 1, // one core unless it asks for more
 *   memory: 100,
 *   disk: 0,
 *   gpus: 0,
 * });
 * ```
 */
export function allocationFor(req: Readonly<ResourceRequest>, total: Resources): Resources {
  if (asksForNothing(req)) return { ...total };
  return {
    cores: req.cores ?? (req.gpus ? 0 : 1),
    memory: req.memory ?? 0,
    disk: req.disk ?? 0,
    gpus: req.gpus ?? 0,
  };
}

/**
 * How a worker reads the resource lines of a `task` block: a block that
 * names no resource (or only negative amounts) takes the whole worker;
 * otherwise missing or negative amounts are 0 and fractions are dropped
 * (CCTools `normalize_resources`).
 *
 * @param req The resources the block carried.
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
export function normalizeRequest(req: Readonly<ResourceRequest>, total: Resources): Resources {
  const given = RESOURCE_KINDS.some((k) => req[k] !== undefined && req[k]! >= 0);
  if (!given) return { ...total };
  const out = noResources();
  for (const k of RESOURCE_KINDS) out[k] = Math.max(0, Math.floor(req[k] ?? 0));
  return out;
}

/**
 * Whether `need` fits beside what the pool holds, in every resource
 * (`inUse + need <= total`).
 *
 * @param need The amounts wanted.
 * @param pool The totals, and what is in use (default nothing).
 * @returns `true` if it fits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const total = { cores: 2, memory: 100, disk: 100, gpus: 0 };
 * const one = { cores: 1, memory: 10, disk: 10, gpus: 0 };
 * assert.equal(fits(one, { total }), true);
 * assert.equal(fits(one, { total, inUse: { ...one, cores: 2 } }), false); // no core left
 * ```
 */
export function fits(need: Readonly<Resources>, pool: ResourcePool): boolean {
  const t = pool.total;
  const u = pool.inUse;
  if (!u) {
    return need.cores <= t.cores && need.memory <= t.memory && need.disk <= t.disk &&
      need.gpus <= t.gpus;
  }
  return need.cores + u.cores <= t.cores && need.memory + u.memory <= t.memory &&
    need.disk + u.disk <= t.disk && need.gpus + u.gpus <= t.gpus;
}

/**
 * The first resource in which `need` does not fit, as `"cores 8 > 4"`
 * (the amount wanted and what is free).
 *
 * @param need The amounts wanted.
 * @param pool The totals, and what is in use (default nothing).
 * @returns A description, or `undefined` if it fits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const total = { cores: 4, memory: 1000, disk: 1000, gpus: 1 };
 * assert.equal(shortfall({ cores: 1, memory: 0, disk: 0, gpus: 2 }, { total }), "gpus 2 > 1");
 * assert.equal(shortfall({ cores: 1, memory: 0, disk: 0, gpus: 0 }, { total }), undefined);
 * ```
 */
export function shortfall(need: Readonly<Resources>, pool: ResourcePool): string | undefined {
  const u = pool.inUse;
  const k = RESOURCE_KINDS.find((k) => need[k] + (u ? u[k] : 0) > pool.total[k]);
  return k && `${k} ${need[k]} > ${pool.total[k] - (u ? u[k] : 0)}`;
}

/**
 * Adds an allocation to the books of what is held.
 *
 * @param inUse The books, changed in place.
 * @param amounts The allocation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const books = noResources();
 * reserve(books, { cores: 1, memory: 10, disk: 0, gpus: 0 });
 * release(books, { cores: 1, memory: 10, disk: 0, gpus: 0 });
 * assert.deepEqual(books, noResources());
 * ```
 */
export function reserve(inUse: Resources, amounts: Readonly<Resources>): void {
  inUse.cores += amounts.cores;
  inUse.memory += amounts.memory;
  inUse.disk += amounts.disk;
  inUse.gpus += amounts.gpus;
}

/**
 * Takes an allocation off the books of what is held. It does not check for
 * going below zero: the manager's books hold fractional cores, whose sums
 * are not exact ({@linkcode ResourceLedger} checks its whole amounts).
 *
 * @param inUse The books, changed in place.
 * @param amounts The allocation given back.
 */
export function release(inUse: Resources, amounts: Readonly<Resources>): void {
  inUse.cores -= amounts.cores;
  inUse.memory -= amounts.memory;
  inUse.disk -= amounts.disk;
  inUse.gpus -= amounts.gpus;
}

/**
 * The books of one worker's whole-number resources: reserves only what
 * fits, and refuses to give back more than is held.
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
export class ResourceLedger implements ResourcePool {
  /** The worker's resources. */
  readonly total: Readonly<Resources>;
  #inUse: Resources = noResources();

  /** @param total The worker's resources. */
  constructor(total: Readonly<Resources>) {
    this.total = { ...total };
  }

  /** What is held now (a live, read-only view). */
  get inUse(): Readonly<Resources> {
    return this.#inUse;
  }

  /** What is held now (a copy). */
  get used(): Resources {
    return { ...this.#inUse };
  }

  /**
   * Reserves `need` if it fits in what is free.
   *
   * @param need The amounts.
   * @returns Whether it was reserved.
   */
  tryReserve(need: Readonly<Resources>): boolean {
    if (!fits(need, this)) return false;
    reserve(this.#inUse, need);
    return true;
  }

  /**
   * Gives back what {@linkcode ResourceLedger.tryReserve} took.
   *
   * @param held The amounts.
   * @throws {RangeError} If that is more than is held; the books are unchanged then.
   */
  release(held: Readonly<Resources>): void {
    const k = RESOURCE_KINDS.find((k) => this.#inUse[k] - held[k] < 0);
    if (k) throw new RangeError(`Cannot release ${k}: ${held[k]} is more than was held`);
    release(this.#inUse, held);
  }
}
