// The catalog's dashboard in a real headless Chromium (Debian's `chromium`):
// a screenshot and the rendered DOM show the managers and their counts, and
// the page picks up new counts without reloading (driven over the DevTools
// protocol). Fails, never skips, when Chromium is missing.
//
// Set WQ_SCREENSHOT_DIR to keep the screenshots.

import assert from "node:assert/strict";
import { sendCatalogUpdate } from "../lib/catalog/client.ts";
import { WorkQueue } from "../mod.ts";
import {
  type Proc,
  requireBinary,
  spawn,
  startWorker,
  type TempDir,
  tempDir,
  until,
} from "./_harness.ts";
import { startOurCatalog, untilCatalog } from "./_catalog.ts";

function requireChromium(): string {
  return requireBinary("chromium", "apt-get install -y chromium");
}

function chromiumArgs(profile: string): string[] {
  return [
    requireChromium(),
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    `--user-data-dir=${profile}`,
  ];
}

/** Where screenshots go: WQ_SCREENSHOT_DIR if set, else the test's temporary directory. */
function shotPath(dir: TempDir, name: string): string {
  const keep = Deno.env.get("WQ_SCREENSHOT_DIR");
  return `${keep ?? dir.path}/${name}`;
}

/** Checks a PNG's signature and returns its width and height. */
function pngSize(bytes: Uint8Array): [number, number] {
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "a PNG signature");
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return [view.getUint32(16), view.getUint32(20)];
}

function managerRecord(port: number, [waiting, running, done, workers]: number[]) {
  return {
    type: "wq_master",
    project: "dash-proj",
    port,
    owner: "tester",
    tasks_waiting: waiting,
    tasks_running: running,
    tasks_complete: done,
    tasks_done: done,
    workers,
    workers_busy: Math.min(workers, running),
    cores_inuse: running,
    cores_total: workers * 4,
  };
}

