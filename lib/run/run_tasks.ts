/**
 * `wq-run`: reads a task file, runs its tasks on the workers that connect
 * (and on local ones it starts), shows progress, and writes one JSON line
 * per completed task.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { WorkQueue } from "../../mod.ts";
import { errorMessage } from "../errors.ts";
import { type LocalWorker, reapLocalWorkers, startLocalWorker } from "../deploy/local_workers.ts";
import { checkTaskFiles } from "./check_files.ts";
import type { RunOptions } from "./options.ts";
import { renderProgress } from "./progress.ts";
import { summaryLine, taskRecord } from "./report.ts";
import { StatusLine } from "./status_line.ts";
import { type FileTask, parseTaskFile } from "./task_file.ts";

/** What a run needs besides its options. */
export interface RunContext {
  /** argv of the worker program, for `--workers N`. */
  workerCommand: string[];
}

/** Exit statuses of `wq-run`. */
export const EXIT = { ok: 0, failed: 1, badInput: 2, sigint: 130, sigterm: 143 } as const;

/** The most manager warnings shown. */
const MAX_WARNINGS = 20;

const encoder = new TextEncoder();

/** Where the JSON lines go: a file, or standard output. */
interface Sink {
  write(text: string): void;
  close(): void;
  /** Whether it is the terminal the progress line is on. */
  terminal: boolean;
}

function openSink(out: string | undefined): Sink {
  const file = out === undefined
    ? undefined
    : Deno.openSync(out, { write: true, create: true, truncate: true });
  const target = file ?? Deno.stdout;
  return {
    write(text) {
      const bytes = encoder.encode(text);
      try {
        for (let n = 0; n < bytes.length;) n += target.writeSync(bytes.subarray(n));
      } catch (e) {
        const to = out === undefined ? "standard output" : `'${out}'`;
        throw new Error(`Cannot write results to ${to}: ${errorMessage(e)}`, { cause: e });
      }
    },
    close: () => file?.close(),
    terminal: file === undefined && Deno.stdout.isTerminal(),
  };
}

async function loadTasks(o: RunOptions): Promise<FileTask[]> {
  const stdin = o.taskFile === "-";
  const path = stdin ? undefined : resolve(o.taskFile);
  let text: string;
  try {
    text = stdin ? await new Response(Deno.stdin.readable).text() : await Deno.readTextFile(path!);
  } catch (e) {
    throw new Error(`Cannot read task file '${o.taskFile}': ${errorMessage(e)}`, { cause: e });
  }
  const dir = path === undefined ? Deno.cwd() : dirname(path);
  const tasks = parseTaskFile(text, { name: o.taskFile, dir, maxRetries: o.maxRetries });
  const out = o.out === undefined ? undefined : resolve(o.out);
  await checkTaskFiles(tasks, { name: o.taskFile, taskFile: path, out });
  return tasks;
}

/** The host name workers should dial, for the hint printed at start. */
function managerHost(address: string): string {
  if (address !== "0.0.0.0" && address !== "::") return address;
  try {
    return Deno.hostname();
  } catch {
    return "MANAGER_HOST"; // not allowed to ask
  }
}

/** The command that starts a worker for this run. */
function workerHint(o: RunOptions, port: number): string {
  const pw = o.passwordFile === undefined ? "" : `-P ${o.passwordFile} `;
  const byName = o.name === undefined ? "" : ` (or -M ${o.name})`;
  return `deno task worker ${pw}${managerHost(o.interface)} ${port}${byName}`;
}

/**
 * Starts `n` local workers. One that exits with an error while the run goes
 * on is reported at once; `stop(close)` closes the manager (which releases
 * them) and waits for them.
 */
function startLocalWorkers(
  n: number,
  options: { port: number; command: string[]; say: (message: string) => void },
): { stop(close: () => Promise<void>): Promise<void> } {
  const workers: LocalWorker[] = [];
  const reported = new Set<LocalWorker>();
  let closing = false;
  for (let i = 0; i < n; i++) {
    const w = startLocalWorker(options.port, { command: options.command });
    workers.push(w);
    w.status.then((s) => {
      if (closing || s.success) return;
      reported.add(w);
      const last = w.output().trim().split("\n").at(-1) ?? "";
      options.say(`local worker ${i + 1} exited with status ${s.code}${last ? `: ${last}` : ""}`);
    });
  }
  return {
    async stop(close) {
      closing = true;
      await close();
      await reapLocalWorkers(workers, "wq-run", { stopped: reported });
    },
  };
}

