#!/usr/bin/env bash
# Capture real scheduler and GC traces (GODEBUG=schedtrace=200[,scheddetail=1],
# gctrace=1) of testdata/scenarios/schedtrace with real Go toolchains.
#
# Usage: scripts/capture-sched.sh [go-version ...]   (default: 1.21.13 1.22.10 1.24.11 1.27.3)
#
# For each version it (re)creates testdata/captured/go<ver>/sched/ with
#   <mode>.txt         GODEBUG=schedtrace=200,gctrace=1 ./schedtrace -mode=<mode> -for=3s
#   <mode>-detail.txt  the same with scheddetail=1 (per-P, per-M and per-G lines)
#   <same>.meta        key=value lines as in scripts/capture.sh
# Modes: stuck, syscall, gc-stops, busy (see testdata/scenarios/schedtrace/main.go).
# Every file is stdout and stderr combined, exactly as printed. GOMAXPROCS=2 so
# the captures do not depend on the machine's core count.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCEN="$ROOT/testdata/scenarios/schedtrace"
CAPT="$ROOT/testdata/captured"

if [ $# -gt 0 ]; then
  VERSIONS=("$@")
else
  VERSIONS=(1.21.13 1.22.10 1.24.11 1.27.3)
fi

export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOWORK=off
unset GOTRACEBACK GODEBUG GOEXPERIMENT GOROOT

TMP="$(mktemp -d "${TMPDIR:-/tmp}/gostuck-capture-sched.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

WARNINGS=()
warn() { echo "WARN: $*" >&2; WARNINGS+=("$*"); }

for VER in "${VERSIONS[@]}"; do
  VER="${VER#go}"
  GO="$("$ROOT/scripts/install-go.sh" "$VER")" || { warn "go$VER: install failed"; continue; }
  GOVERSION="$("$GO" env GOVERSION)"
  OUT="$CAPT/go$VER/sched"
  rm -rf "$OUT"
  mkdir -p "$OUT"
  if ! (cd "$SCEN" && "$GO" build -o "$TMP/schedtrace-$VER" .) >"$TMP/build.log" 2>&1; then
    warn "go$VER: build failed: $(head -c 400 "$TMP/build.log")"
    continue
  fi
  for mode in stuck syscall gc-stops busy; do
    for detail in "" 1; do
      base="$mode${detail:+-detail}"
      godebug="schedtrace=200${detail:+,scheddetail=1},gctrace=1"
      echo "[$VER] $base" >&2
      env GOMAXPROCS=2 GODEBUG="$godebug" timeout 20s "$TMP/schedtrace-$VER" -mode="$mode" -for=3s \
        >"$OUT/$base.txt" 2>&1
      rc=$?
      printf '%s\n' "scenario=schedtrace" "variant=$base" \
        "command=GOMAXPROCS=2 GODEBUG=$godebug ./schedtrace -mode=$mode -for=3s" \
        "go=$GOVERSION" "exit=$rc" "stream=stdout+stderr" >"$OUT/$base.meta"
      [ "$rc" = 0 ] || warn "go$VER: $base exited $rc"
      grep -q '^SCHED ' "$OUT/$base.txt" || warn "go$VER: $base: no SCHED lines"
    done
  done
done

echo >&2
if [ ${#WARNINGS[@]} -gt 0 ]; then
  echo "${#WARNINGS[@]} warning(s):" >&2
  printf '  %s\n' "${WARNINGS[@]}" >&2
  exit 1
fi
echo "all sched captures look as expected" >&2
