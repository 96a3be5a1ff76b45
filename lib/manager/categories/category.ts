/**
 * One task category's sizing: its mode, the maximum and minimum the
 * application set, what its tasks were measured using, and the first
 * allocation the manager learned from that (CCTools' `category.c`, in our
 * own words). Pure: no clock, no I/O; the reactor feeds it measurements
 * and the scheduler asks it what a task gets.
 *
 * - In `FIXED` mode a task runs with what it declares, filled in from the
 *   category's maximum; a task that declares nothing takes a whole worker.
 * - In the automatic modes (`MAX`, `MIN_WASTE`, `MAX_THROUGHPUT`), a task
 *   runs with the category's maximum (a whole worker for what it does not
 *   set) until the category is steady: `steadyAfter` measured tasks in a
 *   row without a new largest value. Then it runs with the first
 *   allocation, recomputed every `steadyAfter` measurements, never below
 *   the minimum. What a task declares itself is never changed.
 * - A task that runs out of memory or disk at its first allocation runs
 *   again with the maximum; at the maximum (or on a resource it declared,
 *   or above the category's explicit maximum) it is given up.
 *
 * @module
 */

import {
  WORK_QUEUE_ALLOCATION_MODE_FIXED,
  WORK_QUEUE_ALLOCATION_MODE_MAX,
  WORK_QUEUE_ALLOCATION_MODE_MAX_THROUGHPUT,
  WORK_QUEUE_ALLOCATION_MODE_MIN_WASTE,
} from "../../constants.ts";
import type { Exhaustion, Measured } from "../../measured.ts";
import type { ResourceRequest, Resources } from "../../resources.ts";
import { firstAllocationOf } from "./first_allocation.ts";
import { Histogram } from "./histogram.ts";

/** The resources the automatic modes label, with their bucket sizes (CCTools' defaults). */
const LABELLED = [["cores", 1], ["memory", 250], ["disk", 250]] as const;

/** One of the resources the automatic modes label. */
export type LabelledResource = typeof LABELLED[number][0];

/** The name of each `WORK_QUEUE_ALLOCATION_MODE_*` value. */
export const MODE_NAMES: Readonly<Record<number, AllocationModeName>> = {
  [WORK_QUEUE_ALLOCATION_MODE_FIXED]: "fixed",
  [WORK_QUEUE_ALLOCATION_MODE_MAX]: "max",
  [WORK_QUEUE_ALLOCATION_MODE_MIN_WASTE]: "min-waste",
  [WORK_QUEUE_ALLOCATION_MODE_MAX_THROUGHPUT]: "max-throughput",
};

/** A category's allocation mode, in words. */
export type AllocationModeName = "fixed" | "max" | "min-waste" | "max-throughput";

/**
 * Which allocation a task asks for: its category's first allocation, or
 * its maximum (after it ran out at the first one).
 */
export type AllocationLabel = "first" | "max";

/**
 * What a task asks for: `req`, and whether what `req` leaves unset takes
 * the worker's whole amount (`fill`, the automatic modes' maximum) or
 * CCTools' defaults (`allocationFor`).
 */
export interface SizedRequest {
  readonly req: Readonly<ResourceRequest>;
  readonly fill: boolean;
}

/** What to do with a task that ran out of a resource. */
export type ExhaustionVerdict =
  | { retry: true }
  | { retry: false; why: string };

function defined(into: ResourceRequest, from: Readonly<ResourceRequest>): void {
  for (const k of ["cores", "memory", "disk", "gpus"] as const) {
    if (from[k] !== undefined) into[k] = from[k];
  }
}

/** Cores as CCTools counts them: a little under a whole core is that core. */
function coresOf(m: Measured): number | undefined {
  const c = m.cores;
  return c === undefined ? undefined : c > 0 ? Math.min(c, Math.ceil(c - 0.1)) : c;
}

function valueOf(m: Measured, k: LabelledResource): number | undefined {
  return k === "cores" ? coresOf(m) : k === "memory" ? m.memoryMB : m.diskMB;
}

