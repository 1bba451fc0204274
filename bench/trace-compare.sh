#!/usr/bin/env bash
# Trace benchmarks, gostuck-trace side by side with the Go toolchain, on one
# large trace written by a real Go program (bench/gen-trace.sh).
#
# Usage: bench/trace-compare.sh [TRACE]
#        RUNS=3 bench/trace-compare.sh
#
#  (a) events/s streaming every event in order:
#      `gotrace count` (gostuck-trace's Reader::read_event_ref loop) vs a small
#      Go program that reads the same trace with the toolchain's own reader:
#      GOROOT/src/internal/trace is copied into a temporary module (import
#      paths rewritten to the module's internal/ tree) and its
#      trace.NewReader/ReadEvent loop is timed.
#  (b) peak RSS (/usr/bin/time -v) against the largest generation of the
#      trace (input bytes between two Sync events).
#  (c) the blocking profile: `gotrace pprof-sync` (and the full
#      `gostuck trace --pprof-sync`) vs `go tool trace -pprof=sync`, time and
#      peak RSS; both profiles are compared with `go tool pprof -top`.
#
# (a) alternates the two readers run by run and also prints the median of
# the per-pair wall ratios (this VM's speed drifts within minutes).
# Times are the best of RUNS runs (default 3): wall clock and CPU (user+sys;
# Go's garbage collector runs on other cores, so its CPU time exceeds its wall
# time on an idle machine). The machine should be otherwise idle.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}"
GO="${GO:-$("$ROOT/scripts/install-go.sh" "${GOSTUCK_BENCH_GO_VERSION:-1.27.3}")}"
# Asked of the toolchain, not derived from the path: `go` may be a wrapper
# script or a symlink outside its GOROOT.
GOROOT_DIR="$(env -u GOROOT "$GO" env GOROOT)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/gostuck-trace-bench.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
# Cargo builds into $CARGO_TARGET_DIR, else the checkout's target/; when that
# cannot be written (a read-only checkout), into the temporary directory.
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
if ! mkdir -p "$TARGET_DIR" 2>/dev/null || [ ! -w "$TARGET_DIR" ]; then
  TARGET_DIR="$TMP/target"
  echo "trace-compare: $TARGET_DIR is used for the build (the checkout's target/ is not writable)" >&2
fi
TRACE="${1:-$TARGET_DIR/bench-data/trace-200mb.trace}"

if [ ! -x /usr/bin/time ]; then
  echo "trace-compare: /usr/bin/time is missing (apt-get install time)" >&2
  exit 3
fi
[ -s "$TRACE" ] || "$ROOT/bench/gen-trace.sh" "$TRACE"

export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOWORK=off
unset GODEBUG GOEXPERIMENT GOROOT
export GOCACHE="${GOCACHE:-$TMP/gocache}"

echo "building gostuck (release) into $TARGET_DIR ..." >&2
(cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build -q --locked --release -p gostuck -p gostuck-trace --example gotrace)
GOTRACE="$TARGET_DIR/release/examples/gotrace"
GOSTUCK="$TARGET_DIR/release/gostuck"

echo "building the Go baseline from $GOROOT_DIR/src/internal/trace ..." >&2
MOD="$TMP/gobase"
mkdir -p "$MOD/internal" "$MOD/cmd/readtrace"
cp -r "$GOROOT_DIR/src/internal/trace" "$MOD/internal/"
# Only the reader and its internal dependencies: drop tests and tools.
rm -rf "$MOD/internal/trace/testdata" "$MOD/internal/trace/traceviewer" \
  "$MOD/internal/trace/testtrace" "$MOD/internal/trace/internal/testgen" "$MOD/internal/trace/raw"
