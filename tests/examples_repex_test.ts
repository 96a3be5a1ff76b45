// The replica exchange examples (examples/repex/) run end to end as the
// README says (`deno task repex`, `deno task elastic`) with real local
// workers at a small size, and their outputs are checked: the CSV files
// parse and hold what they should, the same seed gives the same physics
// whatever the workers, the elastic run finishes every step although some
// workers are killed while they run tasks, and its figure is well-formed SVG
// with a point per step and a line per event.

import assert from "node:assert/strict";
import { listeningPort, read, ROOT, spawn, startWorker, tempDir } from "./_harness.ts";

/** `deno task NAME ARGS...` from the repository root. */
function denoTask(name: string, args: string[] = []): string[] {
  return [Deno.execPath(), "task", "--quiet", name, ...args];
}

/**
 * Runs a task to its end; returns its exit code and output. A run that has
 * not ended after 5 minutes (it takes seconds) is killed and fails the test.
 */
async function runTask(name: string, args: string[]): Promise<{ code: number; log: string }> {
  await using p = spawn(denoTask(name, args), { cwd: ROOT });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((r) => timer = setTimeout(() => r("hung"), 300_000));
  const ended = await Promise.race([p.status, hung]);
  clearTimeout(timer);
  if (ended === "hung") {
    p.killTree();
    assert.fail(`deno task ${name} ${args.join(" ")} did not end:\n${p.log()}`);
  }
  return { code: ended.code, log: p.log() };
}

/** A CSV file as rows of named cells; checks that every row has the header's width. */
async function readCsv(path: string): Promise<Record<string, string>[]> {
  const [header, ...lines] = (await read(path)).trimEnd().split("\n");
  const names = header.split(",");
  return lines.map((line, i) => {
    const cells = line.split(",");
    assert.equal(cells.length, names.length, `${path} line ${i + 2}: ${line}`);
    return Object.fromEntries(names.map((n, j) => [n, cells[j]]));
  });
}

function finite(text: string, what: string): number {
  const x = Number(text);
  assert.ok(text !== "" && Number.isFinite(x), `${what} is not a finite number: '${text}'`);
  return x;
}

/**
 * Checks that an SVG document is well-formed XML: one root element, tags
 * nested and closed, attributes quoted, `&` only in entities.
 */
