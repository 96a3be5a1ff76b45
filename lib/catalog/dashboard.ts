/**
 * The catalog's HTML dashboard, served at `/`: one self-contained page (no
 * external scripts, styles or fonts) that lists the managers the catalog
 * knows with their task and worker counts, and refreshes itself from
 * `/query.json` without reloading. A manager's row can be opened to show its
 * workers, which the browser asks the manager for directly
 * (`http://ADDRESS:PORT/worker_status`, which Work Queue managers serve with
 * `Access-Control-Allow-Origin: *`).
 *
 * Record fields are put into the page only as text (`textContent`), never as
 * HTML, since anyone who can send an update chooses them.
 *
 * @module
 */

/** Options of {@linkcode dashboardHtml}. */
export interface DashboardOptions {
  /** Milliseconds between refreshes (a `?refresh=MS` query overrides it). Default 2000. */
  refreshMs?: number;
  /** The page's title. Default `Work Queue catalog`. */
  title?: string;
}

/** The Content-Security-Policy sent with the page: nothing is loaded from elsewhere. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src *; img-src data:; base-uri 'none'; form-action 'none'";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light; --fg: #1d2733; --muted: #5f6b7a; --line: #dfe4ea; --accent: #1f6feb;
  --bg: #f6f8fa; --card: #ffffff; --ok: #1a7f37; --bad: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif;
  color: var(--fg); background: var(--bg); }
header { background: #0d2238; color: #fff; padding: 14px 24px; display: flex; align-items: baseline; gap: 16px; }
header h1 { font-size: 18px; margin: 0; font-weight: 600; }
#status { font-size: 12px; color: #b8c7d9; }
#status.error { color: #ffb4b4; font-weight: 600; }
main { padding: 18px 24px; }
.tiles { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 18px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.tile .n { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .l { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
th, td { padding: 7px 10px; text-align: left; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { background: #eef2f6; font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.manager:hover { background: #f3f7fc; }
tr.detail > td { background: #fafbfc; padding: 8px 10px 12px 34px; }
tr.detail table { font-size: 13px; }
button.toggle { border: 1px solid var(--line); background: #fff; border-radius: 4px; cursor: pointer; font-size: 12px; padding: 1px 7px; }
.empty { color: var(--muted); padding: 18px; text-align: center; }
.project { font-weight: 600; }
.age { color: var(--muted); }
.note { color: var(--muted); font-size: 12px; margin-top: 10px; }
.err { color: var(--bad); }
`;

const SCRIPT = `
"use strict";
const params = new URLSearchParams(location.search);
const REFRESH = Math.max(250, Number(params.get("refresh")) || DEFAULT_REFRESH);
const open = new Set();
const details = new Map();
let refreshes = 0;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k === "onclick") e.onclick = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c));
  return e;
}
function num(v) { return typeof v === "number" && isFinite(v) ? v : 0; }
function text(v) { return v === undefined || v === null ? "" : String(v); }
function isManager(r) { return r.type === "wq_master" || r.type === "wq_manager"; }
function keyOf(r) { return text(r.address) + ":" + text(r.port) + ":" + text(r.project); }
function age(r) {
  const s = Math.max(0, Math.round(Date.now() / 1000 - num(r.lastheardfrom)));
  return s < 120 ? s + " s ago" : s < 7200 ? Math.round(s / 60) + " min ago" : Math.round(s / 3600) + " h ago";
}
function count(v) { return typeof v === "number" && isFinite(v) ? v : "\u2013"; }
function cell(field, value, cls) {
  return el("td", { class: cls === undefined ? "num" : cls, dataset: { field } }, value);
}

async function loadWorkers(r, target) {
  const url = "http://" + (text(r.address).includes(":") ? "[" + r.address + "]" : r.address) + ":" + num(r.port) + "/worker_status";
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 3000);
  try {
    const res = await fetch(url, { signal: ac.signal, cache: "no-store" });
    const workers = await res.json();
    if (!Array.isArray(workers)) throw new Error("not a list");
    const rows = workers.map((w) => el("tr", { class: "worker" },
      el("td", {}, text(w.hostname || w.host)),
      el("td", {}, text(w.address_port || w.addrport)),
      el("td", {}, text(w.state)),
      el("td", { class: "num" }, num(w.tasks_running ?? Object.keys(w).filter((k) => /^current_task_\\d+_id$/.test(k)).length)),
      el("td", { class: "num" }, num(w.total_tasks_complete ?? w.tasks_complete)),
      el("td", { class: "num" }, num(w.cores_inuse) + " / " + num(w.cores_total)),
      el("td", { class: "num" }, num(w.memory_inuse) + " / " + num(w.memory_total) + " MB")));
    target.replaceChildren(rows.length ? el("table", {},
      el("thead", {}, el("tr", {}, ...["Worker", "Address", "State", "Running", "Done", "Cores", "Memory"]
        .map((h, i) => el("th", i >= 3 ? { class: "num" } : {}, h)))),
      el("tbody", {}, ...rows)) : el("div", { class: "empty" }, "No workers connected."));
  } catch (e) {
    target.replaceChildren(el("span", { class: "err" }, "Cannot ask the manager at " + url + " for its workers: " + (e.name === "AbortError" ? "no answer" : e.message)));
  } finally {
    clearTimeout(timer);
  }
}

function render(records) {
  const managers = records.filter(isManager).sort((a, b) =>
    text(a.project).localeCompare(text(b.project)) || text(a.name).localeCompare(text(b.name)) || num(a.port) - num(b.port));
  const sum = (f) => managers.reduce((s, r) => s + num(r[f]), 0);
  document.getElementById("t-managers").textContent = managers.length;
  document.getElementById("t-workers").textContent = sum("workers");
  document.getElementById("t-waiting").textContent = sum("tasks_waiting");
  document.getElementById("t-running").textContent = sum("tasks_running");
  document.getElementById("t-complete").textContent = managers.reduce((s, r) => s + num(r.tasks_done ?? r.tasks_complete), 0);
  const body = document.getElementById("managers");
  const rows = [];
  for (const r of managers) {
    const key = keyOf(r);
    const toggle = el("button", { class: "toggle", title: "show workers", onclick: () => {
      if (open.has(key)) { open.delete(key); details.delete(key); } else open.add(key);
      render(records);
    } }, open.has(key) ? "\\u2212" : "+");
    rows.push(el("tr", { class: "manager", dataset: { project: text(r.project), key } },
      el("td", {}, toggle),
      cell("project", text(r.project), "project"),
      cell("host", text(r.name || r.address) + ":" + text(r.port), ""),
      cell("tasks_waiting", count(r.tasks_waiting)),
      cell("tasks_running", count(r.tasks_running)),
      cell("tasks_complete", count(r.tasks_done ?? r.tasks_complete)),
      cell("workers", count(r.workers)),
      cell("workers_busy", count(r.workers_busy)),
      cell("cores", count(r.cores_inuse) + " / " + count(r.cores_total)),
      cell("owner", text(r.owner), ""),
      cell("lastheardfrom", age(r), "age")));
    if (open.has(key)) {
      let target = details.get(key);
      if (!target) details.set(key, target = el("div", {}, "asking the manager\\u2026"));
      rows.push(el("tr", { class: "detail" }, el("td", { colspan: "11" }, target)));
      loadWorkers(r, target);
    }
  }
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "11", class: "empty" }, "No managers have reported to this catalog.")));
  body.replaceChildren(...rows);
  const others = {};
  for (const r of records) if (!isManager(r)) others[text(r.type) || "(no type)"] = (others[text(r.type) || "(no type)"] || 0) + 1;
  const list = Object.entries(others).map(([t, n]) => t + " \\u00d7" + n).join(", ");
  document.getElementById("others").textContent = list ? "Other records: " + list : "";
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const res = await fetch("/query.json", { cache: "no-store" });
    if (!res.ok) throw new Error("HTTP " + res.status);
    const records = await res.json();
    render(Array.isArray(records) ? records.filter((r) => r && typeof r === "object") : []);
    refreshes++;
    document.body.dataset.refreshes = String(refreshes);
    status.className = "";
    status.textContent = "updated " + new Date().toLocaleTimeString() + " \\u00b7 " + records.length + (records.length === 1 ? " record" : " records") + " \\u00b7 every " + REFRESH / 1000 + " s";
  } catch (e) {
    status.className = "error";
    status.textContent = "cannot reach the catalog: " + e.message;
  } finally {
    setTimeout(refresh, REFRESH);
  }
}
refresh();
`;

/**
 * The dashboard page.
 *
 * @param options Refresh interval and title.
 * @returns The whole HTML document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dashboardHtml } from "./dashboard.ts";
 * const page = dashboardHtml({ refreshMs: 1000 });
 * assert.match(page, /^<!DOCTYPE html>/);
 * assert.doesNotMatch(page, /<script src/); // self-contained: nothing to fetch but the data
 * ```
 */