find "$MOD" -name '*_test.go' -delete
find "$MOD" -name '*.go' -exec sed -i 's#"internal/trace#"gobase/internal/trace#' {} +
GOVER="$("$GO" env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')"
printf 'module gobase\n\ngo %s\n' "$GOVER" >"$MOD/go.mod"
cat >"$MOD/cmd/readtrace/main.go" <<'GO'
// readtrace streams every event of a trace through the Go toolchain's own
// reader (internal/trace, copied from GOROOT) and prints the rate.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"gobase/internal/trace"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	start := time.Now()
	r, err := trace.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		panic(err)
	}
	n := 0
	for {
		_, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		n++
	}
	s := time.Since(start).Seconds()
	fmt.Printf("%d events in %.3fs: %.0f events/s\n", n, s, float64(n)/s)
}
GO
(cd "$MOD" && "$GO" build -o "$TMP/readtrace" ./cmd/readtrace)

# measure NAME CMD...: best wall and CPU seconds of RUNS runs, peak RSS (KB)
# and the command's first stdout line, into globals.
measure() {
  local name="$1"; shift
  local best_wall="" best_cpu="" rss=0 i
  for ((i = 0; i < RUNS; i++)); do
    # `gostuck trace` exits 1 when goroutines are blocked at the end.
    /usr/bin/time -f '%e %U %S %M' -o "$TMP/time.txt" "$@" >"$TMP/out.txt" || [ $? -le 1 ]
    # (time prefixes "Command exited with non-zero status N" when it is not 0)
    read -r wall user sys kb < <(tail -n1 "$TMP/time.txt")
    cpu=$(echo "$user + $sys" | bc)
    if [ -z "$best_wall" ] || [ "$(echo "$wall < $best_wall" | bc)" = 1 ]; then best_wall=$wall; fi
    if [ -z "$best_cpu" ] || [ "$(echo "$cpu < $best_cpu" | bc)" = 1 ]; then best_cpu=$cpu; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  W[$name]=$best_wall
  C[$name]=$best_cpu
  M[$name]=$rss
  O[$name]="$(head -n1 "$TMP/out.txt")"
  echo "  $name: wall ${best_wall}s cpu ${best_cpu}s peak ${rss} KB | ${O[$name]}" >&2
}
declare -A W C M O

# measure_pair A CMD_A... -- B CMD_B...: like `measure` for both, with their
# runs alternating (A, B, A, B, ...) so that both see the same moments of a
# machine whose speed drifts; also the median of the per-pair wall ratios
# B/A, into PAIR_RATIO.
measure_pair() {
  local a="$1"; shift
  local cmd_a=() cmd_b=() b i
  while [ "$1" != "--" ]; do cmd_a+=("$1"); shift; done
  shift
  b="$1"; shift
  cmd_b=("$@")
  local saved=$RUNS ratios=() wa wb
  RUNS=1
  for ((i = 0; i < saved; i++)); do
    measure "$a.$i" "${cmd_a[@]}"
    measure "$b.$i" "${cmd_b[@]}"
    ratios+=("$(echo "scale=3; ${W[$b.$i]} / ${W[$a.$i]}" | bc)")
  done
  RUNS=$saved
  for name in "$a" "$b"; do
    W[$name]=""; C[$name]=""; M[$name]=0
    for ((i = 0; i < RUNS; i++)); do
      wa=${W[$name.$i]}
      if [ -z "${W[$name]}" ] || [ "$(echo "$wa < ${W[$name]}" | bc)" = 1 ]; then W[$name]=$wa; fi
      wb=${C[$name.$i]}
      if [ -z "${C[$name]}" ] || [ "$(echo "$wb < ${C[$name]}" | bc)" = 1 ]; then C[$name]=$wb; fi
      [ "${M[$name.$i]}" -gt "${M[$name]}" ] && M[$name]=${M[$name.$i]}
      O[$name]=${O[$name.$i]}
    done
  done
  PAIR_RATIO=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}')
  echo "  per-pair wall ratios $b/$a: ${ratios[*]} (median $PAIR_RATIO)" >&2
}