function assertWellFormedXml(text: string): void {
  const body = text.replace(/^<\?xml [^?]*\?>\s*/, "");
  const stack: string[] = [];
  let roots = 0;
  for (const token of body.match(/<[^>]*>|[^<]+/g) ?? []) {
    if (!token.startsWith("<")) {
      assert.ok(
        stack.length > 0 || token.trim() === "",
        `text outside the root: ${token.slice(0, 40)}`,
      );
      assert.doesNotMatch(token, /&(?!(amp|lt|gt|quot|apos|#\d+);)/, `bare & in ${token}`);
      continue;
    }
    const close = token.match(/^<\/([\w:-]+)\s*>$/);
    if (close) {
      assert.equal(stack.pop(), close[1], `</${close[1]}> closes the wrong element`);
      continue;
    }
    const open = token.match(
      /^<([\w:-]+)((?:\s+[\w:-]+="[^"<&]*(?:&[a-z]+;[^"<&]*)*")*)\s*(\/?)>$/,
    );
    assert.ok(open, `malformed tag: ${token}`);
    if (stack.length === 0) roots++;
    if (open[3] !== "/") stack.push(open[1]);
  }
  assert.deepEqual(stack, [], "unclosed elements");
  assert.equal(roots, 1, "one root element");
}

Deno.test("examples/repex/repex.ts: the same seed gives the same physics on 2 workers and on 1", async () => {
  await using tmp = await tempDir();
  const size = ["--replicas", "6", "--steps", "4", "--sweeps", "50", "--size", "8", "--seed", "7"];
  const a = await runTask("repex", [...size, "--workers", "2", "--out", `${tmp.path}/a`]);
  assert.equal(a.code, 0, a.log);
  const b = await runTask("repex", [...size, "--workers", "1", "--out", `${tmp.path}/b`]);
  assert.equal(b.code, 0, b.log);
  assert.match(a.log, /^4 steps in [\d.]+ s; wrote /m, a.log);
  // The first step waited for both workers, and both took part.
  assert.equal(a.log.match(/^worker .* ran \d+ tasks$/gm)?.length, 2, a.log);

  const steps = await readCsv(`${tmp.path}/a/steps.csv`);
  assert.deepEqual(steps.map((s) => s.step), ["0", "1", "2", "3"]);
  for (const s of steps) {
    assert.equal(s.results, "6", JSON.stringify(s));
    assert.ok(finite(s.duration_s, "duration") >= 0);
    assert.ok(finite(s.end_s, "end") >= finite(s.start_s, "start"));
  }

  const temps = await readCsv(`${tmp.path}/a/temperatures.csv`);
  assert.equal(temps.length, 6);
  const ts = temps.map((t) => finite(t.temperature, "temperature"));
  assert.equal(ts[0], 1.5);
  assert.equal(ts[5], 3.5);
  for (let i = 1; i < 6; i++) {
    // Geometric: a constant ratio.
    assert.ok(Math.abs(ts[i] / ts[i - 1] - (3.5 / 1.5) ** 0.2) < 1e-5, String(ts));
  }
  temps.forEach((t, i) => {
    const e = finite(t.mean_energy, "mean energy");
    assert.ok(e >= -2 && e <= 2, `energy per spin ${e}`);
    const m = finite(t.mean_abs_magnetization, "|M|");
    assert.ok(m >= 0 && m <= 1, `|M| per spin ${m}`);
    // 4 steps: pairs (0,1), (2,3), (4,5) on steps 0 and 2, (1,2), (3,4) on 1 and 3.
    assert.equal(t.swaps_attempted, i < 5 ? "2" : "0", JSON.stringify(t));
    if (i < 5) {
      const r = finite(t.acceptance, "acceptance");
      assert.ok(r >= 0 && r <= 1, `acceptance ${r}`);
      assert.equal(r, Number(t.swaps_accepted) / 2);
    } else {
      assert.equal(t.acceptance, "");
    }
  });
  // The cold end is ordered, the hot end is not.
  assert.ok(Number(temps[0].mean_energy) < Number(temps[5].mean_energy), JSON.stringify(temps));

  const energies = await readCsv(`${tmp.path}/a/energies.csv`);
  assert.equal(energies.length, 4 * 6);
  for (let step = 0; step < 4; step++) {
    const rows = energies.filter((e) => e.step === String(step));
    // Each temperature holds one replica, each replica one temperature.
    assert.deepEqual(rows.map((e) => e.index), ["0", "1", "2", "3", "4", "5"]);
    assert.deepEqual(rows.map((e) => Number(e.replica)).sort(), [0, 1, 2, 3, 4, 5]);
    for (const e of rows) finite(e.energy, "energy");
  }
  for (let r = 0; r < 6; r++) {
    assert.match(await read(`${tmp.path}/a/replicas/replica-${r}.out`), /^spins [+-]{64}$/m);
  }

  // Determinism: the physics does not depend on the workers.
  for (const f of ["temperatures.csv", "energies.csv"]) {
    assert.equal(await read(`${tmp.path}/b/${f}`), await read(`${tmp.path}/a/${f}`), f);
  }
});

Deno.test("examples/repex/repex.ts --workers 0: external workers, ours and CCTools', give the same physics", async () => {
  await using tmp = await tempDir();
  const size = ["--replicas", "4", "--steps", "3", "--sweeps", "30", "--size", "6", "--seed", "3"];
  const local = await runTask("repex", [...size, "--workers", "1", "--out", `${tmp.path}/local`]);
  assert.equal(local.code, 0, local.log);

  await using manager = spawn(
    denoTask("repex", [
      ...size,
      ...["--workers", "0", "--wait-for", "2", "--port", "0", "--hostname", "127.0.0.1"],
      ...["--out", `${tmp.path}/ext`],
    ]),
    { cwd: ROOT },
  );
  const port = await listeningPort(manager, "repex.ts");
  await Deno.mkdir(`${tmp.path}/w1`);
  await Deno.mkdir(`${tmp.path}/w2`);
  await using ours = startWorker(port, {
    args: ["--single-shot", "--cores", "1", "-t", "60", "-s", `${tmp.path}/w1`],
  });
  await using theirs = startWorker(port, {
    cctools: true,
    args: ["--single-shot", "--cores", "1", "-t", "60", "-s", `${tmp.path}/w2`],
  });
  const status = await manager.status;
  const log = manager.log();
  assert.equal(status.code, 0, `${log}\nours:\n${ours.log()}\nCCTools:\n${theirs.log()}`);
  assert.match(log, /^3 steps in [\d.]+ s; wrote /m);
  // Both workers took part (the first step waited for both).
  assert.equal(log.match(/^worker .* ran \d+ tasks$/gm)?.length, 2, log);
  for (const f of ["temperatures.csv", "energies.csv"]) {
    assert.equal(await read(`${tmp.path}/ext/${f}`), await read(`${tmp.path}/local/${f}`), f);
  }
  assert.equal((await ours.status).code, 0, ours.log());
  assert.equal((await theirs.status).code, 0, theirs.log());
});

Deno.test("examples/repex: bad options get an error that names them", async () => {
  const cases: [string, string[], RegExp][] = [
    [
      "repex",
      ["--replicas", "1"],
      /Cannot use --replicas: it must be a whole number >= 2, not '1'/,
    ],
    ["repex", ["--tmin", "3", "--tmax", "2"], /Cannot use --tmax: it must be >= --tmin \(3\)/],
    ["repex", ["--pad=-1"], /Cannot use --pad: it must be a number >= 0, not '-1'/],
    ["repex", ["--replica", "3"], /repex: Unknown option '--replica'/],
    [
      "elastic",
      ["--schedule", "0:-1"],
      /Cannot use --schedule: '0:-1' must start workers at step 0/,
    ],
    ["elastic", ["--schedule", "0:+1,3:-1"], /Cannot use --schedule: '3:-1' would leave no worker/],
    ["elastic", ["--schedule", "0:+2,99:+1"], /'99:\+1' is past the last step \(19\)/],
  ];
  for (const [task, args, message] of cases) {
    const { code, log } = await runTask(task, args);
    assert.equal(code, 2, `${task} ${args.join(" ")}:\n${log}`);
    assert.match(log, message);
  }
});

Deno.test("examples/repex/elastic.ts: every step completes while workers join and leave mid-task", async () => {
  await using tmp = await tempDir();
  const out = `${tmp.path}/out`;
  const { code, log } = await runTask("elastic", [
    ...["--replicas", "6", "--steps", "5", "--sweeps", "20", "--size", "8", "--pad", "0.25"],
    ...["--schedule", "0:+1,1:+2,3:-1,4:+1", "--out", out],
  ]);
  assert.equal(code, 0, log);
  assert.match(log, /^all 5 steps completed with 6 results each$/m, log);

  const steps = await readCsv(`${out}/steps.csv`);
  assert.equal(steps.length, 5);
  for (const s of steps) assert.equal(s.results, "6", JSON.stringify(s));
  const requeued = steps.map((s) => Number(s.requeued));
  assert.ok(requeued[3] >= 1, `the killed worker's task ran again: ${requeued}`);

  const events = await readCsv(`${out}/events.csv`);
  assert.deepEqual(
    events.map((e) => [e.step, e.change, e.workers_before, e.workers_after]),
    [
      ["0", "add 1", "0", "1"],
      ["1", "add 2", "1", "3"],
      ["3", "remove 1 while running", "3", "2"],
      ["4", "add 1", "2", "3"],
    ],
  );
  for (const e of events) finite(e.time_s, "event time");
  const table = await read(`${out}/table.md`);
  assert.equal(table.trimEnd().split("\n").length, 2 + 4, table);
  assert.match(table, /\| 3 \| 3 \| [\d.]+ \| remove 1 while running \| 3 \| 2 \| [1-9]\d* \|/);

  const svg = await read(`${out}/step_times.svg`);
  assertWellFormedXml(svg);
  assert.equal(svg.match(/<circle class="step"/g)?.length, 5, svg);
  assert.equal(svg.match(/<line class="event"/g)?.length, 4, svg);
  for (const label of ["+1 → 1", "+2 → 3", "-1 → 2", "+1 → 3"]) {
    assert.ok(svg.includes(`>${label}</text>`), `event label ${label}`);
  }
  const png = log.match(/^(wrote \S+step_times\.png \(with \S+\)|PNG skipped \(.+\))$/m);
  assert.ok(png, `says whether it made a PNG:\n${log}`);
  if (png[1].startsWith("wrote")) {
    const head = (await Deno.readFile(`${out}/step_times.png`)).subarray(0, 4);
    assert.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47]);
  }
  // The physics is there too.
  assert.equal((await readCsv(`${out}/temperatures.csv`)).length, 6);
  assert.equal((await readCsv(`${out}/energies.csv`)).length, 5 * 6);
});