/** The terminal's width; 80 when it does not say (a pseudo-terminal may report 0). */
function columns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

/**
 * Runs a task file: loads and checks every task (nothing is submitted if
 * one is bad), starts the manager and any local workers, submits the tasks,
 * writes a JSON line per completed task and a summary line on stderr.
 *
 * @param o The command line.
 * @param context The worker program for local workers.
 * @returns The exit status: 0 when every task succeeded, 1 when one failed,
 * 2 when nothing was run, 130 or 143 after SIGINT or SIGTERM.
 *
 * @example
 * ```ts ignore
 * Deno.exit(await runTasks(parseRunArgs(Deno.args), { workerCommand: ["wq-worker"] }));
 * ```
 */
export async function runTasks(o: RunOptions, context: RunContext): Promise<number> {
  const status = new StatusLine({ terminal: !o.quiet && Deno.stderr.isTerminal() });
  const say = (message: string) => status.print(`wq-run: ${message}`);
  let tasks: FileTask[];
  let password: Uint8Array | undefined;
  try {
    tasks = await loadTasks(o);
    if (o.passwordFile !== undefined) password = await Deno.readFile(o.passwordFile);
  } catch (e) {
    say(errorMessage(e));
    return EXIT.badInput;
  }
  let wq: WorkQueue, sink: Sink;
  // The manager's warnings (a task too large for every worker, a worker
  // lost) go above the progress line; the first 20, to keep logs small.
  let warnings = 0;
  const warn = (message: string) => {
    if (++warnings <= MAX_WARNINGS) say(`manager: ${message}`);
    else if (warnings === MAX_WARNINGS + 1) say("manager: further warnings are not shown");
  };
  try {
    wq = new WorkQueue({
      port: o.port,
      hostname: o.interface,
      name: o.name,
      catalog: o.catalog,
      password,
      logger: (level, m) => level === "warn" && warn(m),
    });
  } catch (e) {
    say(errorMessage(e));
    return EXIT.badInput;
  }
  try {
    sink = openSink(o.out);
  } catch (e) {
    say(`Cannot write results to '${o.out}': ${errorMessage(e)}`);
    await wq.close();
    return EXIT.badInput;
  }

  say(`listening on port ${wq.port}; start workers with: ${workerHint(o, wq.port)}`);
  const locals = startLocalWorkers(o.workers, {
    port: wq.port,
    command: context.workerCommand,
    say,
  });

  const lineOf = new Map<number, number>();
  for (const t of tasks) lineOf.set(wq.submit(t.task), t.line);
  const started = Date.now();
  let done = 0, succeeded = 0, lastStep = 0;
  const failedLines: number[] = [];
  const counts = () => {
    const s = wq.stats;
    return {
      total: tasks.length,
      done,
      succeeded,
      failed: failedLines.length,
      running: s.tasksOnWorkers,
      waiting: s.tasksWaiting,
      workers: s.workersConnected,
      elapsedMs: Date.now() - started,
    };
  };
  // At most 10 redraws a second, and only on a terminal.
  const ticker = status.terminal
    ? setInterval(() => status.draw(renderProgress(counts(), { columns: columns() })), 100)
    : undefined;

  let interrupted: Deno.Signal | undefined;
  const onSignal = (signal: Deno.Signal) => () => {
    interrupted ??= signal;
    wq.close();
  };
  const handlers = (["SIGINT", "SIGTERM"] as const).map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  try {
    for await (const t of wq) {
      const record = taskRecord(t, lineOf.get(t.id)!);
      const line = `${JSON.stringify(record)}\n`;
      if (sink.terminal) status.around(() => sink.write(line));
      else sink.write(line);
      done++;
      if (record.ok) succeeded++;
      else failedLines.push(record.line);
      const step = Math.floor(done * 10 / tasks.length);
      if (!o.quiet && !status.terminal && step > lastStep && done < tasks.length) {
        say(renderProgress(counts(), { bar: false, columns: Infinity }));
      }
      lastStep = step;
    }
  } finally {
    clearInterval(ticker);
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    status.clear();
    await locals.stop(() => wq.close());
    sink.close();
  }
  const summary = summaryLine({
    total: tasks.length,
    succeeded,
    failedLines,
    elapsedMs: Date.now() - started,
    interrupted: interrupted !== undefined,
  });
  say(summary);
  if (interrupted !== undefined) return interrupted === "SIGINT" ? EXIT.sigint : EXIT.sigterm;
  return failedLines.length === 0 && done === tasks.length ? EXIT.ok : EXIT.failed;
}