BYTES=$(stat -c %s "$TRACE")
echo "trace: $TRACE ($BYTES bytes), best of $RUNS runs" >&2
measure_pair rust_count "$GOTRACE" count "$TRACE" -- go_count "$TMP/readtrace" "$TRACE"
measure rust_pprof "$GOTRACE" pprof-sync "$TRACE" "$TMP/ours.pb.gz"
measure gostuck_trace "$GOSTUCK" trace "$TRACE" --pprof-sync "$TMP/ours2.pb.gz" -o /dev/null
RUNS_SAVED=$RUNS
RUNS=1 # go tool trace -pprof holds the whole trace in memory: one run is enough
measure go_pprof sh -c "'$GO' tool trace -pprof=sync '$TRACE' > '$TMP/go.pb'"
RUNS=$RUNS_SAVED

EVENTS=$(echo "${O[rust_count]}" | awk '{print $1}')
GOEVENTS=$(echo "${O[go_count]}" | awk '{print $1}')
LARGEST=$(echo "${O[rust_count]}" | sed -E 's/.*the largest ([0-9]+) bytes.*/\1/')
GENS=$(echo "${O[rust_count]}" | sed -E 's/.*; ([0-9]+) generations.*/\1/')

"$GO" tool pprof -top -nodecount=10 "$TMP/ours.pb.gz" 2>/dev/null | sed -n '/flat%/,$p' >"$TMP/top-ours.txt"
"$GO" tool pprof -top -nodecount=10 "$TMP/go.pb" 2>/dev/null | sed -n '/flat%/,$p' >"$TMP/top-go.txt"
SAME="identical"
cmp -s "$TMP/top-ours.txt" "$TMP/top-go.txt" || SAME="DIFFERENT (see below)"

ratio() { echo "scale=1; $1 / $2" | bc; }
rate() { echo "scale=0; $1 / $2" | bc; }
echo
echo "| measure | gostuck-trace | Go toolchain | ratio |"
echo "|---|---|---|---|"
echo "| events (both readers) | $EVENTS | $GOEVENTS | |"
echo "| (a) events/s, wall | $(rate "$EVENTS" "${W[rust_count]}") | $(rate "$GOEVENTS" "${W[go_count]}") | $(ratio "${W[go_count]}" "${W[rust_count]}")× |"
echo "| (a) events/s, CPU | $(rate "$EVENTS" "${C[rust_count]}") | $(rate "$GOEVENTS" "${C[go_count]}") | $(ratio "${C[go_count]}" "${C[rust_count]}")× |"
echo "| (a) wall, median of the $RUNS alternating pairs' ratios | | | ${PAIR_RATIO}× |"
echo "| (b) peak RSS streaming, KB | ${M[rust_count]} | ${M[go_count]} | $(ratio "${M[go_count]}" "${M[rust_count]}")× less |"
echo "| (b) largest generation ($GENS generations), KB | $((LARGEST / 1024)) | | RSS = $(ratio "${M[rust_count]}" "$((LARGEST / 1024))")× |"
echo "| (c) -pprof=sync, wall s | ${W[rust_pprof]} | ${W[go_pprof]} | $(ratio "${W[go_pprof]}" "${W[rust_pprof]}")× |"
echo "| (c) -pprof=sync, CPU s | ${C[rust_pprof]} | ${C[go_pprof]} | $(ratio "${C[go_pprof]}" "${C[rust_pprof]}")× |"
echo "| (c) -pprof=sync, peak RSS KB | ${M[rust_pprof]} | ${M[go_pprof]} | $(ratio "${M[go_pprof]}" "${M[rust_pprof]}")× less |"
echo "| (c) \`gostuck trace --pprof-sync\` (all analyses), wall s / CPU s / KB | ${W[gostuck_trace]} / ${C[gostuck_trace]} / ${M[gostuck_trace]} | | |"
echo "| \`go tool pprof -top\` of the two profiles | $SAME | | |"
echo
echo "trace: $(basename "$TRACE"), $BYTES bytes; Go $("$GO" env GOVERSION); $(nproc) cores"
if [ "$SAME" != identical ]; then
  echo "--- gostuck-trace"; cat "$TMP/top-ours.txt"
  echo "--- go tool trace -pprof=sync"; cat "$TMP/top-go.txt"
fi
