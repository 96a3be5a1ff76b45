// examples/workunits (the Folding@work-style project) runs as its README
// says: `deno task workunits` with local workers or with external ones, and
// survives being killed. Every chain's final checkpoint must equal what
// running fold.sh here, chunk after chunk, gives; Table II, the CSV files
// and the state file must agree with each other.

import assert from "node:assert/strict";
import { exists, listeningPort, read, ROOT, spawn, startWorker, tempDir } from "./_harness.ts";
import {
  chainsOf,
  initialCheckpoint,
  parseProject,
  type Project,
  seedOf,
} from "../examples/workunits/project.ts";
import { startOurCatalog } from "./_catalog.ts";

const PROJECT = {
  name: "small",
  conditions: [{ name: "cold", temperature: 0.3 }, { name: "hot", temperature: 1.5 }],
  replicates: 2,
  chunks: 3,
  steps: 2000,
  beads: 10,
};
const TOTAL = 2 * 2 * 3;

/** `deno task workunits ARGS...` from the repository root. */
function workunits(args: string[]) {
  return spawn([Deno.execPath(), "task", "--quiet", "workunits", ...args], { cwd: ROOT });
}

/** Writes the project file and returns the common arguments. */
async function setUp(d: string, project: object = PROJECT): Promise<string[]> {
  await Deno.writeTextFile(`${d}/project.json`, JSON.stringify(project));
  return ["--project", `${d}/project.json`, "--dir", `${d}/run`, "--progress-every", "0"];
}

