/**
 * Advertising a named manager to catalogs: one update at start, one every
 * interval, and a last one when the manager closes (marked short-lived, so
 * that workers looking for the project stop picking this manager).
 *
 * @module
 */

import {
  type CatalogAddress,
  type CatalogRecord,
  resolveCatalogs,
  sendCatalogUpdate,
} from "../catalog/client.ts";

function envIs(name: string, value: string): boolean {
  const granted = Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
  return granted && Deno.env.get(name)?.toLowerCase() === value;
}

/** Options of {@linkcode Advertiser}. */
export interface AdvertiserOptions {
  /** `host:port[,host:port]`; else CATALOG_HOST/CATALOG_PORT, else localhost:9097. */
  catalog?: string;
  /** Seconds between updates. */
  intervalSeconds: number;
  /** Send over TCP (to port+1) instead of UDP. Default: UDP, or TCP if CATALOG_UPDATE_PROTOCOL=tcp. */
  tcp?: boolean;
  /** Builds the current record. */
  record: () => CatalogRecord;
  /** Where problems are reported (once per catalog and kind of error). */
  log: (level: "debug" | "warn", message: string) => void;
}

/** Sends the manager's record to its catalogs on a timer. */
export class Advertiser {
  #o: AdvertiserOptions;
  #catalogs: CatalogAddress[] | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #reported = new Set<string>();
  /** Updates sent (one per catalog per round). */
  sent = 0;

  /**
   * @param options Catalogs, interval, transport, record and log.
   * @throws {TypeError} If `catalog` is given and is not a `host:port` list.
   */
  constructor(options: AdvertiserOptions) {
    this.#o = { ...options, tcp: options.tcp ?? envIs("CATALOG_UPDATE_PROTOCOL", "tcp") };
    // A list given in code is checked now; CATALOG_HOST/CATALOG_PORT are read
    // at the first update (an unnamed manager never reads them).
    if (options.catalog) this.#catalogs = resolveCatalogs(options.catalog);
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

  /** Sends one update now and then one every interval. */
  start(): void {
    if (this.#timer) return;
    this.update();
    this.#timer = setInterval(() => this.update(), this.#o.intervalSeconds * 1000);
    this.#timer.unref();
  }

  /** Sends the current record now. */
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

  /** Stops the timer and sends the last update. */
  async stop(): Promise<void> {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.update({ lifetime: 1 });
  }
}
