import assert from "node:assert/strict";
import { TaskRunner, type TaskRunnerOptions } from "./task_runner.ts";
import { sharedGroupExecutor } from "./executor.ts";
import { Measurer } from "./measure/measurer.ts";
import { CgroupPlace } from "./measure/cgroup.ts";
import { kernelFiles } from "./measure/proc_fs.ts";
import { WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION } from "../constants.ts";
import type { TaskBlock } from "../wire/task_block.ts";
import { Workspace } from "./workspace.ts";

const MB = 1024 * 1024;

function spec(id: number, command: string, request: TaskBlock["request"]): TaskBlock {
  return { id, command, env: [], inputs: [], outputs: [], request };
}

async function setup(extra: Partial<TaskRunnerOptions>) {
  const dir = await Deno.makeTempDir();
  const ws = await Workspace.create(`${dir}/w`);
  const measurer = new Measurer({ intervalSeconds: 0.1 });
  const runner = new TaskRunner({
    workspace: ws,
    total: { cores: 2, memory: 1000, disk: 1000, gpus: 0 },
    maxStdout: 1 << 20,
    onFinished: () => {},
    baseEnv: { PATH: "/usr/bin:/bin" },
    measurer,
    ...extra,
  });
  return {
    dir,
    runner,
    async results(n: number) {
      const out = [];
      while (out.length < n) {
        await new Promise((r) => setTimeout(r, 10));
        out.push(...runner.takeResults());
      }
      return out.sort((a, b) => a.id - b.id);
    },
    async [Symbol.asyncDispose]() {
      await runner.killAll();
      measurer.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A cgroup place in a plain directory: each task's cgroup holds fixed figures. */
class FakePlace extends CgroupPlace {
  made: string[] = [];
  override make(name: string): string {
    const dir = `${this.dir}/${name}`;
    Deno.mkdirSync(dir);
    Deno.writeTextFileSync(`${dir}/cgroup.procs`, "");
    Deno.writeTextFileSync(`${dir}/memory.stat`, `anon ${42 * MB}\nfile ${500 * MB}\n`);
    Deno.writeTextFileSync(`${dir}/cpu.stat`, "usage_usec 3000000\n");
    this.made.push(dir);
    return dir;
  }
  killed: string[] = [];
  override kill(dir: string): boolean {
    this.killed.push(dir);
    return true;
  }
  override remove(dir: string): boolean {
    Deno.removeSync(dir, { recursive: true });
    return true;
  }
}

Deno.test("TaskRunner puts a task's shell in its cgroup before it runs the command, and measures it from there", async () => {
  const cgroups = new FakePlace(kernelFiles!, await Deno.makeTempDir());
  try {
    await using t = await setup({ cgroups });
    await t.runner.accept(spec(1, "sleep 0.3", { cores: 1 }));
    const [r] = await t.results(1);
    assert.equal(r.status, 0);
    assert.deepEqual(
      [r.measured?.method, r.measured?.memoryMB, r.measured?.cpuSeconds],
      ["cgroup", 42, 3],
    );
    const [dir] = cgroups.made;
    assert.match(dir, new RegExp(`/wq-${Deno.pid}-1$`));
    assert.match(Deno.readTextFileSync(`${dir}/cgroup.procs`), /^\d+\n$/); // the shell's pid
    await t.runner.kill(1);
    assert.deepEqual([...Deno.readDirSync(cgroups.dir)], []); // removed with the task
    // A running task is killed through its cgroup too (processes that left its session).
    await t.runner.accept(spec(2, "sleep 30", { cores: 1 }));
    await t.runner.kill(2);
    assert.deepEqual(cgroups.killed, [cgroups.made[1]]);
  } finally {
    await Deno.remove(cgroups.dir, { recursive: true });
  }
});

Deno.test("TaskRunner with a shared process group (--fast-spawn) finds a task's tree and stops it over its memory", async () => {
  await using t = await setup({ executor: sharedGroupExecutor });
  const hog = `/usr/bin/python3 -c "b = b'x' * (150*1024*1024); import time; time.sleep(5)"`;
  await t.runner.accept(spec(1, `${hog}; echo never`, { cores: 1, memory: 60 }));
  await t.runner.accept(spec(2, "sleep 0.3", { cores: 1, memory: 60 }));
  const [hogged, fine] = await t.results(2);
  assert.equal(hogged.status, WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION);
  assert.equal(hogged.exhausted?.resource, "memory");
  assert.ok(hogged.exhausted!.peakMB > 60, JSON.stringify(hogged.exhausted));
  assert.equal(await Deno.readTextFile(hogged.stdoutPath), "");
  assert.equal(fine.status, 0);
  assert.equal(fine.measured?.method, "proc");
  assert.equal(fine.exhausted, undefined);
});

Deno.test("TaskRunner without enforcement only measures; without a measurer, no measurement", async () => {
  await using t = await setup({ enforce: false });
  await t.runner.accept(spec(1, "head -c 3000000 /dev/zero > f; sleep 0.3", { cores: 1, disk: 1 }));
  const [r] = await t.results(1);
  assert.equal(r.status, 0);
  assert.ok(r.measured!.diskMB! > 2, JSON.stringify(r.measured));
  await using bare = await setup({ measurer: undefined });
  await bare.runner.accept(spec(1, "true", { cores: 1 }));
  const [b] = await bare.results(1);
  assert.equal(b.measured, undefined);
});
