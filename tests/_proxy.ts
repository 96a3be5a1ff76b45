/**
 * A TCP proxy for fault-injection tests: it listens on 127.0.0.1 (port 0),
 * forwards every connection to a target port on 127.0.0.1, counts the bytes
 * in each direction, and can cut a connection after N bytes in one
 * direction, or every connection on demand; it can also slow one direction
 * down, or freeze a connection (keep it open, forward nothing), as when a
 * machine drops off the network without closing anything.
 *
 * Directions are named for a worker that dials the manager through the
 * proxy: `toWorker` is what the target (the manager) sends, `toManager`
 * what the client (the worker) sends.
 *
 * @module
 */

/** Which way bytes flow through the proxy. */
export type Direction = "toWorker" | "toManager";

/** Cut the first connection whose traffic in `direction` reaches `afterBytes`. */
export interface CutRule {
  direction: Direction;
  /** Bytes forwarded in that direction before the cut (exactly these, no more). */
  afterBytes: number;
  /**
   * Instead of closing the connection, stop forwarding in both directions
   * and keep both sockets open until the proxy closes.
   */
  freeze?: boolean;
}

/** Options of {@linkcode startProxy}. */
export interface ProxyOptions {
  /** Cut one connection after N bytes in one direction; later connections pass untouched. */
  cut?: CutRule;
  /** Forward at most this many bytes per second in a direction (every connection). */
  throttle?: Partial<Record<Direction, number>>;
  /**
   * Called after each chunk forwarded, with its direction and size (a test
   * can move a manual clock by the time the chunk would take on a slow link).
   */
  onForward?: (direction: Direction, bytes: number) => void;
}

/** What a cut did. */
export interface CutReport {
  /** The connection's number (1 for the first accepted). */
  connection: number;
  direction: Direction;
  /** Bytes forwarded each way on that connection before it was cut. */
  toWorker: number;
  toManager: number;
}

/** A running proxy. */
export interface TcpProxy extends AsyncDisposable {
  /** The port it listens on. */
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Resolves when the rule has cut a connection (never, without a rule). */
  cut: Promise<CutReport>;
  /** Cuts every open connection now. */
  cutAll(): void;
  /** Stops listening and cuts every connection. */
  close(): Promise<void>;
}

/** Errors a pump sees when the proxy itself (or the peer) closed the socket. */
function isClosedError(e: unknown): boolean {
  return e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted ||
    e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.NotConnected;
}

function closeQuietly(c: Deno.Conn): void {
  try {
    c.close();
  } catch (e) {
    if (!(e instanceof Deno.errors.BadResource)) throw e;
  }
}

/**
 * Starts a proxy to `127.0.0.1:targetPort`.
 *
 * @param targetPort The port to forward to (the manager's).
 * @param options A cut to make, and directions to slow down.
 * @returns The proxy; dispose it to stop it.
 */
export function startProxy(targetPort: number, options: ProxyOptions = {}): TcpProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" });
  const open = new Set<() => void>();
  const pumps = new Set<Promise<void>>();
  let rule = options.cut;
  let accepted = 0;
  let reportCut!: (r: CutReport) => void;
  const cut = new Promise<CutReport>((r) => reportCut = r);
  // Frozen pumps wait on this until the proxy closes.
  let thaw!: () => void;
  const closedSignal = new Promise<void>((r) => thaw = r);

  async function serve(client: Deno.TcpConn, n: number): Promise<void> {
    let target: Deno.TcpConn;
    try {
      target = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
    } catch (e) {
      closeQuietly(client);
      if (e instanceof Deno.errors.ConnectionRefused) return;
      throw e;
    }
    client.setNoDelay(true);
    target.setNoDelay(true);
    const count: Record<Direction, number> = { toWorker: 0, toManager: 0 };
    let closed = false;
    let frozen = false;
    const closeBoth = () => {
      if (closed) return;
      closed = true;
      open.delete(closeBoth);
      closeQuietly(client);
      closeQuietly(target);
    };
    open.add(closeBoth);
    const pump = async (from: Deno.Conn, to: Deno.Conn, dir: Direction) => {
      const buf = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const got = await from.read(buf);
          if (frozen) {
            // Forward nothing, not even the end of the stream, until the proxy closes.
            await closedSignal;
            break;
          }
          if (got === null) break;
          let pass = got;
          const r = rule;
          const cutting = r !== undefined && r.direction === dir &&
            count[dir] + got >= r.afterBytes;
          if (cutting) pass = r!.afterBytes - count[dir];
          let off = 0;
          while (off < pass) off += await to.write(buf.subarray(off, pass));
          count[dir] += pass;
          if (pass > 0) options.onForward?.(dir, pass);
          const rate = options.throttle?.[dir];
          if (rate) await new Promise((res) => setTimeout(res, (pass / rate) * 1000));
          if (cutting && rule === r) {
            rule = undefined; // once
            reportCut({ connection: n, direction: dir, ...count });
            if (r!.freeze) {
              frozen = true;
              await closedSignal;
            }
            closeBoth();
            return;
          }
        }
      } catch (e) {
        if (!closed && !isClosedError(e)) throw e;
      }
      closeBoth();
    };
    await Promise.all([pump(target, client, "toWorker"), pump(client, target, "toManager")]);
  }

  const accepting = (async () => {
    try {
      for await (const c of listener) {
        const p = serve(c, ++accepted);
        pumps.add(p);
        p.finally(() => pumps.delete(p));
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    }
  })();

  const cutAll = () => {
    for (const closeBoth of [...open]) closeBoth();
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      try {
        listener.close();
      } catch (e) {
        if (!(e instanceof Deno.errors.BadResource)) throw e;
      }
      await accepting;
      thaw();
      cutAll();
      await Promise.all(pumps);
    })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    accepted: () => accepted,
    cut,
    cutAll,
    close,
    [Symbol.asyncDispose]: close,
  };
}
