#!/usr/bin/env bash
# Generate a large Go execution trace for the trace benchmarks with a real Go
# toolchain.
#
# Usage: bench/gen-trace.sh OUT [MIB]
#   OUT  file to write (conventionally target/bench-data/trace-200mb.trace)
#   MIB  stop once the trace has this many MiB (default 200; the program also
#        stops after 30 s)
#
# Builds bench/gen-trace (Go, stdlib only: 64 channel ping-pong pairs and 4
# mutex workers under runtime/trace, a few goroutines left blocked at the end)
# and runs it, built in a temporary directory (the checkout may be read-only;
# GO may be a wrapper script). Skips everything when OUT already exists. Never commit the
# output: it lives under target/ (git-ignored).
#
# Go: $GO if set, else the toolchain scripts/install-go.sh installs under
# .tools/ (default 1.27.3, override with GOSTUCK_BENCH_GO_VERSION), else `go`
# on PATH if it is Go >= 1.22. GOSTUCK_BENCH_NO_INSTALL=1 forbids installing.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUT [MIB]" >&2
  exit 2
fi
OUT="$1"
MIB="${2:-200}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ -s "$OUT" ]; then
  echo "gen-trace: $OUT exists; not regenerating" >&2
  exit 0
fi

# shellcheck source=bench/find-go.sh
. "$ROOT/bench/find-go.sh"

GOBIN_PATH="$(find_go)" || {
  echo "gen-trace: no Go toolchain found (set GO=/path/to/go, or run scripts/install-go.sh 1.27.3)" >&2
  exit 3
}

export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOWORK=off
unset GOTRACEBACK GODEBUG GOEXPERIMENT GOROOT

mkdir -p "$(dirname "$OUT")"
# The generator is built outside the checkout (which may be read-only); Go's
# build cache makes the rebuild cheap.
BIN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/gostuck-gen-trace.XXXXXX")"
# Write to a temporary name first so an interrupted run leaves no partial trace.
TMP="$OUT.tmp.$$"
trap 'rm -f "$TMP"; rm -rf "$BIN_DIR"' EXIT
BIN="$BIN_DIR/gen-trace"
(cd "$ROOT/bench/gen-trace" && "$GOBIN_PATH" build -o "$BIN" .)

"$BIN" -o "$TMP" -size "$MIB"
mv "$TMP" "$OUT"
rm -rf "$BIN_DIR"
trap - EXIT
echo "gen-trace: wrote $OUT ($(wc -c <"$OUT") bytes)" >&2