export function dashboardHtml(options: DashboardOptions = {}): string {
  const title = escapeHtml(options.title ?? "Work Queue catalog");
  const refresh = Math.max(250, Math.floor(options.refreshMs ?? 2000));
  const tiles = [
    ["t-managers", "Managers"],
    ["t-workers", "Workers"],
    ["t-waiting", "Tasks waiting"],
    ["t-running", "Tasks running"],
    ["t-complete", "Tasks complete"],
  ].map(([id, label]) =>
    `<div class="tile"><div class="n" id="${id}">–</div><div class="l">${label}</div></div>`
  )
    .join("");
  const heads = [
    ["", ""],
    ["Project", ""],
    ["Manager", ""],
    ["Waiting", "num"],
    ["Running", "num"],
    ["Complete", "num"],
    ["Workers", "num"],
    ["Busy", "num"],
    ["Cores used", "num"],
    ["Owner", ""],
    ["Last update", ""],
  ].map(([h, c]) => `<th${c ? ` class="${c}"` : ""}>${h}</th>`).join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${title}</h1><span id="status">loading…</span></header>
<main>
<div class="tiles">${tiles}</div>
<table>
<thead><tr>${heads}</tr></thead>
<tbody id="managers"><tr><td colspan="11" class="empty">loading…</td></tr></tbody>
</table>
<div class="note" id="others"></div>
<div class="note">Raw data: <a href="/query.json">/query.json</a> · <a href="/query.text">/query.text</a> · <a href="/stats.json">/stats.json</a></div>
</main>
<script>const DEFAULT_REFRESH = ${refresh};${SCRIPT}</script>
</body>
</html>
`;
}
