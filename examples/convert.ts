/**
 * The paper's Listing 5 in TypeScript: swirl every image of a list with
 * ImageMagick, one task per image (`convert -swirl 360 in.jpg out.jpg`).
 *
 * Each task sends its image to a worker, runs `convert` there, and brings the
 * result back as `NAME.swirl.jpg` next to the original. The workers need
 * ImageMagick's `convert` on their PATH; the manager does not. (The paper
 * also sends the `convert` binary along as a cached input and runs
 * `./convert`; that works only where the workers have the same libraries.)
 *
 * Run the manager (images as arguments, or a directory of them):
 *
 * ```sh
 * deno task convert photos/*.jpg              # listens on port 9123
 * deno task convert --port 9200 photos/
 * deno task convert --hostname 127.0.0.1 photos/   # local workers only
 * ```
 *
 * then start workers, here or on other machines that can reach this one:
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-net --allow-run --allow-env --allow-sys \
 *   worker/main.ts MANAGER_HOST 9123
 * work_queue_worker MANAGER_HOST 9123          # CCTools' worker works too
 * ```
 *
 * It prints a line per submitted and per completed task, and exits 0 when
 * every image was converted.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Task, WORK_QUEUE_DEFAULT_PORT, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";

const IMAGE = /\.(jpe?g|png|gif|tiff?|bmp|webp)$/i;

function usage(): string {
  return "Usage: convert.ts [--port N] [--hostname ADDR] IMAGE... | DIRECTORY";
}

/** The images named on the command line: files as given, directories by their image files. */
async function listImages(args: string[]): Promise<string[]> {
  const images: string[] = [];
  for (const arg of args) {
    const info = await Deno.stat(arg);
    if (!info.isDirectory) {
      images.push(arg);
      continue;
    }
    const names: string[] = [];
    for await (const e of Deno.readDir(arg)) {
      if (e.isFile && IMAGE.test(e.name) && !e.name.includes(".swirl.")) names.push(e.name);
    }
    images.push(...names.sort().map((n) => `${arg.replace(/\/+$/, "")}/${n}`));
  }
  return images;
}

function baseName(path: string): string {
  return path.split("/").filter(Boolean).at(-1) ?? path;
}

/** Quotes a word for `/bin/sh`. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: String(WORK_QUEUE_DEFAULT_PORT) },
      hostname: { type: "string", default: "0.0.0.0" },
      help: { type: "boolean" },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(usage());
    return 0;
  }
  const port = Number(values.port);
  if (positionals.length === 0 || !Number.isInteger(port)) {
    console.error(usage());
    return 2;
  }
  let images: string[];
  try {
    images = await listImages(positionals);
  } catch (e) {
    console.error(`convert.ts: ${e instanceof Error ? e.message : e}`);
    return 2;
  }
  if (images.length === 0) {
    console.error(`convert.ts: no images in ${positionals.join(" ")}`);
    return 2;
  }

  await using q = new WorkQueue({ port, hostname: values.hostname });
  console.log(`listening on port ${q.port}...`);

  for (const infile of images) {
    const base = baseName(infile);
    const outBase = `${base.replace(/\.[^.]*$/, "")}.swirl.jpg`;
    const outfile = `${infile.slice(0, infile.length - base.length)}${outBase}`;
    const t = new Task(`convert -swirl 360 ${shellQuote(base)} ${shellQuote(outBase)}`);
    t.specifyInputFile(infile, base, { cache: false });
    t.specifyOutputFile(outfile, outBase, { cache: false });
    const taskid = q.submit(t);
    console.log(`submitted task (id# ${taskid}): ${t.command}`);
  }

  console.log("waiting for tasks to complete...");
  let failed = 0;
  while (!q.empty()) {
    const t = await q.wait(5);
    if (!t) continue;
    console.log(`task (id# ${t.id}) complete: ${t.command} (return code ${t.returnStatus})`);
    if (t.result !== WORK_QUEUE_RESULT_SUCCESS || t.returnStatus !== 0) {
      failed++;
      console.log(
        `  failed: result ${t.result}${
          t.failure ? `, ${t.failure}` : ""
        }; output: ${t.output.trim()}`,
      );
    }
  }
  console.log(failed === 0 ? "all tasks complete!" : `all tasks complete, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

Deno.exit(await main());