/**
 * A category's sizing state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WORK_QUEUE_ALLOCATION_MODE_MAX } from "../../constants.ts";
 * const c = new Category("align");
 * c.mode = WORK_QUEUE_ALLOCATION_MODE_MAX;
 * assert.deepEqual(c.request({}, "first"), { req: {}, fill: true }); // a whole worker
 * c.accumulate({ method: "cgroup", memoryMB: 100, cores: 1, diskMB: 10, wallSeconds: 2 }, {
 *   steadyAfter: 1,
 * });
 * assert.deepEqual(c.request({}, "first").req, { cores: 1, memory: 250, disk: 250 });
 * assert.deepEqual(c.request({ memory: 50 }, "first").req, { cores: 1, memory: 50, disk: 250 });
 * ```
 */
export class Category {
  /** Its name. */
  readonly name: string;
  /** A `WORK_QUEUE_ALLOCATION_MODE_*` value. */
  mode: number = WORK_QUEUE_ALLOCATION_MODE_FIXED;
  /** The maximum the application set (`specifyCategoryMaxResources`). */
  max: ResourceRequest = {};
  /** The minimum the application set (`specifyCategoryMinResources`). */
  min: ResourceRequest = {};
  /** The largest amounts measured, exhausted tasks included. */
  readonly maxSeen: ResourceRequest = {};
  /** Tasks measured that ended normally (their values are in the histograms). */
  measured = 0;
  /** Tasks that ran out of a resource. */
  exhausted = 0;
  /** Sums of what normal tasks used, for the averages. */
  readonly sums = { memoryMB: 0, diskMB: 0, cores: 0, wallSeconds: 0 };
  /** How many measurements each sum has. */
  readonly sumCounts = { memoryMB: 0, diskMB: 0, cores: 0, wallSeconds: 0 };
  #first: ResourceRequest | undefined;
  #steady = false;
  #sinceReset = 0;
  readonly #hist: Record<LabelledResource, Histogram> = {
    cores: new Histogram(1),
    memory: new Histogram(250),
    disk: new Histogram(250),
  };

  /** @param name The category's name. */
  constructor(name: string) {
    this.name = name;
  }

  /** Whether the mode is an automatic one. */
  get automatic(): boolean {
    return this.mode !== WORK_QUEUE_ALLOCATION_MODE_FIXED;
  }

  /** Whether it knows enough to size tasks with the first allocation. */
  get steady(): boolean {
    return this.#steady;
  }

  /** The first allocation, once computed (a copy). */
  get first(): ResourceRequest | undefined {
    return this.#first && { ...this.#first };
  }

  /** Whether it sizes any task differently from what the task declares. */
  get active(): boolean {
    return this.automatic || Object.keys(this.max).length > 0 ||
      Object.keys(this.min).length > 0;
  }

  /**
   * Sets the minimum; it counts as measured, so the first allocation never
   * goes below it.
   *
   * @param min The amounts.
   */
  setMin(min: ResourceRequest): void {
    this.min = { ...min };
    this.#grow(min);
  }

  /**
   * Sets the first allocation outright, and makes the category steady.
   *
   * @param guess The amounts.
   */
  setFirstGuess(guess: ResourceRequest): void {
    this.#first = { ...guess };
    this.#steady = true;
    this.#grow(guess);
  }

  #grow(r: Readonly<ResourceRequest>): void {
    for (const k of ["cores", "memory", "disk", "gpus"] as const) {
      const v = r[k];
      if (v !== undefined && !(v <= (this.maxSeen[k] ?? -1))) this.maxSeen[k] = v;
    }
  }

  /**
   * Learns from a task's measurement.
   *
   * @param m What it used (a measurement with only the wall time teaches nothing).
   * @param options `exhausted`: it ran out of a resource (`null`: the
   * worker did not say which), so its values raise the maximum seen, not
   * the histograms; `steadyAfter`: measurements needed; `largest`: the
   * largest worker's amounts, a cap in `MAX` mode.
   * @returns Whether the first allocation changed.
   */
  accumulate(
    m: Measured,
    options: {
      exhausted?: Exhaustion | null;
      steadyAfter: number;
      largest?: () => Readonly<Resources>;
    },
  ): boolean {
    const e = options.exhausted;
    if (e !== undefined) {
      this.exhausted++;
      if (e) this.#grow({ [e.resource]: e.peakMB });
    }
    const values = LABELLED.map(([k]) => [k, valueOf(m, k)] as const);
    if (values.every(([, v]) => v === undefined)) return false;
    this.#grow(Object.fromEntries(values.filter(([, v]) => v !== undefined)));
    if (e !== undefined) return false;
    let changed = false;
    if (!this.#steady) {
      // A value above every bucket so far (on a resource with no explicit
      // maximum) makes the first allocation stale: count again.
      const fresh = values.some(([k, v]) =>
        v !== undefined && !(this.max[k]! > 0) &&
        v > this.#hist[k].roundUp(this.#hist[k].max)
      );
      if (fresh) {
        changed = this.#first !== undefined;
        this.#first = undefined;
        this.#sinceReset = 0;
      }
    }
    const wall = m.wallSeconds ?? 0;
    for (const [k, v] of values) if (v !== undefined) this.#hist[k].add(v, wall);
    this.#sum(m);
    this.measured++;
    this.#sinceReset++;
    const n = Math.max(1, options.steadyAfter);
    if (this.#sinceReset >= n) this.#steady = true;
    if (this.#sinceReset % n === 0) changed = this.#updateFirst(options.largest) || changed;
    return changed;
  }

  #sum(m: Measured): void {
    for (const k of ["memoryMB", "diskMB", "cores", "wallSeconds"] as const) {
      const v = m[k];
      if (v === undefined) continue;
      this.sums[k] += v;
      this.sumCounts[k]++;
    }
  }

  #updateFirst(largestOf: (() => Readonly<Resources>) | undefined): boolean {
    if (!this.automatic) return false;
    const first: ResourceRequest = {};
    const largest = largestOf?.();
    for (const [k] of LABELLED) {
      const explicit = this.max[k];
      const worker = largest?.[k] || undefined;
      const top = explicit ?? this.maxSeen[k] ?? worker;
      const v = firstAllocationOf(this.mode, this.#hist[k], { top, explicit, worker });
      if (v === undefined) continue;
      first[k] = Math.max(v, this.min[k] ?? 0, k === "cores" ? 1 : 0);
    }
    const before = JSON.stringify(this.#first);
    this.#first = first;
    return JSON.stringify(first) !== before;
  }

  /**
   * What a task of this category asks for.
   *
   * @param declared What the task declares (kept as it is).
   * @param label The first allocation, or the maximum.
   * @returns The request: the category's maximum, then (first label,
   * steady, automatic mode) its first allocation, then what the task
   * declares; never below the minimum where set.
   */
  request(declared: Readonly<ResourceRequest>, label: AllocationLabel): SizedRequest {
    const req: ResourceRequest = {};
    defined(req, this.max);
    if (label === "first" && this.automatic && this.#steady && this.#first) {
      defined(req, this.#first);
    }
    defined(req, declared);
    for (const k of ["cores", "memory", "disk", "gpus"] as const) {
      const lo = this.min[k];
      if (lo !== undefined && req[k] !== undefined && declared[k] === undefined) {
        req[k] = Math.max(req[k]!, lo);
      }
    }
    return { req, fill: this.automatic };
  }

  /**
   * How a task's request was sized, for `explain()` and the status: by
   * the first allocation, or by the maximum.
   *
   * @param label The label the task asks with.
   * @returns `"first"` only if the first allocation applies.
   */
  sizedAs(label: AllocationLabel): AllocationLabel {
    return label === "first" && this.automatic && this.#steady && this.#first ? "first" : "max";
  }

  /**
   * Whether a task that ran out of a resource runs again with the maximum.
   *
   * @param declared What the task declares.
   * @param sizedAs How the run that ran out was sized.
   * @param e What ran out, if the worker said.
   * @returns Retry, or why not.
   */
  onExhausted(
    declared: Readonly<ResourceRequest>,
    sizedAs: AllocationLabel,
    e: Exhaustion | undefined,
  ): ExhaustionVerdict {
    if (!this.automatic) {
      return { retry: false, why: `category '${this.name}' is in FIXED mode` };
    }
    if (sizedAs === "max") {
      return { retry: false, why: `it ran with the maximum of category '${this.name}'` };
    }
    if (e && declared[e.resource] !== undefined) {
      return { retry: false, why: `the task declared its ${e.resource}` };
    }
    const cap = e && this.max[e.resource];
    if (e && cap !== undefined && e.peakMB > cap) {
      return {
        retry: false,
        why: `its peak is above the maximum of category '${this.name}' (${cap} MB)`,
      };
    }
    return { retry: true };
  }
}
