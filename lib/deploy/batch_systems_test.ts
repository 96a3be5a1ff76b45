import assert from "node:assert/strict";
import { BATCH_SYSTEMS } from "./batch_systems.ts";
import { shellQuote, type WorkerJob } from "./batch_system.ts";
import { condorExecutable } from "./condor.ts";
import { parseSubmitArgs, workerArgs } from "./submit.ts";

const job: WorkerJob = {
  command: ["/opt/wq/wq-worker"],
  args: ["--cores", "2", "-t", "900", "mgr.example.org", "9123"],
  cores: 2,
  memory: 1000,
  disk: 5000,
  name: "wq-worker",
  dir: "/scratch/jobs",
  script: "/scratch/jobs/w.sh",
};

const exec = "cd /scratch/jobs || exit 1\n" +
  "exec /opt/wq/wq-worker --cores 2 -t 900 mgr.example.org 9123\n";

Deno.test("slurm describes one task with cores, memory and disk", () => {
  const s = BATCH_SYSTEMS.slurm;
  assert.equal(
    s.describe(job),
    "#!/bin/sh\n#SBATCH --job-name=wq-worker\n#SBATCH --ntasks=1\n#SBATCH --nodes=1\n" +
      "#SBATCH --output=/scratch/jobs/%x-%j.out\n#SBATCH --cpus-per-task=2\n#SBATCH --mem=1000M\n" +
      "#SBATCH --tmp=5000M\n" + exec,
  );
  assert.deepEqual(s.submitCommand(job, ["-p", "debug"]), [
    "sbatch",
    "--parsable",
    "--chdir=/scratch/jobs",
    "-p",
    "debug",
    "/scratch/jobs/w.sh",
  ]);
  assert.equal(s.parseJobId("4711\n"), "4711");
  assert.equal(s.parseJobId("4711;cluster\n"), "4711");
  assert.throws(() => s.parseJobId("sbatch: error"), SyntaxError);
  assert.deepEqual(s.cancelCommand(["1", "2"]), ["scancel", "1", "2"]);
});

Deno.test("sge asks the smp parallel environment for cores", () => {
  const s = BATCH_SYSTEMS.sge;
  assert.equal(
    s.describe(job),
    "#!/bin/sh\n#$ -N wq-worker\n#$ -S /bin/sh\n#$ -V\n#$ -j y\n#$ -o /scratch/jobs\n" +
      "#$ -wd /scratch/jobs\n#$ -pe smp 2\n" + exec,
  );
  assert.ok(!s.describe({ ...job, cores: 1 }).includes("-pe"));
  assert.deepEqual(s.submitCommand(job, []), ["qsub", "-terse", "/scratch/jobs/w.sh"]);
  assert.equal(s.parseJobId("17\n"), "17");
  assert.deepEqual(s.cancelCommand(["17"]), ["qdel", "17"]);
});

Deno.test("pbs and torque describe nodes=1:ppn=N, mem and file", () => {
  for (const name of ["pbs", "torque"]) {
    const s = BATCH_SYSTEMS[name];
    assert.equal(
      s.describe(job),
      "#!/bin/sh\n#PBS -N wq-worker\n#PBS -j oe\n#PBS -o /scratch/jobs\n#PBS -V\n" +
        "#PBS -l nodes=1:ppn=2\n#PBS -l mem=1000mb\n#PBS -l file=5000mb\n" + exec,
    );
    assert.equal(s.parseJobId("123.server.example.org\n"), "123.server.example.org");
    assert.deepEqual(s.submitCommand(job, ["-q", "batch"]), ["qsub", "-q", "batch", job.script]);
  }
});

Deno.test("condor writes a vanilla submit description and an executable", () => {
  const s = BATCH_SYSTEMS.condor;
  assert.equal(
    s.describe(job),
    "universe = vanilla\nexecutable = /scratch/jobs/w.sh.sh\ninitialdir = /scratch/jobs\n" +
      "output = wq-worker.$(Cluster).$(Process).out\nerror = wq-worker.$(Cluster).$(Process).err\n" +
      "log = wq-worker.log\ngetenv = true\nshould_transfer_files = NO\nrequest_cpus = 2\n" +
      "request_memory = 1000\nrequest_disk = 5120000\nqueue 1\n",
  );
  assert.equal(condorExecutable(job), "#!/bin/sh\n" + exec);
  assert.equal(s.parseJobId("Submitting job(s).\n1 job(s) submitted to cluster 42.\n"), "42");
  assert.deepEqual(s.cancelCommand(["42"]), ["condor_rm", "42"]);
});

Deno.test("shellQuote() quotes what the shell would split or expand", () => {
  assert.equal(shellQuote("/a/b-c_d.ts"), "/a/b-c_d.ts");
  assert.equal(shellQuote("a b"), "'a b'");
  assert.equal(shellQuote("$HOME"), "'$HOME'");
  assert.equal(shellQuote(""), "''");
});

Deno.test("parseSubmitArgs() reads HOST PORT COUNT, -M PROJECT COUNT and rejects bad input", () => {
  const o = parseSubmitArgs(
    [
      "-T",
      "sge",
      "--cores",
      "2",
      "-t",
      "60",
      "--batch-options=-q all.q",
      "--worker-options=-d all",
      "h",
      "9",
      "3",
    ],
    ["w"],
  );
  assert.ok(o !== "help");
  assert.equal(o.count, 3);
  assert.deepEqual(o.batchOptions, ["-q", "all.q"]);
  assert.deepEqual(workerArgs(o), ["--cores", "2", "-t", "60", "-d", "all", "h", "9"]);
  const m = parseSubmitArgs(["-T", "local", "-M", "proj", "-C", "c:9097", "2"], ["w"]);
  assert.ok(m !== "help");
  assert.deepEqual(workerArgs(m), ["-t", "900", "-M", "proj", "-C", "c:9097"]);
  assert.equal(parseSubmitArgs(["-h"], ["w"]), "help");
  assert.throws(() => parseSubmitArgs(["h", "9", "1"], ["w"]), /'-T' is missing/);
  assert.throws(() => parseSubmitArgs(["-T", "lsf", "h", "9", "1"], ["w"]), RangeError);
  assert.throws(() => parseSubmitArgs(["-T", "slurm", "h", "9"], ["w"]), /HOST PORT COUNT/);
  assert.throws(() => parseSubmitArgs(["-T", "slurm", "h", "9", "0"], ["w"]), RangeError);
});

Deno.test("queue listings give the job ids of squeue, qstat and condor_q", () => {
  assert.deepEqual(BATCH_SYSTEMS.slurm.parseQueue("12\n13\n"), ["12", "13"]);
  assert.deepEqual(
    BATCH_SYSTEMS.sge.parseQueue(
      "job-ID  prior   name       user  state submit/start at     queue  slots ja-task-ID\n" +
        "-----------------------------------------------------------------\n" +
        "     7 0.55500 wq-worker  root  r     11/24/2026 17:59:00 all.q@localhost 1\n",
    ),
    ["7"],
  );
  assert.deepEqual(
    BATCH_SYSTEMS.pbs.parseQueue(
      "Job id  Name  User\n------\n123.srv  wq-worker  root  0 R batch\n",
    ),
    ["123.srv"],
  );
  assert.deepEqual(BATCH_SYSTEMS.condor.parseQueue("42\n43\n"), ["42", "43"]);
  assert.deepEqual(BATCH_SYSTEMS.sge.queueCommand(), ["qstat"]);
});