async function runChromium(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(args[0], {
    args: args.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("the dashboard renders the catalog's managers in headless Chromium (screenshot and DOM)", async () => {
  await using catalog = await startOurCatalog();
  await using dir = await tempDir("wq-dashboard-");
  assert.deepEqual(
    await sendCatalogUpdate([catalog.address], managerRecord(47001, [5, 3, 12, 2])),
    [],
  );
  assert.deepEqual(
    await sendCatalogUpdate([catalog.address], {
      ...managerRecord(47002, [1, 0, 0, 0]),
      project: "dash-other",
    }),
    [],
  );
  assert.deepEqual(await sendCatalogUpdate([catalog.address], { type: "chirp", port: 1 }), []);
  await untilCatalog(catalog.address, (rs) => rs.length === 3, "three records");
  const url = `http://127.0.0.1:${catalog.port}/`;

  const shot = shotPath(dir, "dashboard.png");
  const s = await runChromium([
    ...chromiumArgs(`${dir.path}/profile-1`),
    `--screenshot=${shot}`,
    "--window-size=1200,800",
    "--virtual-time-budget=3000",
    url,
  ]);
  assert.equal(s.code, 0, s.stderr);
  const png = await Deno.readFile(shot);
  assert.deepEqual(pngSize(png), [1200, 800]);
  assert.ok(png.length > 10_000, "a rendered page, not a blank one");

  const d = await runChromium([
    ...chromiumArgs(`${dir.path}/profile-2`),
    "--dump-dom",
    "--virtual-time-budget=3000",
    url,
  ]);
  assert.equal(d.code, 0, d.stderr);
  const dom = d.stdout;
  const row = /<tr class="manager" data-project="dash-proj"[^>]*>(.*?)<\/tr>/s.exec(dom);
  assert.ok(row, dom);
  const cells = Object.fromEntries(
    [...row[1].matchAll(/data-field="(\w+)">([^<]*)</g)].map((m) => [m[1], m[2]]),
  );
  assert.equal(cells.project, "dash-proj");
  assert.equal(cells.host, "localhost:47001");
  assert.equal(cells.tasks_waiting, "5");
  assert.equal(cells.tasks_running, "3");
  assert.equal(cells.tasks_complete, "12");
  assert.equal(cells.workers, "2");
  assert.equal(cells.cores, "3 / 8");
  assert.match(
    dom,
    /<div class="n" id="t-managers">2<\/div>/,
    "two managers; the chirp record is not one",
  );
  assert.match(dom, /<div class="n" id="t-waiting">6<\/div>/);
  assert.match(dom, /Other records: chirp ×1/);
});

/** A minimal DevTools-protocol client over the browser's WebSocket. */
class Cdp implements AsyncDisposable {
  #ws: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #opened: Promise<void>;

  constructor(url: string) {
    this.#ws = new WebSocket(url);
    this.#opened = new Promise((resolve, reject) => {
      this.#ws.onopen = () => resolve();
      this.#ws.onerror = (e) =>
        reject(new Error(`Cannot connect to Chromium's DevTools: ${(e as ErrorEvent).message}`));
    });
    this.#ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data));
      const p = msg.id !== undefined ? this.#pending.get(msg.id) : undefined;
      if (!p) return; // an event
      this.#pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`DevTools: ${msg.error.message}`));
      else p.resolve(msg.result);
    };
    this.#ws.onclose = () => {
      for (const p of this.#pending.values()) p.reject(new Error("DevTools connection closed"));
      this.#pending.clear();
    };
  }

  async send<T = Record<string, unknown>>(
    method: string,
    params: unknown = {},
    sessionId?: string,
  ): Promise<T> {
    await this.#opened;
    const id = this.#next++;
    const result = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return await result as T;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((r) => this.#ws.addEventListener("close", r));
    this.#ws.close();
    await closed;
  }
}

/** A page in a headless Chromium, driven over DevTools. */
async function openPage(profile: string): Promise<{ browser: Proc; cdp: Cdp; session: string }> {
  const browser = spawn([
    ...chromiumArgs(profile),
    "--remote-debugging-port=0",
    "--window-size=1200,800",
    "about:blank",
  ]);
  const re = /DevTools listening on (ws:\/\/\S+)/;
  let exited = false;
  browser.status.then(() => exited = true);
  await until(() => exited || re.test(browser.log()), "Chromium's DevTools address");
  const m = re.exec(browser.log());
  if (!m) throw new Error(`Chromium did not start: ${browser.log()}`);
  const cdp = new Cdp(m[1]);
  const { targetId } = await cdp.send<{ targetId: string }>("Target.createTarget", {
    url: "about:blank",
  });
  const { sessionId } = await cdp.send<{ sessionId: string }>("Target.attachToTarget", {
    targetId,
    flatten: true,
  });
  await cdp.send("Page.enable", {}, sessionId);
  await cdp.send("Runtime.enable", {}, sessionId);
  await cdp.send("Emulation.setDeviceMetricsOverride", {
    width: 1200,
    height: 800,
    deviceScaleFactor: 1,
    mobile: false,
  }, sessionId);
  return { browser, cdp, session: sessionId };
}

async function evaluate(cdp: Cdp, session: string, expression: string): Promise<unknown> {
  const r = await cdp.send<{ result: { value?: unknown }; exceptionDetails?: { text: string } }>(
    "Runtime.evaluate",
    { expression, returnByValue: true, awaitPromise: true },
    session,
  );
  if (r.exceptionDetails) {
    throw new Error(`Cannot evaluate '${expression}': ${r.exceptionDetails.text}`);
  }
  return r.result.value;
}

async function screenshot(cdp: Cdp, session: string, path: string): Promise<void> {
  const { data } = await cdp.send<{ data: string }>(
    "Page.captureScreenshot",
    { format: "png" },
    session,
  );
  const png = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  assert.deepEqual(pngSize(png), [1200, 800]);
  await Deno.writeFile(path, png);
}

const ROW = `document.querySelector('tr[data-project="dash-proj"]')`;
const CELLS = `(() => { const r = ${ROW}; if (!r) return null;
  return Object.fromEntries([...r.querySelectorAll("[data-field]")].map((c) => [c.dataset.field, c.textContent])); })()`;

Deno.test("the dashboard shows new counts without reloading, and a manager's workers on demand", async () => {
  await using catalog = await startOurCatalog();
  await using dir = await tempDir("wq-dashboard-live-");
  // A real manager with one of our workers: the page asks it for its workers.
  await using wq = new WorkQueue({ port: 0, logger: () => {} });
  await using _worker = startWorker(wq.port, {
    args: ["--cores", "4", "--memory", "512", "--disk", "512"],
  });
  await until(() => wq.stats.workersConnected === 1, "the worker to connect");
  assert.deepEqual(
    await sendCatalogUpdate([catalog.address], managerRecord(wq.port, [5, 3, 12, 1])),
    [],
  );
  await untilCatalog(catalog.address, (rs) => rs.length === 1, "the record");

  const { browser, cdp, session } = await openPage(`${dir.path}/profile`);
  await using _browser = browser;
  await using _cdp = cdp;
  await cdp.send(
    "Page.navigate",
    { url: `http://127.0.0.1:${catalog.port}/?refresh=300` },
    session,
  );
  await until(
    async () =>
      (await evaluate(cdp, session, CELLS) as Record<string, string> | null)?.tasks_waiting === "5",
    "the first counts",
  );
  // One snapshot of the row: the age cell changes with every refresh.
  const { lastheardfrom, ...first } = await evaluate(cdp, session, CELLS) as Record<string, string>;
  assert.deepEqual(first, {
    project: "dash-proj",
    host: `localhost:${wq.port}`,
    tasks_waiting: "5",
    tasks_running: "3",
    tasks_complete: "12",
    workers: "1",
    workers_busy: "1",
    cores: "3 / 4",
    owner: "tester",
  });
  assert.match(lastheardfrom, /^\d+ s ago$/);
  await screenshot(cdp, session, shotPath(dir, "dashboard-live-1.png"));

  // Mark this page load, then change the counts in the catalog.
  await evaluate(cdp, session, "window.__sameLoad = 'yes'");
  const before = Number(await evaluate(cdp, session, "document.body.dataset.refreshes"));
  assert.deepEqual(
    await sendCatalogUpdate([catalog.address], managerRecord(wq.port, [0, 1, 20, 1])),
    [],
  );
  await until(
    async () =>
      (await evaluate(cdp, session, CELLS) as Record<string, string>).tasks_complete === "20",
    "the new counts",
  );
  const after = await evaluate(cdp, session, CELLS) as Record<string, string>;
  assert.equal(after.tasks_waiting, "0");
  assert.equal(after.tasks_running, "1");
  assert.equal(
    await evaluate(cdp, session, "window.__sameLoad"),
    "yes",
    "the page was not reloaded",
  );
  assert.ok(Number(await evaluate(cdp, session, "document.body.dataset.refreshes")) > before);
  assert.equal(
    await evaluate(cdp, session, `document.getElementById("t-complete").textContent`),
    "20",
  );

  // Open the manager's row: the page asks the manager (not the catalog) for its workers.
  await evaluate(cdp, session, `${ROW}.querySelector("button.toggle").click()`);
  await until(
    async () =>
      Number(
        await evaluate(cdp, session, `document.querySelectorAll("tr.detail tr.worker").length`),
      ) === 1,
    "the worker list from the manager",
  );
  const worker = await evaluate(
    cdp,
    session,
    `[...document.querySelector("tr.detail tr.worker").cells].map((c) => c.textContent)`,
  ) as string[];
  assert.match(worker[1], /^127\.0\.0\.1:\d+$/);
  assert.equal(worker[6 - 1], "0 / 4", "cores in use / total");
  await screenshot(cdp, session, shotPath(dir, "dashboard-live-2.png"));
});
