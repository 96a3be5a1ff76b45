/**
 * The command line of the workunits example: its usage text and its
 * options, checked.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { WORK_QUEUE_DEFAULT_PORT } from "../../mod.ts";

const HERE = new URL(".", import.meta.url).pathname;

/** The exit status of a simulated crash (`--kill-after`). */
export const EXIT_CRASH = 3;

export const USAGE = `Usage: deno task workunits [OPTIONS]
  --project FILE       the project (default: examples/workunits/project.json)
  --dir DIR            checkpoints, state and CSV files (default: ./NAME.run, NAME from the project)
  --state FILE         the state file (default: DIR/state.json)
  --workers N          local workers to start (default 2); 0: wait for external workers
  --port N             port to listen on (default: any free port with local workers, else ${WORK_QUEUE_DEFAULT_PORT})
  --hostname ADDR      address to listen on (default: 127.0.0.1 with local workers, else 0.0.0.0)
  --name NAME          advertise the manager to the catalog under this project name
  --catalog HOST:PORT  the catalog to advertise to (default: localhost:9097)
  --max-failures N     failed attempts of one workunit before its chain is given up (default 3)
  --progress-every S   seconds between progress lines when stderr is not a terminal (default 10)
  --kill-after N       for testing: exit at once with status ${EXIT_CRASH} after N results`;

/** The command line, checked. */
export interface Options {
  project: string;
  dir?: string;
  state?: string;
  workers: number;
  port?: number;
  hostname?: string;
  name?: string;
  catalog?: string;
  maxFailures: number;
  progressEvery: number;
  killAfter?: number;
}

function wholeNumber(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min) {
    throw new RangeError(`Cannot use --${flag}: it must be a whole number >= ${min}, not '${v}'`);
  }
  return n;
}

export function parseOptions(args: string[]): Options | null {
  const { values } = parseArgs({
    args,
    options: {
      project: { type: "string", default: `${HERE}project.json` },
      dir: { type: "string" },
      state: { type: "string" },
      workers: { type: "string", default: "2" },
      port: { type: "string" },
      hostname: { type: "string" },
      name: { type: "string" },
      catalog: { type: "string" },
      "max-failures": { type: "string", default: "3" },
      "progress-every": { type: "string", default: "10" },
      "kill-after": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return null;
  return {
    project: values.project,
    dir: values.dir,
    state: values.state,
    workers: wholeNumber("workers", values.workers, 0)!,
    port: wholeNumber("port", values.port, 0),
    hostname: values.hostname,
    name: values.name,
    catalog: values.catalog,
    maxFailures: wholeNumber("max-failures", values["max-failures"], 1)!,
    progressEvery: wholeNumber("progress-every", values["progress-every"], 0)!,
    killAfter: wholeNumber("kill-after", values["kill-after"], 1),
  };
}