/** Each chain's final checkpoint, computed here by running fold.sh chunk after chunk. */
async function recompute(project: Project, work: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const chain of chainsOf(project)) {
    let ckpt = initialCheckpoint(chain, project.beads);
    for (let k = 1; k <= project.chunks; k++) {
      await Deno.writeTextFile(`${work}/in.ckpt`, ckpt);
      const { code, stderr } = await new Deno.Command("sh", {
        args: [
          `${ROOT}/examples/workunits/fold.sh`,
          "in.ckpt",
          "out.ckpt",
          String(seedOf(chain, k)),
          String(chain.condition.temperature),
          String(project.steps),
        ],
        cwd: work,
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      ckpt = await read(`${work}/out.ckpt`);
    }
    out.set(chain.id, ckpt);
  }
  return out;
}

/** The numbers of the printed Table II. */
function tableII(log: string): Record<string, number> {
  const row = (name: string) => {
    const m = log.match(new RegExp(`^${name} +([\\d.]+)( s)?$`, "m"));
    assert.ok(m, `no '${name}' row in:\n${log}`);
    return Number(m[1]);
  };
  return {
    assigned: row("Tasks assigned"),
    received: row("Results received"),
    mean: row("Mean execution time"),
    std: row("Std dev of execution time"),
    workers: row("Workers"),
    hosts: row("Unique hosts"),
  };
}

/** The rows of a CSV file written by the example (no quoted fields here). */
async function csv(path: string): Promise<Record<string, string>[]> {
  const [header, ...rows] = (await read(path)).trimEnd().split("\n").map((l) => l.split(","));
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

/** Checks the finished project directory against a local recomputation. */
async function checkFinished(d: string, log: string): Promise<Record<string, string>[]> {
  const project = parseProject("test", PROJECT);
  await Deno.mkdir(`${d}/local`, { recursive: true });
  const expected = await recompute(project, `${d}/local`);
  for (const [id, text] of expected) {
    assert.equal(await read(`${d}/run/chains/${id}/chunk-0003.ckpt`), text, `chain ${id}`);
  }
  const results = await csv(`${d}/run/results.csv`);
  assert.deepEqual(results.map((r) => r.chain), ["cold-r0", "cold-r1", "hot-r0", "hot-r1"]);
  for (const r of results) {
    assert.equal(r.chunks, "3");
    assert.equal(r.steps, "6000");
    assert.match(expected.get(r.chain)!, new RegExp(`^energy ${r.energy}$`, "m"));
  }
  const records = await csv(`${d}/run/workunits.csv`);
  assert.equal(records.length, TOTAL, "one record per workunit");
  assert.equal(new Set(records.map((r) => `${r.chain}/${r.chunk}`)).size, TOTAL, "no chunk twice");
  const t = tableII(log);
  assert.equal(t.received, TOTAL, log);
  assert.ok(t.assigned >= TOTAL, log);
  assert.ok(t.workers >= 1, log);
  assert.equal(t.workers, new Set(records.map((r) => r.worker)).size, log);
  assert.equal(t.hosts, new Set(records.map((r) => r.hostname)).size, log);
  const secs = records.map((r) => Number(r.exec_seconds));
  const mean = secs.reduce((a, b) => a + b, 0) / secs.length;
  assert.ok(Math.abs(t.mean - mean) < 0.0006, `mean ${t.mean} vs ${mean}`);
  assert.ok(secs.every((s) => s > 0), "every workunit has an execution time");
  assert.match(log, /^all 4 chains finished \(12 of 12 workunits\)$/m, log);
  assert.match(log, /^progress: 12\/12 workunits \(100%\)/m, log);
  const state = JSON.parse(await read(`${d}/run/state.json`));
  assert.deepEqual(state.done, { "cold-r0": 3, "cold-r1": 3, "hot-r0": 3, "hot-r1": 3 });
  assert.equal(await exists(`${d}/run/workers`), false, "the workers' directories are removed");
  return records;
}

Deno.test("workunits: 2 conditions x 2 replicates x 3 chunks on 2 local workers, every chain as computed here", async () => {
  await using tmp = await tempDir();
  const d = tmp.path;
  await using p = workunits(await setUp(d));
  const status = await p.status;
  assert.equal(status.code, 0, p.log());
  const records = await checkFinished(d, p.log());
  assert.ok(records.every((r) => r.run === "1"), "one run");
  assert.match(p.log(), /^Workers +[12]$/m, p.log());
});

Deno.test("workunits: killed after 3 results, it resumes from its state file and ends as an uninterrupted run", async () => {
  await using tmp = await tempDir();
  const d = tmp.path;
  const args = await setUp(d);
  {
    await using p = workunits([...args, "--kill-after", "3"]);
    const status = await p.status;
    assert.equal(status.code, 3, `expected the simulated crash (3):\n${p.log()}`);
    assert.match(p.log(), /--kill-after 3: exiting abruptly/, p.log());
    assert.doesNotMatch(p.log(), /Table II/, "it died before reporting");
  }
  const crashed = JSON.parse(await read(`${d}/run/state.json`));
  assert.equal(crashed.received, 3, "the state counts the 3 results");
  assert.equal(crashed.runs, 1);
  assert.equal(
    Object.values(crashed.done).reduce((a, b) => Number(a) + Number(b), 0),
    3,
    JSON.stringify(crashed.done),
  );
  assert.equal(await exists(`${d}/run/state.json.tmp`), false);
  const journal = (await read(`${d}/run/state.records.jsonl`)).trimEnd().split("\n");
  assert.equal(journal.length, 3, "one record per result");
  const before = journal.map((l) => JSON.parse(l)).map((r) => `${r.chain}/${r.chunk}`);
  // As if it had died again between appending a record and saving the
  // state, and then in the middle of a line: both must be dropped.
  await Deno.writeTextFile(
    `${d}/run/state.records.jsonl`,
    `${journal[0].replace(/"chunk":1/, '"chunk":99')}\n{"chain":"ho`,
    { append: true },
  );

  await using p = workunits(args);
  const status = await p.status;
  assert.equal(status.code, 0, p.log());
  assert.match(
    p.log(),
    /^resuming \(run 2\): 3 of 12 workunits already done; 4 chains to continue$/m,
  );
  const records = await checkFinished(d, p.log());
  // The 3 finished chunks were kept, not run again; the other 9 ran in run 2.
  assert.deepEqual(
    records.filter((r) => r.run === "1").map((r) => `${r.chain}/${r.chunk}`),
    before,
  );
  assert.equal(records.filter((r) => r.run === "2").length, TOTAL - 3);
  assert.match(p.log(), /2 runs of the master/, p.log());

  // A third start finds everything done and only reports.
  await using again = workunits(args);
  assert.equal((await again.status).code, 0, again.log());
  assert.match(again.log(), /12 of 12 workunits already done; 0 chains to continue/);
  assert.doesNotMatch(again.log(), /listening/, "no manager is needed");
  assert.equal((await csv(`${d}/run/workunits.csv`)).length, TOTAL);
});

/** Options for a master that waits for external workers. */
const EXTERNAL = ["--workers", "0", "--port", "0", "--hostname", "127.0.0.1"];

/** Arguments of a single-shot, 1-core external worker with its workspace in `dir`. */
async function workerArgs(dir: string): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  return ["--single-shot", "--cores", "1", "-t", "60", "-s", dir];
}

Deno.test("workunits: a workunit that keeps failing is retried, its chain given up, and finished on the next start", async () => {
  await using tmp = await tempDir();
  const d = tmp.path;
  const args = await setUp(d);
  {
    // Without a PATH, the worker's shell finds no `sh`: no workunit makes its checkpoint.
    await using p = workunits([...args, ...EXTERNAL, "--max-failures", "2"]);
    const port = await listeningPort(p, "the workunits master");
    await using w = startWorker(port, {
      args: await workerArgs(`${d}/w`),
      env: { PATH: "/nonexistent" },
    });
    const status = await p.status;
    const log = p.log();
    assert.equal(status.code, 1, `${log}\nworker:\n${w.log()}`);
    assert.equal(
      log.match(/^workunit \S+ chunk 1 failed \(\d of 2\): .*sh: not found$/gm)?.length,
      8,
      log,
    );
    assert.match(
      log,
      /^FAILED: chains given up after repeated failures: (cold|hot)-r[01](, (cold|hot)-r[01]){3}$/m,
      log,
    );
    const t = tableII(log);
    assert.equal(t.received, 0, log);
    assert.equal(t.assigned, 8, "4 chains x 2 attempts");
    const state = JSON.parse(await read(`${d}/run/state.json`));
    assert.equal(state.failures, 8);
    assert.equal(state.received, 0);
  }
  await using p = workunits(args);
  assert.equal((await p.status).code, 0, p.log());
  assert.match(p.log(), /resuming \(run 2\): 0 of 12 workunits already done; 4 chains to continue/);
  await checkFinished(d, p.log());
});

Deno.test("workunits: external workers on two hosts (ours and CCTools') show as 2 unique hosts", async () => {
  await using tmp = await tempDir();
  const d = tmp.path;
  const args = await setUp(d);
  await using p = workunits([...args, ...EXTERNAL]);
  const port = await listeningPort(p, "the workunits master");
  await using a = startWorker(port, { args: await workerArgs(`${d}/wa`), hostname: "node-a" });
  await using b = startWorker(port, {
    args: await workerArgs(`${d}/wb`),
    hostname: "node-b",
    cctools: true,
  });
  const status = await p.status;
  const logs = `${p.log()}\nworker a:\n${a.log()}\nworker b:\n${b.log()}`;
  assert.equal(status.code, 0, logs);
  const records = await checkFinished(d, p.log());
  const hosts = new Set(records.map((r) => r.hostname));
  // Both normally serve; on a loaded machine one may do everything.
  assert.ok([...hosts].every((h) => h === "node-a" || h === "node-b"), [...hosts].join(" "));
  assert.equal(tableII(p.log()).hosts, hosts.size);
});

Deno.test("workunits: --name advertises the project to the catalog, where a worker finds it", async () => {
  await using tmp = await tempDir();
  const d = tmp.path;
  await using catalog = await startOurCatalog();
  const name = `wu-test-${crypto.randomUUID().slice(0, 8)}`;
  const args = await setUp(d);
  const at = `127.0.0.1:${catalog.port}`;
  await using p = workunits([...args, ...EXTERNAL, "--name", name, "--catalog", at]);
  await listeningPort(p, "the workunits master");
  await using w = startWorker(null, {
    args: [...await workerArgs(`${d}/w`), "-M", name, "-C", at],
  });
  const status = await p.status;
  assert.equal(status.code, 0, `${p.log()}\nworker:\n${w.log()}\ncatalog:\n${catalog.log()}`);
  await checkFinished(d, p.log());
});

Deno.test("workunits: a bad project file, bad options or another project's state are refused by name", async () => {
  await using tmp = await tempDir();
  const d = tmp.path;
  const cases: [object | string, string[], RegExp][] = [
    [
      { ...PROJECT, replicates: 0 },
      [],
      /project file '.*project\.json': 'replicates' must be a whole number from 1/,
    ],
    [
      { ...PROJECT, conditions: [{ name: "a b", temperature: 1 }] },
      [],
      /conditions\[0\]\.name must be/,
    ],
    [{ ...PROJECT, temprature: 1 }, [], /unknown field 'temprature'/],
    ["{ not json", [], /Cannot parse project file '.*project\.json'/],
    [
      PROJECT,
      ["--workers", "two"],
      /Cannot use --workers: it must be a whole number >= 0, not 'two'/,
    ],
  ];
  for (const [project, extra, message] of cases) {
    await Deno.writeTextFile(
      `${d}/project.json`,
      typeof project === "string" ? project : JSON.stringify(project),
    );
    await using p = workunits(["--project", `${d}/project.json`, "--dir", `${d}/run`, ...extra]);
    const status = await p.status;
    assert.equal(status.code, 2, p.log());
    assert.match(p.log(), message, p.log());
    assert.equal(await exists(`${d}/run`), false, "nothing was started");
  }
  await using missing = workunits(["--project", `${d}/nope.json`]);
  assert.equal((await missing.status).code, 2);
  assert.match(missing.log(), /Cannot read project file '.*nope\.json'/);

  // A state file made for another project is not resumed.
  await Deno.mkdir(`${d}/run`);
  await Deno.writeTextFile(
    `${d}/run/state.json`,
    JSON.stringify({ version: 1, project: { ...PROJECT, steps: 1 }, done: {}, received: 0 }),
  );
  await using other = workunits(await setUp(d));
  assert.equal((await other.status).code, 1, other.log());
  assert.match(
    other.log(),
    /Cannot resume from state file '.*state\.json': it was made for another project/,
  );
});
