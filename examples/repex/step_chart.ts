/**
 * The elasticity figure as hand-written SVG (no dependencies): the time of
 * each Monte Carlo step against the elapsed time, the number of workers as a
 * grey staircase on the right axis, and each event as a dashed vertical line
 * with its label, like the paper's Figure 5.
 *
 * @module
 */

/** One step: when it ended and how long it took, in seconds. */
export interface ChartStep {
  /** Step number. */
  step: number;
  /** Elapsed time at its end. */
  end: number;
  /** Its duration. */
  duration: number;
}

/** One event: a change in the number of workers. */
export interface ChartEvent {
  /** Elapsed time. */
  time: number;
  /** Its label, e.g. "+4". */
  label: string;
  /** Workers after it. */
  workers: number;
}

/** Round tick positions covering [0, max]. */
function ticks(max: number, about = 6): number[] {
  const raw = Math.max(max, 1e-9) / about;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [0];
  while (out[out.length - 1] < max * (1 - 1e-9)) out.push(out.length * step);
  return out.length > 1 ? out : [0, step];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

function num(x: number): string {
  return String(Math.round(x * 10) / 10);
}

function label(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/**
 * Draws the step times and the events.
 *
 * @param steps The steps, in order.
 * @param events The events, in order; the first usually at time 0.
 * @param title The figure's title.
 * @returns An SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const steps = [{ step: 0, end: 2, duration: 2 }];
 * const svg = stepChartSvg(steps, [{ time: 0, label: "+2", workers: 2 }], "Steps");
 * assert.match(svg, /^<\?xml [^\n]*\n<svg /);
 * assert.match(svg, /<title>Steps<\/title>/);
 * ```
 */
export function stepChartSvg(steps: ChartStep[], events: ChartEvent[], title: string): string {
  const width = 860, height = 480;
  const left = 70, right = 70, top = 70, bottom = 60;
  const plotW = width - left - right, plotH = height - top - bottom;
  const xTicks = ticks(Math.max(...steps.map((s) => s.end), ...events.map((e) => e.time), 1));
  const yTicks = ticks(Math.max(...steps.map((s) => s.duration), 0.001) * 1.1, 5);
  const wTicks = ticks(Math.max(...events.map((e) => e.workers), 1), 4).filter(Number.isInteger);
  const xMax = xTicks[xTicks.length - 1], yMax = yTicks[yTicks.length - 1];
  const wMax = Math.max(wTicks[wTicks.length - 1], 1);
  const x = (t: number) => left + (t / xMax) * plotW;
  const y = (d: number) => top + plotH - (d / yMax) * plotH;
  const yw = (w: number) => top + plotH - (w / wMax) * plotH;

  const parts: string[] = [];
  parts.push(
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  );
  // Axes, ticks and grid.
  parts.push(`<g class="axes" stroke="black" fill="none">`);
  parts.push(
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}"/>`,
    `<line x1="${left + plotW}" y1="${top}" x2="${left + plotW}" y2="${
      top + plotH
    }" stroke="#888"/>`,
  );
  for (const t of xTicks) {
    parts.push(
      `<line x1="${num(x(t))}" y1="${top + plotH}" x2="${num(x(t))}" y2="${top + plotH + 5}"/>`,
    );
  }
  for (const d of yTicks) {
    parts.push(
      `<line x1="${left - 5}" y1="${num(y(d))}" x2="${left}" y2="${num(y(d))}"/>`,
      `<line x1="${left}" y1="${num(y(d))}" x2="${left + plotW}" y2="${num(y(d))}" stroke="#eee"/>`,
    );
  }
  for (const w of wTicks) {
    parts.push(
      `<line x1="${left + plotW}" y1="${num(yw(w))}" x2="${left + plotW + 5}" y2="${
        num(yw(w))
      }" stroke="#888"/>`,
    );
  }
  parts.push(`</g>`);
  parts.push(`<g class="tick-labels">`);
  for (const t of xTicks) {
    parts.push(
      `<text x="${num(x(t))}" y="${top + plotH + 20}" text-anchor="middle">${label(t)}</text>`,
    );
  }
  for (const d of yTicks) {
    parts.push(`<text x="${left - 8}" y="${num(y(d) + 4)}" text-anchor="end">${label(d)}</text>`);
  }
  for (const w of wTicks) {
    parts.push(`<text x="${left + plotW + 8}" y="${num(yw(w) + 4)}" fill="#888">${w}</text>`);
  }
  parts.push(
    `<text x="${left + plotW / 2}" y="${height - 15}" text-anchor="middle">elapsed time (s)</text>`,
    `<text transform="translate(20 ${
      top + plotH / 2
    }) rotate(-90)" text-anchor="middle">time per step (s)</text>`,
    `<text transform="translate(${width - 15} ${
      top + plotH / 2
    }) rotate(90)" text-anchor="middle" fill="#888">workers</text>`,
  );
  parts.push(`</g>`);
  // Workers: a staircase from event to event.
  if (events.length > 0) {
    const pts: string[] = [];
    let w = 0;
    for (const e of events) {
      pts.push(`${num(x(e.time))},${num(yw(w))}`, `${num(x(e.time))},${num(yw(e.workers))}`);
      w = e.workers;
    }
    pts.push(`${num(x(xMax))},${num(yw(w))}`);
    parts.push(
      `<polyline class="workers" points="${
        pts.join(" ")
      }" fill="none" stroke="#aaa" stroke-width="2"/>`,
    );
  }
  // Events.
  events.forEach((e, i) => {
    const ex = num(x(e.time));
    parts.push(
      `<line class="event" x1="${ex}" y1="${top}" x2="${ex}" y2="${
        top + plotH
      }" stroke="#c33" stroke-dasharray="5,4"/>`,
      `<text class="event-label" x="${ex}" y="${
        top - 6 - (i % 2) * 12
      }" text-anchor="middle" fill="#c33">${escapeXml(e.label)}</text>`,
    );
  });
  // Steps.
  parts.push(
    `<polyline class="steps" points="${
      steps.map((s) => `${num(x(s.end))},${num(y(s.duration))}`).join(" ")
    }" fill="none" stroke="#236" stroke-width="1.5"/>`,
  );
  for (const s of steps) {
    parts.push(
      `<circle class="step" cx="${num(x(s.end))}" cy="${
        num(y(s.duration))
      }" r="3" fill="#236"><title>step ${s.step}: ${s.duration.toFixed(2)} s, ended at ${
        s.end.toFixed(1)
      } s</title></circle>`,
    );
  }
  parts.push(`</svg>`);
  return parts.join("\n") + "\n";
}
