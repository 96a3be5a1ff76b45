import assert from "node:assert/strict";
import { libcSpawner, type SessionSpawnSpec } from "./libc_spawn.ts";

// The tests run with every permission, so on Linux with glibc the spawner is there.
const spawner = libcSpawner!;

/** Waits (up to 10 s) until nothing holds the child's sentinel pipe; fails otherwise. */
async function sentinelClosed(child: { sentinelOpen(): boolean }): Promise<void> {
  for (let i = 0; i < 200 && child.sentinelOpen(); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(child.sentinelOpen(), false, "the sentinel pipe is still held");
}

function spec(dir: string, script: string): SessionSpawnSpec {
  return {
    script,
    cwd: dir,
    env: { PATH: "/usr/bin:/bin", X: "a=b" },
    stdoutPath: `${dir}/out`,
    sentinelFd: 9,
  };
}

Deno.test("libcSpawner starts /bin/sh in a session of its own, signals at their defaults", async () => {
  assert.ok(libcSpawner, "no posix_spawn through FFI on this machine");
  const dir = await Deno.makeTempDir();
  try {
    const child = spawner.spawn(spec(
      dir,
      [
        "cut -d' ' -f1,5,6 /proc/$$/stat",
        // grep's own mask and dispositions, which it inherits from the shell:
        // reading the shell's from here would race with the mask dash holds
        // while it waits for this very child.
        "grep -E '^Sig(Ign|Blk)' /proc/self/status",
        'echo "$X $PWD" >&2',
        "ls /proc/self/fd",
        "exit 7",
      ].join("\n"),
    ));
    assert.equal(await child.status, 7 << 8);
    // Every holder is gone once the shell has exited; but a process that
    // another thread of this test runner forks at that moment holds a copy
    // of the write end until its exec closes it, so allow it that moment.
    await sentinelClosed(child);
    const [ids, blk, ign, env, ...fds] = (await Deno.readTextFile(`${dir}/out`)).trim().split("\n");
    assert.deepEqual(ids.split(" ").map(Number), [child.pid, child.pid, child.pid]);
    assert.match(ign, /^SigIgn:\s+0+$/);
    assert.match(blk, /^SigBlk:\s+0+$/);
    assert.equal(env, `a=b ${dir}`);
    // What a command inherits: stdin, stdout, stderr, the sentinel (and what the test runner leaks).
    for (const fd of ["0", "1", "2", "9"]) assert.ok(fds.includes(fd), fds.join(" "));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("libcSpawner: the raw status of a signal; the sentinel stays open while a process holds it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const killed = spawner.spawn(spec(dir, "kill -KILL $$"));
    assert.equal(spawner.unreaped, 1);
    assert.equal(await killed.status, 9);
    assert.equal(spawner.unreaped, 0);
    killed.closeSentinel();

    const bg = spawner.spawn(spec(dir, "sleep 30 & echo $!"));
    assert.equal(await bg.status, 0);
    assert.equal(bg.sentinelOpen(), true);
    Deno.kill(-bg.pid, "SIGKILL"); // the sleep, left in the task's group
    while (bg.sentinelOpen()) await new Promise((r) => setTimeout(r, 5)); // its end closes the pipe
    bg.closeSentinel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("libcSpawner refuses a missing directory and a NUL byte", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.throws(() => spawner.spawn(spec(`${dir}/nope`, "true")), Deno.errors.NotFound);
    assert.throws(() => spawner.spawn(spec(dir, "true\0")), TypeError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without --allow-ffi, startProcess() still makes a session (through setsid)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `
      import { startProcess } from ${
      JSON.stringify(new URL("./executor.ts", import.meta.url).href)
    };
      import { libcSpawner } from ${
      JSON.stringify(new URL("./libc_spawn.ts", import.meta.url).href)
    };
      const p = startProcess({
        command: "cut -d' ' -f1,5,6 /proc/$$/stat",
        cwd: ${JSON.stringify(dir)},
        env: { PATH: "/usr/bin:/bin" },
        stdoutPath: ${JSON.stringify(`${dir}/out`)},
      });
      await p.done;
      p.close();
      console.log(libcSpawner === undefined ? "setsid" : "libc");
    `;
    await Deno.writeTextFile(`${dir}/probe.ts`, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--allow-write=" + dir, "--allow-run", `${dir}/probe.ts`],
      stdin: "null",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "setsid");
    const [pid, pgid, sid] = (await Deno.readTextFile(`${dir}/out`)).trim().split(" ").map(Number);
    assert.deepEqual([pgid, sid], [pid, pid]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("libcSpawner reports the CPU time and peak size of the shell and what it waited for (wait4)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A child that spins, then one that holds 120 MB of written memory.
    const child = spawner.spawn(spec(
      dir,
      "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; " +
        `/usr/bin/python3 -c "b = b'x' * (120*1024*1024)"`,
    ));
    assert.equal(child.usage, undefined); // not before it is reaped
    assert.equal(await child.status, 0);
    const usage = child.usage!;
    assert.ok(usage.cpuSeconds > 0, JSON.stringify(usage));
    assert.ok(usage.maxRssMB > 120, JSON.stringify(usage));
    child.closeSentinel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
