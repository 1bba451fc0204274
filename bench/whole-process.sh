#!/usr/bin/env bash
# Whole-process benchmark: `gostuck analyze` on a real 1,000,000-goroutine dump.
#
# Usage: bench/whole-process.sh            (N=1000000 RUNS=5 by default)
#        N=20000 RUNS=10 bench/whole-process.sh
#
# 1. builds gostuck in release mode,
# 2. generates the dump with a real Go toolchain (bench/gen-dump.sh; cached in
#    target/bench-data/, never committed),
# 3. times `gostuck analyze DUMP --format json -o /dev/null` and the same with
#    `--format text` (hyperfine when installed — `apt-get install hyperfine` —
#    else a loop over `date +%s.%N`), computes MB/s = dump size / mean time, and
#    measures peak RSS with `/usr/bin/time -v` (`apt-get install time`),
# 4. prints a markdown table.
#
# gostuck exits 1 when it reports findings; that is expected here.
# Extra gostuck flags can be given in GOSTUCK_ARGS (e.g. "--no-source").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${N:-1000000}"
RUNS="${RUNS:-5}"
DUMP="${DUMP:-$ROOT/target/bench-data/dump-$N.txt}"
EXTRA="${GOSTUCK_ARGS:-}"

cd "$ROOT"
echo "building gostuck (release)..." >&2
cargo build --release -q -p gostuck
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/gostuck"

"$ROOT/bench/gen-dump.sh" "$N" "$DUMP"
SIZE=$(wc -c <"$DUMP")
GOROUTINES=$(grep -c '^goroutine [0-9]* .*\]:$' "$DUMP" || true)

if [ ! -x /usr/bin/time ]; then
  echo "whole-process: /usr/bin/time is missing (apt-get install time)" >&2
  exit 1
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/gostuck-bench.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# mean_seconds CMD...: mean wall time over $RUNS runs (after one warm-up run).
mean_seconds() {
  if command -v hyperfine >/dev/null 2>&1; then
    hyperfine --style none --warmup 1 --runs "$RUNS" --ignore-failure \
      --export-json "$TMP/h.json" "$(printf '%q ' "$@")" >&2
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.4f %.4f %.4f" % (r["mean"], r["stddev"] or 0, r["min"]))' "$TMP/h.json"
  else
    "$@" >/dev/null 2>&1 || true
    local i t0 t1 all=()
    for ((i = 0; i < RUNS; i++)); do
      t0=$(date +%s.%N)
      "$@" >/dev/null 2>&1 || true
      t1=$(date +%s.%N)
      all+=("$(echo "$t1 - $t0" | bc -l)")
    done
    printf '%s\n' "${all[@]}" | python3 -c 'import sys,statistics as s; v=[float(x) for x in sys.stdin]; print("%.4f %.4f %.4f" % (s.mean(v), s.stdev(v) if len(v)>1 else 0, min(v)))'
  fi
}

# rss_and_cpu CMD...: "peak-RSS-KiB user-s sys-s" of one run.
rss_and_cpu() {
  /usr/bin/time -v "$@" >/dev/null 2>"$TMP/time.txt" || true
  echo "$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$TMP/time.txt")" \
    "$(sed -n 's/^[[:space:]]*User time (seconds): //p' "$TMP/time.txt")" \
    "$(sed -n 's/^[[:space:]]*System time (seconds): //p' "$TMP/time.txt")"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

ROWS=()
for fmt in json text; do
  # shellcheck disable=SC2086
  cmd=("$BIN" analyze "$DUMP" --format "$fmt" -o /dev/null $EXTRA)
  echo "measuring: ${cmd[*]}" >&2
  read -r mean sd min < <(mean_seconds "${cmd[@]}")
  read -r rss user sys < <(rss_and_cpu "${cmd[@]}")
  ROWS+=("$(python3 -c '
import sys
fmt, size, mean, sd, mn, rss, user, sys_, extra = sys.argv[1:10]
size = int(size); mean = float(mean); sd = float(sd); mn = float(mn); rss = int(rss); cpu = float(user) + float(sys_)
print("| `gostuck analyze --format %s%s -o /dev/null` | %.2f ± %.2f s (min %.2f) | %.0f MB/s (best %.0f) | %.1f s (%s user + %s sys) | %.0f MiB (%.0f%% of input) |" % (
    fmt, (" " + extra) if extra else "", mean, sd, mn, size / 1e6 / mean, size / 1e6 / mn, cpu, user, sys_, rss / 1024, 100 * rss * 1024 / size))
' "$fmt" "$SIZE" "$mean" "$sd" "$min" "$rss" "$user" "$sys" "$EXTRA")")
done

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
echo
echo "Input: \`$(realpath --relative-to="$ROOT" "$DUMP")\`: $(python3 -c "print('%.1f MB' % ($SIZE/1e6))") ($SIZE bytes), $GOROUTINES goroutines"
echo "Machine: $(nproc) CPUs, ${CPU:-unknown CPU}; load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Timing: $(command -v hyperfine >/dev/null && echo "hyperfine, 1 warm-up + $RUNS runs" || echo "date loop, 1 warm-up + $RUNS runs"); peak RSS: /usr/bin/time -v (1 run)"
echo
echo "| command | wall time (mean ± sd) | throughput (size / mean) | CPU time, 1 run | peak RSS, 1 run |"
echo "| --- | --- | --- | --- | --- |"
printf '%s\n' "${ROWS[@]}"
