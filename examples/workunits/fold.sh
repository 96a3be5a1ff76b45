#!/bin/sh
# fold.sh IN OUT SEED TEMPERATURE STEPS: one chunk of a toy folding simulation.
#
# A "protein" is a chain of beads in the plane: bonded neighbours are held
# about 1 apart by springs, beads never overlap, and beads 3 or more apart
# along the chain gain energy -1 for each contact (closer than 1.6). The
# chunk reads a checkpoint (IN), runs STEPS Metropolis Monte Carlo moves at
# TEMPERATURE (in units of the contact energy) with its own random numbers
# seeded by SEED, writes the next checkpoint (OUT) and prints one log line.
# The same IN, SEED, TEMPERATURE and STEPS always give the same OUT: it needs
# only /bin/sh and a POSIX awk, and no awk rand().
set -e
[ $# -eq 5 ] || { echo "usage: fold.sh IN OUT SEED TEMPERATURE STEPS" >&2; exit 2; }
awk -v seed="$3" -v T="$4" -v steps="$5" -v out="$2" '
function rnd() { s = (s * 16807) % 2147483647; return s / 2147483647 }
# The energy between beads i and j (1e9 for an overlap).
function pair(i, j, xi, yi,   dx, dy, r, d) {
  d = i - j; if (d < 0) d = -d
  dx = xi - x[j]; dy = yi - y[j]; r = sqrt(dx * dx + dy * dy)
  if (d == 1) return 20 * (r - 1) * (r - 1)
  if (r < 0.9) return 1e9
  if (d >= 3 && r < 1.6) return -1
  return 0
}
# The energy of bead i at (xi, yi) with all the others.
function around(i, xi, yi,   j, e) {
  e = 0
  for (j = 1; j <= n; j++) if (j != i) e += pair(i, j, xi, yi)
  return e
}
$1 == "chain" { chain = $2 }
$1 == "chunk" { chunk = $2 }
$1 == "steps" { total = $2 }
$1 == "bead" { n++; x[n] = $2; y[n] = $3 }
END {
  if (chain == "" || n < 2) { print "fold.sh: no chain in the checkpoint" > "/dev/stderr"; exit 1 }
  s = seed % 2147483646 + 1
  for (k = 0; k < 10; k++) rnd()
  accepted = 0
  for (k = 0; k < steps; k++) {
    i = 1 + int(rnd() * n)
    nx = x[i] + (rnd() - 0.5) * 0.6; ny = y[i] + (rnd() - 0.5) * 0.6
    dE = around(i, nx, ny) - around(i, x[i], y[i])
    u = rnd()
    if (dE <= 0 || u < exp(-dE / T)) { x[i] = nx; y[i] = ny; accepted++ }
  }
  e = 0; contacts = 0; cx = 0; cy = 0
  for (i = 1; i <= n; i++) {
    cx += x[i] / n; cy += y[i] / n
    for (j = i + 1; j <= n; j++) {
      p = pair(i, j, x[i], y[i]); e += p
      if (p == -1) contacts++
    }
  }
  rg = 0
  for (i = 1; i <= n; i++) rg += ((x[i] - cx) ^ 2 + (y[i] - cy) ^ 2) / n
  rg = sqrt(rg)
  chunk++; total += steps
  printf "chain %s\nchunk %d\nsteps %d\nenergy %.4f\nrg %.4f\ncontacts %d\nacceptance %.4f\n", \
    chain, chunk, total, e, rg, contacts, accepted / steps > out
  for (i = 1; i <= n; i++) printf "bead %.6f %.6f\n", x[i], y[i] > out
  printf "chain %s chunk %d steps %d energy %.4f rg %.4f contacts %d acceptance %.4f\n", \
    chain, chunk, total, e, rg, contacts, accepted / steps
}' "$1"
