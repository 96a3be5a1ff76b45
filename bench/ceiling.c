/*
 * The machine ceilings for `deno task bench`: what this machine can do with
 * no work queue in the way. bench/main.ts compiles it with `cc -O2` into a
 * temporary directory and runs it once per measurement; each mode prints one
 * JSON object on one line.
 *
 *   ceiling spawn N PAR CMD [DIR]   fork+exec `/bin/sh -c CMD` N times, PAR at
 *                                   a time (in DIR if given) -> {"rate": per s}
 *   ceiling local N PAR CMD DIR     the same, named for the cached-input
 *                                   comparison (the commands run in DIR)
 *   ceiling roundtrip N CMD         N sequential spawn+reap round trips
 *                                   -> {"p50_ms", "p90_ms"}
 *   ceiling tcp BYTES               BYTES over loopback TCP from a child
 *                                   process to this one, 1 MiB buffers
 *                                   -> {"mb_per_s"} (MB = 10^6 bytes)
 *   ceiling tcp BYTES DIR N         also: the files DIR/distinct/input-0..N-1
 *                                   read by the child, sent over loopback TCP
 *                                   and written to files by this process (the
 *                                   work a manager and worker do to move them,
 *                                   with no protocol) -> also {"file_mb_per_s"}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "ceiling: %s: %s\n", what, strerror(errno));
  exit(1);
}

static pid_t start(const char *cmd) {
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  return pid;
}

static void reap(void) {
  int status;
  if (wait(&status) < 0) die("wait");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "ceiling: a command failed (status %d)\n", status);
    exit(1);
  }
}

static int spawn(long n, long par, const char *cmd, const char *dir) {
  if (dir != NULL && chdir(dir) != 0) die("chdir");
  double t0 = now();
  long started = 0, running = 0;
  while (started < n || running > 0) {
    while (started < n && running < par) {
      start(cmd);
      started++;
      running++;
    }
    reap();
    running--;
  }
  double s = now() - t0;
  printf("{\"n\":%ld,\"par\":%ld,\"seconds\":%.6f,\"rate\":%.3f}\n", n, par, s, n / s);
  return 0;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int roundtrip(long n, const char *cmd) {
  double *ms = malloc(sizeof(double) * n);
  if (ms == NULL) die("malloc");
  for (long i = 0; i < n; i++) {
    double t0 = now();
    start(cmd);
    reap();
    ms[i] = (now() - t0) * 1000;
  }
  qsort(ms, n, sizeof(double), cmp);
  printf("{\"n\":%ld,\"p50_ms\":%.4f,\"p90_ms\":%.4f}\n", n, ms[n / 2], ms[(n * 9) / 10]);
  free(ms);
  return 0;
}

/* Writes all of buf to fd. */
static void write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    buf += w;
    n -= (size_t)w;
  }
}

/* Listens on a free loopback port; `a` gets the address to connect to. */
static int listen_loopback(struct sockaddr_in *a) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) die("socket");
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)a, sizeof *a) != 0) die("bind");
  if (listen(lfd, 1) != 0) die("listen");
  socklen_t len = sizeof *a;
  if (getsockname(lfd, (struct sockaddr *)a, &len) != 0) die("getsockname");
  return lfd;
}

/*
 * The file variant: a child reads each input file and sends it; this
 * process receives each file's bytes (their sizes known, as a worker knows
 * them from the put header) into a file in a fresh directory, then removes
 * it. Returns MB/s of file bytes, from the first byte to the last written.
 */
