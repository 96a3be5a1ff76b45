# ising.awk: Metropolis Monte Carlo of a 2-D Ising model (L x L spins,
# periodic boundaries, J = 1, no field, k_B = 1) at one temperature.
#
#   awk -f ising.awk replica.in > replica.out
#
# replica.in holds one "key value" per line:
#   L            lattice side
#   temperature  T > 0
#   sweeps       Monte Carlo sweeps to run (each tries every spin once)
#   seed         1 .. 2147483646, seeds the random numbers
#   spins        L*L characters, "+" or "-", row by row
# replica.out repeats L, temperature, sweeps and seed, adds the energy, the
# magnetisation and the number of accepted flips, and holds the new spins.
#
# The random numbers come from the Park-Miller generator
# (x = 16807 x mod 2^31-1), computed here exactly in double precision, not
# from awk's rand(), which differs between awks: the same input gives the
# same output on any worker, so a run is reproducible for a seed.
# Only sh and awk are needed, so any worker node can run it: no Deno, no
# compiler.

function fail(msg) {
  print "ising.awk: " msg > "/dev/stderr"
  failed = 1
  exit 1
}

$1 == "L" || $1 == "temperature" || $1 == "sweeps" || $1 == "seed" || $1 == "spins" {
  v[$1] = $2
  next
}
NF > 0 { fail("unknown line " NR ": " $0) }

END {
  if (failed) exit 1
  L = v["L"] + 0; T = v["temperature"] + 0; sweeps = v["sweeps"] + 0; x = v["seed"] + 0
  if (L < 2 || L != int(L)) fail("L must be a whole number >= 2, not '" v["L"] "'")
  if (!(T > 0)) fail("temperature must be > 0, not '" v["temperature"] "'")
  if (sweeps < 0 || sweeps != int(sweeps)) fail("sweeps must be a whole number >= 0, not '" v["sweeps"] "'")
  if (x < 1 || x > 2147483646 || x != int(x)) fail("seed must be in 1..2147483646, not '" v["seed"] "'")
  n = L * L
  spins = v["spins"]
  if (length(spins) != n) fail("spins must be " n " characters, not " length(spins))
  for (i = 0; i < n; i++) {
    c = substr(spins, i + 1, 1)
    if (c == "+") s[i] = 1
    else if (c == "-") s[i] = -1
    else fail("spin " i + 1 " is '" c "', not + or -")
  }
  # Neighbours of every site, once.
  for (i = 0; i < n; i++) {
    r = int(i / L); c = i % L
    right[i] = r * L + (c + 1) % L
    left[i] = r * L + (c + L - 1) % L
    down[i] = ((r + 1) % L) * L + c
    up[i] = ((r + L - 1) % L) * L + c
  }
  # A flip that raises the energy by 4 or 8 is accepted with exp(-dE/T):
  # draw x in 1..M-1 and accept when x < exp(-dE/T) * M.
  M = 2147483647
  a4 = exp(-4 / T) * M
  a8 = exp(-8 / T) * M
  accepted = 0
  for (sweep = 0; sweep < sweeps; sweep++) {
    for (i = 0; i < n; i++) {
      dE = 2 * s[i] * (s[right[i]] + s[left[i]] + s[down[i]] + s[up[i]])
      if (dE > 0) {
        x = (x * 16807) % M
        if (x >= (dE == 4 ? a4 : a8)) continue
      }
      s[i] = -s[i]
      accepted++
    }
  }
  e = 0; m = 0; out = ""
  for (i = 0; i < n; i++) {
    e -= s[i] * (s[right[i]] + s[down[i]])
    m += s[i]
    out = out (s[i] > 0 ? "+" : "-")
  }
  printf "L %d\ntemperature %s\nsweeps %d\nseed %d\n", L, v["temperature"], sweeps, v["seed"]
  printf "energy %d\nmagnetization %d\naccepted %d\nspins %s\n", e, m, accepted, out
}
