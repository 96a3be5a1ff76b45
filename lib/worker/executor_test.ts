import assert from "node:assert/strict";
import { shellScript, signalNumber, startProcess, taskEnvironment } from "./executor.ts";

/** Whether a process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

Deno.test("taskEnvironment() adds resources, sandbox and tmp, then the task's variables", () => {
  const env = taskEnvironment({
    base: { PATH: "/bin", HOME: "/root", GPUS: "9" },
    resources: { cores: 0, memory: 64, disk: 10, gpus: 2 },
    sandbox: "/w/t.1",
    tmpdir: "/w/t.1/.wq-tmp",
    env: [["FOO", "a=b"], ["HOME", undefined], ["CORES", "7"]],
  });
  assert.deepEqual(env, {
    PATH: "/bin",
    CORES: "7",
    OMP_NUM_THREADS: "1",
    MEMORY: "64",
    DISK: "10",
    GPUS: "2",
    WORK_QUEUE_SANDBOX: "/w/t.1",
    TMPDIR: "/w/t.1/.wq-tmp",
    TEMP: "/w/t.1/.wq-tmp",
    TMP: "/w/t.1/.wq-tmp",
    FOO: "a=b",
  });
});

Deno.test("shellScript() redirects before running the command", () => {
  assert.equal(
    shellScript("ls"),
    'exec 9>&1 >"$WQ_STDOUT_FILE" 2>&1\nunset WQ_STDOUT_FILE\nls',
  );
});

Deno.test("signalNumber() maps names", () => {
  assert.equal(signalNumber("SIGKILL"), 9);
  assert.equal(signalNumber("SIGTERM"), 15);
  assert.equal(signalNumber("SIGNOPE"), 0);
});

Deno.test("startProcess() merges stderr into the stdout file in order and reports exit codes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/stdout`;
    const p = startProcess({
      command:
        'echo one; echo two >&2; echo "$X|${WQ_STDOUT_FILE-gone}|$PWD"; read l; echo "[$l]"; exit 4',
      cwd: dir,
      env: { PATH: "/usr/bin:/bin", X: "x" },
      stdoutPath: out,
    });
    const r = await p.done;
    assert.equal(r.exit, 4);
    assert.equal(r.signal, undefined);
    assert.ok(r.usec > 0);
    assert.equal(await Deno.readTextFile(out), `one\ntwo\nx|gone|${dir}\n[]\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startProcess() starts a task in a session of its own, or in ours when sharing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Fields 1, 5 and 6 of /proc/PID/stat: pid, process group, session.
    const ids = async (sharedGroup: boolean) => {
      const out = `${dir}/ids-${sharedGroup}`;
      const p = startProcess({
        command: "cut -d' ' -f1,5,6 /proc/$$/stat",
        cwd: dir,
        env: { PATH: "/usr/bin:/bin" },
        stdoutPath: out,
        sharedGroup,
      });
      assert.equal((await p.done).exit, 0);
      p.close();
      return (await Deno.readTextFile(out)).trim().split(" ").map(Number);
    };
    const [pid, pgid, sid] = await ids(false);
    assert.deepEqual([pgid, sid], [pid, pid]);
    const ourPgid = Number(Deno.readTextFileSync("/proc/self/stat").split(" ")[4]);
    const [sharedPid, sharedPgid] = await ids(true);
    assert.notEqual(sharedPid, sharedPgid);
    assert.equal(sharedPgid, ourPgid);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startProcess() reports a signal as its number; kill() reaches the whole process tree", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const self = await startProcess({
      command: "kill -9 $$",
      cwd: dir,
      env: { PATH: "/usr/bin:/bin" },
      stdoutPath: `${dir}/o1`,
    }).done;
    assert.deepEqual([self.exit, self.signal, self.signalName], [9, 9, "SIGKILL"]);

    const p = startProcess({
      command: `sleep 30 & echo $! > ${dir}/pid; wait`,
      cwd: dir,
      env: { PATH: "/usr/bin:/bin" },
      stdoutPath: `${dir}/o2`,
    });
    let pid = 0;
    for (let i = 0; i < 200 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 10));
      pid = Number((await Deno.readTextFile(`${dir}/pid`).catch(() => "")).trim()) || 0;
    }
    assert.ok(pid > 0);
    p.kill();
    const r = await p.done;
    assert.equal(r.signal, 9);
    p.kill(); // harmless after exit
    for (let i = 0; i < 500; i++) {
      if (!alive(pid)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`the background sleep ${pid} survived`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startProcess() tells whether processes the task started are still running", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const wait = async (cond: () => boolean) => {
      for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    const plain = startProcess({
      command: "echo hi",
      cwd: dir,
      env: { PATH: "/usr/bin:/bin" },
      stdoutPath: `${dir}/o1`,
    });
    await plain.done;
    await wait(() => !plain.lingering());
    assert.equal(plain.lingering(), false);
    plain.close();

    const left = startProcess({
      command: `sleep 30 & echo $! > ${dir}/pid`,
      cwd: dir,
      env: { PATH: "/usr/bin:/bin" },
      stdoutPath: `${dir}/o2`,
    });
    await left.done;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(left.lingering(), true);
    left.close();
    Deno.kill(Number((await Deno.readTextFile(`${dir}/pid`)).trim()), "SIGKILL");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kill() right after startProcess() stops the task, before its session even exists", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // setsid(1) makes the task's process group only once it runs: a kill
    // that comes first must still stop the task (here, before `sleep 30`).
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => {
      const p = startProcess({
        command: "sleep 30",
        cwd: dir,
        env: { PATH: "/usr/bin:/bin" },
        stdoutPath: `${dir}/o${i}`,
      });
      p.kill();
      return p.done;
    }));
    assert.deepEqual(runs.map((r) => r.signal), runs.map(() => 9));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
