/**
 * Advertising a named manager to catalogs: one update at start, one every
 * interval, one soon after something a catalog reader wants to know (the
 * first task, a worker joining or leaving; at most one per `minGapMs`), and
 * a last one when the manager closes (marked short-lived, so that workers
 * looking for the project stop picking this manager). When is decided by
 * {@linkcode AdvertiseSchedule} on the manager's clock.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import {
  type CatalogAddress,
  type CatalogRecord,
  resolveCatalogs,
  sendCatalogUpdate,
} from "../catalog/client.ts";
import { AdvertiseSchedule } from "./advertise_schedule.ts";
import type { QueueEvent } from "./queue_event.ts";

/** Options of {@linkcode Advertiser}. */
export interface AdvertiserOptions {
  /** `host:port[,host:port]`; else CATALOG_HOST/CATALOG_PORT, else localhost:9097. */
  catalog?: string;
  /** Seconds between updates. */
  intervalSeconds: number;
  /** The least time between two event-driven updates (ms). Default 5000. */
  minGapMs?: number;
  /**
   * `true`: TCP to port+1; `false`: one UDP datagram. Default: what
   * CATALOG_UPDATE_PROTOCOL (`tcp` or `udp`) says, else TCP.
   */
  tcp?: boolean;
  /** The time and timers. Default: the real clock. */
  clock?: Clock;
  /** Builds the current record. */
  record: () => CatalogRecord;
  /** Where problems are reported (once per catalog and kind of error). */
  log: (level: "debug" | "warn", message: string) => void;
}

/**
 * The transport CATALOG_UPDATE_PROTOCOL asks for, if the process may read it.
 *
 * @param log Told (once) about a value that is neither `tcp` nor `udp`.
 * @returns `true` for TCP, `false` for UDP, `undefined` when unset or unreadable.
 */
export function envWantsTcp(log: AdvertiserOptions["log"]): boolean | undefined {
  const name = "CATALOG_UPDATE_PROTOCOL";
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
    return undefined;
  }
  const v = Deno.env.get(name);
  if (v === undefined || v === "") return undefined;
  if (/^tcp$/i.test(v)) return true;
  if (/^udp$/i.test(v)) return false;
  log("warn", `ignoring ${name}='${v}': expected 'tcp' or 'udp'; catalog updates go over TCP`);
  return undefined;
}

/** Sends the manager's record to its catalogs on a timer and when nudged. */
export class Advertiser {
  #o: AdvertiserOptions & { tcp: boolean };
  #catalogs: CatalogAddress[] | undefined;
  readonly #schedule: AdvertiseSchedule;
  readonly #inFlight = new Set<Promise<void>>();
  #reported = new Set<string>();
  #hadTask = false;
  /** Updates sent (one per catalog per round). */
  sent = 0;

  /**
   * @param options Catalogs, interval, transport, clock, record and log.
   * @throws {TypeError} If `catalog` is given and is not a `host:port` list.
   */
  constructor(options: AdvertiserOptions) {
    this.#o = { ...options, tcp: options.tcp ?? envWantsTcp(options.log) ?? true };
    // A list given in code is checked now; CATALOG_HOST/CATALOG_PORT are read
    // at the first update (an unnamed manager never reads them).
    if (options.catalog) this.#catalogs = resolveCatalogs(options.catalog);
    this.#schedule = new AdvertiseSchedule({
      clock: options.clock ?? realClock,
      intervalMs: options.intervalSeconds * 1000,
      minGapMs: options.minGapMs ?? 5000,
      fire: () => this.#send(),
    });
  }

  /** Whether it has started and not stopped. */
  get running(): boolean {
    return this.#schedule.running;
  }

  /** Whether updates go over TCP (else UDP). */
  get tcp(): boolean {
    return this.#o.tcp;
  }

  /**
   * The catalogs updates go to.
   *
   * @throws {TypeError} If CATALOG_HOST or CATALOG_PORT is malformed.
   */
  get catalogs(): CatalogAddress[] {
    this.#catalogs ??= resolveCatalogs(this.#o.catalog);
    return this.#catalogs;
  }

  /**
   * Changes the catalogs (takes effect with the next update).
   *
   * @param catalog A `host:port[,host:port]` list.
   * @throws {TypeError} If it is not one.
   */
  setCatalog(catalog: string): void {
    const catalogs = resolveCatalogs(catalog);
    this.#o.catalog = catalog;
    this.#catalogs = catalogs;
  }

  /** Sends one update now and then one every interval (once started, again does nothing). */
  start(): void {
    this.#schedule.start();
  }

  /**
   * Asks for an update soon: at once if the last one is at least `minGapMs`
   * old, else when it is. Several asks before it goes are one. Does nothing
   * before `start()` or after `stop()`.
   */
  nudge(): void {
    this.#schedule.soon();
  }

  /** Sends the current record now (if started), counting for the gap. */
  refresh(): void {
    if (this.#schedule.running) this.#schedule.now();
  }

  /**
   * Nudges on the events a catalog reader wants to hear of soon: the
   * queue's first task, and workers joining or leaving.
   *
   * @param e An event of the queue.
   */
  follow(e: QueueEvent): void {
    if (e.type === "worker-joined" || e.type === "worker-left") this.nudge();
    else if (e.type === "task-submitted" && !this.#hadTask) {
      this.#hadTask = true;
      this.nudge();
    }
  }

  #send(): void {
    const p: Promise<void> = this.update()
      .catch((e) => this.#report(`cannot advertise to a catalog: ${(e as Error).message}`))
      .finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  /** Sends the current record now, with `extra` fields on top. */
  async update(extra: CatalogRecord = {}): Promise<void> {
    let catalogs: CatalogAddress[];
    try {
      catalogs = this.catalogs;
    } catch (e) {
      // Malformed CATALOG_HOST/CATALOG_PORT: say so (once), advertise nowhere.
      this.#report(
        `cannot advertise to a catalog: ${(e as Error).message} (CATALOG_HOST/CATALOG_PORT)`,
      );
      return;
    }
    const errors = await sendCatalogUpdate(catalogs, { ...this.#o.record(), ...extra }, {
      tcp: this.#o.tcp,
    });
    this.sent += catalogs.length - errors.length;
    for (const e of errors) this.#report(e.message);
  }

  /** Logs a problem as a warning the first time, as debug after that. */
  #report(message: string): void {
    const level = this.#reported.has(message) ? "debug" : "warn";
    this.#reported.add(message);
    this.#o.log(level, message);
  }

  /** Stops the timers, waits for updates under way, and sends the last update. */
  async stop(): Promise<void> {
    if (!this.#schedule.running) return;
    this.#schedule.stop();
    await Promise.all(this.#inFlight);
    await this.update({ lifetime: 1 });
  }
}
