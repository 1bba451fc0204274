#!/usr/bin/env bash
# Generate a benchmark goroutine dump with a real Go toolchain.
#
# Usage: bench/gen-dump.sh N OUT
#   N    goroutines to start (e.g. 20000, 1000000)
#   OUT  file to write (conventionally target/bench-data/dump-N.txt)
#
# Builds bench/gen-dump (Go, stdlib only) and runs it: it starts N goroutines
# blocked in a realistic mix of ways and writes runtime.Stack(buf, true) to OUT.
# The generator is built in a temporary directory, so the checkout may be
# read-only; GO may be a wrapper script. Skips everything when OUT already
# exists. Never commit the output: it lives under target/ (git-ignored).
#
# Go: $GO if set, else `go` on PATH if it is Go >= 1.22, else the toolchain
# scripts/install-go.sh installs under .tools/ (default 1.27.3, override with
# GOSTUCK_BENCH_GO_VERSION). GOSTUCK_BENCH_NO_INSTALL=1 forbids installing.
# Extra flags for gen-dump can be passed in GEN_DUMP_FLAGS (e.g. "-age 70s").
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 N OUT" >&2
  exit 2
fi
N="$1"
OUT="$2"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ -s "$OUT" ]; then
  echo "gen-dump: $OUT exists; not regenerating" >&2
  exit 0
fi

# shellcheck source=bench/find-go.sh
. "$ROOT/bench/find-go.sh"

GOBIN_PATH="$(find_go)" || {
  echo "gen-dump: no Go toolchain found (set GO=/path/to/go, or run scripts/install-go.sh 1.27.3)" >&2
  exit 3
}

export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOWORK=off
unset GOTRACEBACK GODEBUG GOEXPERIMENT GOROOT

mkdir -p "$(dirname "$OUT")"
# The generator is built outside the checkout (which may be read-only); Go's
# build cache makes the rebuild cheap.
BIN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/gostuck-gen-dump.XXXXXX")"
# Write to a temporary name first so an interrupted run leaves no partial dump.
TMP="$OUT.tmp.$$"
trap 'rm -f "$TMP"; rm -rf "$BIN_DIR"' EXIT
BIN="$BIN_DIR/gen-dump"
(cd "$ROOT/bench/gen-dump" && "$GOBIN_PATH" build -o "$BIN" .)

# shellcheck disable=SC2086
"$BIN" -n "$N" -o "$TMP" ${GEN_DUMP_FLAGS:-}
mv "$TMP" "$OUT"
rm -rf "$BIN_DIR"
trap - EXIT
echo "gen-dump: wrote $OUT ($(wc -c <"$OUT") bytes)" >&2
