/**
 * The worker's `--help` text (its options are parsed in `options.ts`).
 *
 * @module
 */

/** The usage text printed by `--help`. */
export const WORKER_USAGE: string = `Usage: wq-worker [options] HOST PORT
       wq-worker [options] HOST:PORT
       wq-worker [options] -M PROJECT [-C CATALOG_HOST:PORT]

Connects to a Work Queue manager (protocol 9 or 11) and runs its tasks.

Options:
  -M, -N, --manager-name PROJECT
                          Find managers of PROJECT (a regular expression) in the catalog
  -C, --catalog HOST:PORT Catalog(s) to ask (default CATALOG_HOST/CATALOG_PORT, else localhost:9097)
  --cores N               Cores to offer ('all' or 0: detect; default detect)
  --memory MB             Memory to offer in MB ('all': detect; default detect)
  --disk MB               Disk to offer in MB ('all': detect; default detect)
  --gpus N                GPUs to offer (default detect, usually 0)
  -t, --timeout TIME      Idle and connect timeout (default 900s)
      --idle-timeout TIME Leave after this long without a task (default 900s)
      --connect-timeout TIME
                          Give up after this long without a manager (default 900s)
  -s, --workdir DIR       Where to make the workspace (default $TMPDIR or /tmp)
      --single-shot       Exit after the first disconnection
  -d, --debug [SUBSYS]    Log protocol traffic to stderr (any subsystem, e.g. all, wq)
  -o, --debug-file FILE   Write the debug log to FILE
  -P, --password FILE     Authenticate to the manager with the password in FILE (the whole
                          file, trailing newline included), as CCTools' -P
      --ssl               Connect to the manager with TLS, trusting Deno's root certificates
      --ssl-ca FILE       Trust the PEM certificates in FILE for the manager: each one
                          exactly (even if self-signed and marked as a CA), and as a CA
                          for certificates that name the host (implies --ssl)
      --ssl-fingerprint SHA256
                          Trust exactly the certificate with this fingerprint, whatever
                          its CA flag and names (sha256:AB:CD:..., colons optional; may
                          repeat; see openssl x509 -noout -fingerprint -sha256; implies --ssl)
      --ssl-insecure      Verify nothing about the manager's certificate, as CCTools'
                          worker: anyone who can answer at the address can run commands
                          here (warned at every connection; implies --ssl)
      --protocol 9|11|auto
                          Protocol to speak (default auto: the catalog record's, else 11,
                          then 9 when the manager closes right after the handshake)
  -i, --min-backoff TIME  First reconnect delay (default 1s)
  -b, --max-backoff TIME  Longest reconnect delay (default 60s)
      --max-stdout BYTES  Most task output sent back (default 1G)
      --fast-spawn        Start tasks in the worker's process group. Faster only where
                          Deno's FFI may not be used (a new session then costs a setsid
                          exec); a task that signals its group (kill 0) stops the worker
      --no-fast-path      Do not offer our manager the fast path (results pushed as
                          tasks finish, tasks queued ahead); CCTools' managers never
                          use it either way
      --measure-interval TIME
                          Sample each running task's memory, CPU and disk this often,
                          the first time one interval after it starts (default 0.5s)
      --no-enforcement    Measure tasks but do not stop one that goes over its memory
                          or disk (for sites that enforce limits themselves)

Foreman (a manager to workers of its own, a worker to its manager; docs/foremen.md):
      --foreman           Run as a foreman
      --foreman-port PORT[:HIGH]
                          Port for its workers (default any free one; with HIGH, the
                          first free one from PORT to HIGH); implies --foreman
  -Z, --foreman-port-file FILE
                          Write the foreman's port to FILE; implies --foreman
  -f, --foreman-name NAME Advertise to the catalog as project NAME, for workers' -M;
                          implies --foreman
  -F, --fast-abort MULT   Fast-abort the foreman's tasks that run MULT times longer
                          than average; implies --foreman

  -h, --help              Show this help
  -v, --version           Show the version

TIME is a number of seconds, or a number with a unit s, m, h or d.
`;
