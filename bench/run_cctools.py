#!/usr/bin/python3
"""One measurement of CCTools Work Queue for `deno task bench` (bench/main.ts).

Usage: /usr/bin/python3 bench/run_cctools.py SCENARIO N DATA_DIR

Starts the Python manager (Debian's python3-workqueue) in this process and one
`work_queue_worker --cores 2 --single-shot` as a child in its own session,
warms the worker up with two tasks, runs the scenario and prints one JSON
object on one line. The scenarios are those of bench/run_ours.ts:

  tasks         N tasks of /bin/true (1 core each), all submitted, then all
                collected; value: tasks/s
  roundtrip     N times: submit one /bin/true, wait for it; value: p50 ms
  distinct      N tasks, each with DATA_DIR/distinct/input-I (not cached) as
                `input`; value: MB/s of input (10^6 bytes)
  cached        N tasks `sha256sum input >/dev/null` sharing DATA_DIR/cached/
                input (cached); value: tasks/s
  memory        submit N tasks with no worker; value: RSS bytes per task

Needs CATALOG_HOST/CATALOG_PORT in the environment (bench/main.ts sets them).
Which CCTools: WQ_BENCH_CCTOOLS_MODULE names the Python module (`work_queue`,
Debian's, by default; `ndcctools.work_queue` for CCTools 7.x, found through
PYTHONPATH) and WQ_BENCH_CCTOOLS_WORKER the worker (default: work_queue_worker
on PATH).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import importlib
import time

_wq = importlib.import_module(os.environ.get('WQ_BENCH_CCTOOLS_MODULE', 'work_queue'))
WorkQueue, Task = _wq.WorkQueue, _wq.Task
WORKER = os.environ.get('WQ_BENCH_CCTOOLS_WORKER', 'work_queue_worker')

CEILING_CMD = 'sha256sum input >/dev/null'


def rss():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    raise RuntimeError('no VmRSS in /proc/self/status')


def true_task():
    t = Task('/bin/true')
    t.specify_cores(1)
    return t


def collect(q, n, deadline=600):
    """Waits for n tasks; raises if one failed or nothing arrives in time."""
    end = time.monotonic() + deadline
    got = 0
    while got < n:
        t = q.wait(5)
        if t is None:
            if time.monotonic() > end:
                raise RuntimeError('timed out with %d of %d tasks back' % (got, n))
            continue
        if t.result != 0 or t.return_status != 0:
            raise RuntimeError('task %d failed: result %s, exit %s, output %r'
                               % (t.id, t.result, t.return_status, t.output))
        got += 1


def main():
    scenario, n, data = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    out = {'system': 'cctools', 'kind': scenario, 'n': n}
    if scenario == 'memory':
        q = WorkQueue(port=0)
        before = rss()
        t0 = time.monotonic()
        for _ in range(n):
            q.submit(true_task())
        seconds = time.monotonic() - t0
        after = rss()
        out.update(value=(after - before) / n, unit='B/task', rss_bytes_per_task=(after - before) / n,
                   submit_per_s=n / seconds, seconds=seconds)
        print(json.dumps(out), flush=True)
        return

    # Under bench/main.ts's scratch directory, which it removes even if this process is killed.
    tmp = tempfile.mkdtemp(prefix='wq-bench-cctools-', dir=os.environ.get('WQ_BENCH_TMP'))
    worker = None
    try:
        q = WorkQueue(port=0)
        worker = subprocess.Popen(
            [WORKER, '--cores', '2', '--single-shot', '-t', '900', '-s', tmp,
             '127.0.0.1', str(q.port)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        for _ in range(2):
            q.submit(true_task())
        collect(q, 2, deadline=60)

        if scenario == 'tasks':
            t0 = time.monotonic()
            for _ in range(n):
                q.submit(true_task())
            collect(q, n, deadline=3600)
            s = time.monotonic() - t0
            out.update(value=n / s, unit='tasks/s', seconds=s)
        elif scenario == 'roundtrip':
            ms = []
            for _ in range(n):
                t0 = time.monotonic()
                q.submit(true_task())
                collect(q, 1, deadline=60)
                ms.append((time.monotonic() - t0) * 1000)
            ms.sort()
            out.update(value=ms[len(ms) // 2], unit='ms', p50_ms=ms[len(ms) // 2],
                       p90_ms=ms[(len(ms) * 9) // 10])
        elif scenario == 'distinct':
            total = 0
            t0 = time.monotonic()
            for i in range(n):
                path = os.path.join(data, 'distinct', 'input-%d' % i)
                total += os.path.getsize(path)
                t = true_task()
                t.specify_input_file(path, 'input', cache=False)
                q.submit(t)
            collect(q, n)
            s = time.monotonic() - t0
            out.update(value=total / s / 1e6, unit='MB/s', seconds=s, bytes=total)
        elif scenario == 'cached':
            path = os.path.join(data, 'cached', 'input')
            t0 = time.monotonic()
            for _ in range(n):
                t = Task(CEILING_CMD)
                t.specify_cores(1)
                t.specify_input_file(path, 'input', cache=True)
                q.submit(t)
            collect(q, n)
            s = time.monotonic() - t0
            out.update(value=n / s, unit='tasks/s', seconds=s)
        else:
            raise RuntimeError('unknown scenario %r' % scenario)
        print(json.dumps(out), flush=True)
        q.shutdown_workers(0)
    finally:
        if worker is not None:
            try:
                worker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            # The worker's session holds its tasks, which inherit its socket.
            try:
                os.killpg(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            worker.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
