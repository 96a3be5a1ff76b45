import assert from "node:assert/strict";
import { CgroupPlace, findCgroupPlace, readCgroupUsage } from "./cgroup.ts";
import { kernelFiles } from "./proc_fs.ts";

const files = kernelFiles!;

/** A cgroupfs-like tree in a temporary directory: `files` maps paths to contents. */
async function fakeTree(tree: Record<string, string>) {
  const root = await Deno.makeTempDir();
  for (const [path, text] of Object.entries(tree)) {
    const full = `${root}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
  return {
    root,
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

function mountinfo(at: string): string {
  return `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n` +
    `30 24 0:26 / ${at.replaceAll(" ", "\\040")} rw,nosuid shared:4 - cgroup2 cgroup2 rw\n`;
}

Deno.test("findCgroupPlace takes the parent of the worker's cgroup when it hands out memory", async () => {
  await using t = await fakeTree({
    "cg/cgroup.subtree_control": "cpu io memory pids\n",
    "cg/user.slice/cgroup.subtree_control": "cpu memory\n",
    "cg/user.slice/worker.scope/cgroup.subtree_control": "\n",
    "cg/user.slice/worker.scope/cgroup.procs": "123\n",
  });
  const place = findCgroupPlace(files, {
    mountinfo: mountinfo(`${t.root}/cg`),
    selfCgroup: "12:memory:/user.slice\n0::/user.slice/worker.scope\n",
    probe: "wq-probe",
  });
  assert.equal(place?.dir, `${t.root}/cg/user.slice`);
  // The probe was made and removed; a task's cgroup is made and removed.
  const entries = [...Deno.readDirSync(`${t.root}/cg/user.slice`)].map((e) => e.name).sort();
  assert.deepEqual(entries, ["cgroup.subtree_control", "worker.scope"]);
  const dir = place!.make("wq-1-7")!;
  assert.equal(dir, `${t.root}/cg/user.slice/wq-1-7`);
  assert.equal(Deno.statSync(dir).isDirectory, true);
  assert.equal(place!.make("wq-1-7"), undefined); // already there
  assert.equal(place!.kill(dir), false); // no cgroup.kill (before Linux 5.14)
  await Deno.writeTextFile(`${dir}/cgroup.kill`, "");
  assert.equal(place!.kill(dir), true);
  assert.equal(await Deno.readTextFile(`${dir}/cgroup.kill`), "1");
  await Deno.remove(`${dir}/cgroup.kill`);
  assert.equal(place!.remove(dir), true);
});

Deno.test("findCgroupPlace finds none without cgroup2 or without the memory controller", async (t) => {
  await using tree = await fakeTree({
    "cg/cgroup.subtree_control": "cpu memory\n",
    "cg/a/cgroup.subtree_control": "cpu pids\n",
    "cg/a/w/cgroup.subtree_control": "\n",
    "v1/cgroup.procs": "1\n",
  });
  const cases: [string, string, string][] = [
    ["no cgroup2 mount", mountinfo("/x").split("\n")[0] + "\n", "0::/a/w\n"],
    ["a v1-only process", mountinfo(`${tree.root}/cg`), "4:memory:/a\n"],
    ["no memory for the children", mountinfo(`${tree.root}/cg`), "0::/a/w\n"],
    ["a missing hierarchy", mountinfo(`${tree.root}/gone`), "0::/a/w\n"],
  ];
  for (const [name, info, self] of cases) {
    await t.step(name, () => {
      assert.equal(
        findCgroupPlace(files, { mountinfo: info, selfCgroup: self, probe: "p" }),
        undefined,
      );
    });
  }
  await t.step("at the root, the root itself", () => {
    const place = findCgroupPlace(files, {
      mountinfo: mountinfo(`${tree.root}/cg`),
      selfCgroup: "0::/\n",
      probe: "p",
    });
    assert.equal(place?.dir, `${tree.root}/cg`);
  });
  await t.step("a mount point with a space in its name", async () => {
    await using spaced = await fakeTree({ "c g/cgroup.subtree_control": "memory\n" });
    const place = findCgroupPlace(files, {
      mountinfo: mountinfo(`${spaced.root}/c g`),
      selfCgroup: "0::/\n",
      probe: "p",
    });
    assert.equal(place?.dir, `${spaced.root}/c g`);
  });
});

Deno.test("readCgroupUsage reads memory.stat, cpu.stat and whether it holds processes", async () => {
  const MB = 1024 * 1024;
  await using t = await fakeTree({
    "g/cgroup.procs": "4242\n4243\n",
    "g/memory.current": `${900 * MB}\n`, // with the page cache: not used
    "g/memory.stat": `anon ${140 * MB}\nfile ${700 * MB}\nkernel 0\nshmem ${10 * MB}\n`,
    "g/cpu.stat": "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n",
    "empty/cgroup.procs": "",
    "empty/cpu.stat": "usage_usec 0\n",
  });
  assert.deepEqual(readCgroupUsage(files, `${t.root}/g`), {
    memoryMB: 150,
    cpuSeconds: 1.5,
    populated: true,
  });
  // No memory controller: no memory figure.
  assert.deepEqual(readCgroupUsage(files, `${t.root}/empty`), {
    memoryMB: undefined,
    cpuSeconds: 0,
    populated: false,
  });
  assert.equal(readCgroupUsage(files, `${t.root}/gone`), undefined);
  assert.ok(new CgroupPlace(files, t.root).dir === t.root);
});
