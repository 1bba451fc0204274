#!/usr/bin/env bash
# A/B comparison of two builds of the same command on this noisy VM: runs A and
# B alternately N times and prints, for the CPU time (user+sys) of each, the
# minimum and the median, and the median of the per-pair ratios B/A (pairs run
# back to back, so a drift of the machine's speed affects both sides alike).
#
# Usage: bench/ab.sh N BIN_A BIN_B ARGS...
#   e.g. bench/ab.sh 20 /tmp/gotrace.old target/release/examples/gotrace \
#          count target/bench-data/trace-200mb.trace
# /usr/bin/time counts in 10 ms steps: use inputs that take a second or more.
# An A/A run (the same binary twice) shows the noise: its median ratio should
# be within ~1 % of 1.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 N BIN_A BIN_B ARGS..." >&2
  exit 2
fi
N="$1" A="$2" B="$3"
shift 3
T="$(mktemp)"
trap 'rm -f "$T"' EXIT
cpu() {
  /usr/bin/time -o "$T" -f "%U %S" "$@" >/dev/null 2>&1
  # (The last line: a command that exits non-zero gets a note line first.)
  tail -n 1 "$T" | awk '{ printf "%.3f\n", $1 + $2 }'
}
as=() bs=() rs=()
for _ in $(seq "$N"); do
  a="$(cpu "$A" "$@")"
  b="$(cpu "$B" "$@")"
  as+=("$a") bs+=("$b")
  rs+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f\n", (a > 0 ? b / a : 1) }')")
done
stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "min %.3f median %.3f", v[1], m }'; }
echo "A: $(stats "${as[@]}") s CPU"
echo "B: $(stats "${bs[@]}") s CPU"
echo "B/A per pair: $(stats "${rs[@]}")"