static double tcp_files(const char *dir, long n) {
  const size_t buf_size = 1 << 20;
  long long *sizes = calloc((size_t)n, sizeof *sizes);
  char path[4200]; /* DIR or the output directory, plus a file name */
  long long total = 0;
  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/distinct/input-%ld", dir, i);
    int fd = open(path, O_RDONLY);
    if (fd < 0) die(path);
    sizes[i] = lseek(fd, 0, SEEK_END);
    total += sizes[i];
    close(fd);
  }
  struct sockaddr_in a;
  int lfd = listen_loopback(&a);
  char *buf = malloc(buf_size);
  if (buf == NULL) die("malloc");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
    for (long i = 0; i < n; i++) {
      snprintf(path, sizeof path, "%s/distinct/input-%ld", dir, i);
      int fd = open(path, O_RDONLY);
      if (fd < 0) die(path);
      for (;;) {
        ssize_t r = read(fd, buf, buf_size);
        if (r < 0) die("read");
        if (r == 0) break;
        write_all(s, buf, (size_t)r);
      }
      close(fd);
    }
    close(s);
    _exit(0);
  }
  int s = accept(lfd, NULL, NULL);
  if (s < 0) die("accept");
  char out[4096];
  snprintf(out, sizeof out, "%s/ceiling-out-XXXXXX", dir);
  if (mkdtemp(out) == NULL) die("mkdtemp");
  double t0 = now();
  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/file-%ld", out, i);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) die(path);
    long long left = sizes[i];
    while (left > 0) {
      size_t want = left < (long long)buf_size ? (size_t)left : buf_size;
      ssize_t r = read(s, buf, want);
      if (r < 0) {
        if (errno == EINTR) continue;
        die("read");
      }
      if (r == 0) {
        fprintf(stderr, "ceiling: the sender stopped early\n");
        exit(1);
      }
      write_all(fd, buf, (size_t)r);
      left -= r;
    }
    close(fd);
  }
  double secs = now() - t0;
  int status;
  waitpid(pid, &status, 0);
  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/file-%ld", out, i);
    unlink(path);
  }
  rmdir(out);
  close(s);
  close(lfd);
  free(buf);
  free(sizes);
  return total / secs / 1e6;
}

static int tcp(long long bytes, const char *dir, long n) {
  const size_t buf_size = 1 << 20;
  struct sockaddr_in a;
  int lfd = listen_loopback(&a);
  char *buf = malloc(buf_size);
  if (buf == NULL) die("malloc");
  memset(buf, 'x', buf_size);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
    long long left = bytes;
    while (left > 0) {
      size_t want = left < (long long)buf_size ? (size_t)left : buf_size;
      ssize_t w = write(fd, buf, want);
      if (w < 0) {
        if (errno == EINTR) continue;
        die("write");
      }
      left -= w;
    }
    close(fd);
    _exit(0);
  }
  int fd = accept(lfd, NULL, NULL);
  if (fd < 0) die("accept");
  double t0 = now();
  long long got = 0;
  for (;;) {
    ssize_t r = read(fd, buf, buf_size);
    if (r < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    if (r == 0) break;
    got += r;
  }
  double s = now() - t0;
  int status;
  waitpid(pid, &status, 0);
  if (got != bytes) {
    fprintf(stderr, "ceiling: received %lld of %lld bytes\n", got, bytes);
    return 1;
  }
  if (dir == NULL) {
    printf("{\"bytes\":%lld,\"seconds\":%.6f,\"mb_per_s\":%.3f}\n", bytes, s, bytes / s / 1e6);
  } else {
    double files = tcp_files(dir, n);
    printf("{\"bytes\":%lld,\"seconds\":%.6f,\"mb_per_s\":%.3f,\"file_mb_per_s\":%.3f}\n",
           bytes, s, bytes / s / 1e6, files);
  }
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: ceiling spawn N PAR CMD [DIR] | local N PAR CMD DIR | "
          "roundtrip N CMD | tcp BYTES [DIR N]\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  if ((strcmp(argv[1], "spawn") == 0 && (argc == 5 || argc == 6)) ||
      (strcmp(argv[1], "local") == 0 && argc == 6)) {
    return spawn(atol(argv[2]), atol(argv[3]), argv[4], argc == 6 ? argv[5] : NULL);
  }
  if (strcmp(argv[1], "roundtrip") == 0 && argc == 4) return roundtrip(atol(argv[2]), argv[3]);
  if (strcmp(argv[1], "tcp") == 0 && argc == 3) return tcp(atoll(argv[2]), NULL, 0);
  if (strcmp(argv[1], "tcp") == 0 && argc == 5) return tcp(atoll(argv[2]), argv[3], atol(argv[4]));
  usage();
  return 2;
}
