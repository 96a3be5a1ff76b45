/**
 * The parts of a `WorkQueue`, wired together: the reactor and the `Comm`
 * that carries what it sends, the server, delivery to the application, the
 * catalog advertiser, the CCTools logs and the journal. `WorkQueue` holds
 * them and delegates; {@linkcode closeQueue} takes them down in order.
 *
 * @module
 */

import { Advertiser } from "./advertiser.ts";
import { ConnComm } from "./comm.ts";
import { Delivery } from "./delivery.ts";
import { Journal } from "./journal/journal.ts";
import { QueueLogs } from "./logs/queue_logs.ts";
import { metricsResponse, renderMetrics } from "./metrics.ts";
import type { ResolvedOptions, WorkQueueOptions } from "./options.ts";
import { Reactor } from "./reactor.ts";
import { onInputsStaged, onSchedulePass } from "./reactor_tasks.ts";
import { onClose } from "./reactor_workers.ts";
import { Server } from "./server.ts";
import { computeStats, type WorkQueueStats } from "./stats.ts";
import { type ManagerFacts, managerRecord } from "./status.ts";

/** Everything a `WorkQueue` is made of. */
export interface QueueParts {
  r: Reactor;
  comm: ConnComm;
  server: Server;
  delivery: Delivery;
  advertiser: Advertiser;
  logs: QueueLogs;
  journal: Journal | undefined;
}

/** What the parts ask of the queue that holds them. */
export interface QueueHooks {
  /** Name, port, start time and TLS, for status replies and catalog records. */
  facts(): ManagerFacts;
  /** Whether the queue is closed (delivery stops waiting). */
  closed(): boolean;
  /** When the queue started (ms since the epoch). */
  startedAt: number;
}

/**
 * Makes and wires the parts. A journal is opened (and its tasks restored)
 * before the port listens; if the port or a log cannot be opened, what was
 * opened is given back and the error is thrown.
 *
 * @param options The options as given.
 * @param o The options resolved.
 * @param hooks What the parts read from the queue.
 * @returns The parts; the advertiser is not started yet.
 */
export function buildQueue(
  options: WorkQueueOptions,
  o: ResolvedOptions,
  hooks: QueueHooks,
): QueueParts {
  const p = {} as QueueParts;
  const journal = p.journal = options.journal === undefined
    ? undefined
    : new Journal(options.journal, o.logger);
  p.advertiser = new Advertiser({
    catalog: options.catalog,
    intervalSeconds: o.catalogInterval,
    tcp: options.catalogTcp,
    clock: o.clock,
    record: () => managerRecord(p.r.core, hooks.facts(), p.r.categories),
    log: o.logger,
  });
  const comm = p.comm = new ConnComm({
    schedule: () => onSchedulePass(p.r),
    staged: (task, d, staged) => onInputsStaged(p.r, task, d, staged),
    deliver: (task) => p.delivery.deliver(task),
    log: o.logger,
  });
  p.r = new Reactor(comm, o);
  if (journal) {
    journal.restore(p.r);
    comm.subscribe(journal.follow);
  }
  comm.subscribe((e) => p.advertiser.follow(e));
  p.delivery = new Delivery(p.r, {
    subscribe: (fn) => comm.subscribe(fn),
    closed: hooks.closed,
  });
  let server: Server | undefined;
  try {
    server = p.server = new Server(p.r, comm, {
      ...o,
      ssl: options.ssl,
      facts: hooks.facts,
      metrics: () =>
        metricsResponse(renderMetrics({
          core: p.r.core,
          stats: queueStats(p),
          name: hooks.facts().name,
          startedAt: hooks.startedAt,
          traffic: (id) => p.server.traffic(id),
        })),
    });
    p.logs = new QueueLogs({
      core: p.r.core,
      clock: o.clock,
      stats: () => queueStats(p),
      subscribe: (fn) => comm.subscribe(fn),
      startedAt: hooks.startedAt,
      log: o.logger,
    });
    if (options.statsLog !== undefined) p.logs.specifyLog(options.statsLog);
    if (options.transactionsLog !== undefined) {
      p.logs.specifyTransactionsLog(options.transactionsLog);
    }
  } catch (e) {
    // The port or a log could not be opened: the port and the journal are given back.
    server?.close().catch(() => {});
    journal?.release();
    throw e;
  }
  p.server.password = o.password;
  return p;
}

/**
 * The queue's statistics (`wq.stats`), live bytes of transfers under way
 * included.
 *
 * @param p The parts.
 * @returns The statistics now.
 */
export function queueStats(p: QueueParts): WorkQueueStats {
  const live = p.server.liveBytes();
  return computeStats(p.r.core, {
    tasksUnfittable: p.r.fit.count(),
    hostsBlocked: p.r.blocks.list(),
    liveBytesSent: live.sent,
    liveBytesReceived: live.received,
  });
}

/**
 * Takes the parts down: workers are released, the logs get their last
 * lines, the catalog its last update, and the journal is closed last.
 *
 * @param p The parts.
 */
export async function closeQueue(p: QueueParts): Promise<void> {
  p.journal?.acknowledge();
  onClose(p.r); // queues the releases; a worker that connects now is turned away
  // The logs' last lines see the books as the close left them, live bytes included.
  const logs = p.logs.close();
  await p.advertiser.stop();
  await p.server.close();
  p.delivery.close();
  await logs;
  await p.journal?.close();
}
