#!/usr/bin/env bash
# Capture Go execution traces (runtime/trace, `go test -trace`) with real Go
# toolchains, plus the expected parses for gostuck-trace's differential tests.
#
# Usage: scripts/capture-traces.sh [go-version ...]
#        (default: 1.21.13 1.22.10 1.23.9 1.24.11 1.25.5 1.27.3)
#        MODES="dumped" scripts/capture-traces.sh 1.22.10 1.24.11 1.27.3
#        re-captures only the listed modes, keeping the other files.
#
# For each version it (re)creates testdata/captured/go<ver>/traces/ with
#   <mode>.trace        the trace written by testdata/traces/prog (or by
#                       `go test -trace` for gotest.trace)
#   <mode>.parsed.txt   `go tool trace -d=parsed <mode>.trace` of the REFERENCE
#                       toolchain (TZ=UTC), i.e. the Go reader's event stream
#   <mode>.wire.txt     `go tool trace -d=wire <mode>.trace` (raw wire events)
#   <mode>.dump.txt     dumped mode only: runtime.Stack(all) of the same
#                       process, taken right after trace.Stop
#   <mode>.meta         key=value: go, mode, command, reference, exit (of
#                       -d=parsed), wire_exit (of -d=wire: Go's raw reader
#                       stops at experimental events of pre-1.26 traces), bytes
# Traces of Go < 1.22 (old format) get only .trace and .meta: the test checks
# that they are refused.
#
# The reference toolchain is the newest installed one (REF_GO, default 1.27.3);
# its reader understands every trace format from Go 1.22 on.
# Traces bigger than 300 KB are dropped with a warning.
#
# It also encodes Go's synthetic trace tests ($GOROOT/src/internal/trace/
# testdata/tests/*.test, a text form of the wire format) to binary into
# testdata/captured/gotests/traces/ with the same .parsed.txt/.wire.txt/.meta.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROG="$ROOT/testdata/traces/prog"
CAPT="$ROOT/testdata/captured"
REF_GO_VERSION="${REF_GO:-1.27.3}"
MAX_BYTES=$((300 * 1024))

if [ $# -gt 0 ]; then
  VERSIONS=("$@")
else
  VERSIONS=(1.21.13 1.22.10 1.23.9 1.24.11 1.25.5 1.27.3)
fi

export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOWORK=off
unset GOTRACEBACK GODEBUG GOEXPERIMENT GOROOT

TMP="$(mktemp -d "${TMPDIR:-/tmp}/gostuck-traces.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
export GOCACHE="${GOCACHE:-$TMP/gocache}"

WARNINGS=()
warn() { echo "WARN: $*" >&2; WARNINGS+=("$*"); }

# ver_ge A B: is version A >= B?
ver_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

REF="$("$ROOT/scripts/install-go.sh" "$REF_GO_VERSION")" || { echo "cannot install reference Go $REF_GO_VERSION" >&2; exit 1; }

for VER in "${VERSIONS[@]}"; do
  VER="${VER#go}"
  GO="$("$ROOT/scripts/install-go.sh" "$VER")" || { warn "go $VER: install failed"; continue; }
  OUT="$CAPT/go$VER/traces"
  [ -z "${MODES:-}" ] && rm -rf "$OUT"
  mkdir -p "$OUT"
  BIN="$TMP/traceprog-$VER"
  if ! (cd "$PROG" && "$GO" build -o "$BIN" .) >"$TMP/build.log" 2>&1; then
    warn "go $VER: build failed: $(head -c 400 "$TMP/build.log")"
    continue
  fi

  RUN_MODES=(mixed gens cpu procs syscall deadlocked dumped cgo)
  if ver_ge "$VER" 1.23; then RUN_MODES+=(coro allocfree); fi
  if ! ver_ge "$VER" 1.22; then RUN_MODES=(mixed); fi
  RUN_MODES+=(gotest)
  if [ -n "${MODES:-}" ]; then read -r -a RUN_MODES <<<"$MODES"; fi

  for MODE in "${RUN_MODES[@]}"; do
    if ! ver_ge "$VER" 1.22 && [ "$MODE" = gotest ]; then continue; fi
    T="$OUT/$MODE.trace"
    env=()
    [ "$MODE" = allocfree ] && env=(GODEBUG=traceallocfree=1)
    if [ "$MODE" = gotest ]; then
      cmd="go test -trace=$MODE.trace -run TestBlocking -count=1 ."
      (cd "$PROG" && "$GO" test -trace="$T" -run TestBlocking -count=1 . >"$TMP/run.log" 2>&1)
    else
      cmd="${env[*]:+${env[*]} }traceprog $MODE $MODE.trace"
      env "${env[@]}" "$BIN" "$MODE" "$T" >"$TMP/run.log" 2>&1
    fi
    rc=$?
    if [ $rc -ne 0 ] || [ ! -s "$T" ]; then
      warn "go $VER $MODE: run failed (exit $rc): $(head -c 400 "$TMP/run.log")"
      rm -f "$T"
      continue
    fi
    size=$(stat -c %s "$T")
    if [ "$size" -gt "$MAX_BYTES" ]; then
      warn "go $VER $MODE: trace is $size bytes (> $MAX_BYTES), dropped"
      rm -f "$T"
      continue
    fi
    exit_code=""
    if ver_ge "$VER" 1.22; then
      TZ=UTC "$REF" tool trace -d=parsed "$T" >"$OUT/$MODE.parsed.txt" 2>"$TMP/parse.err"
      exit_code=$?
      TZ=UTC "$REF" tool trace -d=wire "$T" >"$OUT/$MODE.wire.txt" 2>/dev/null
      wire_exit=$?
      if [ -s "$TMP/parse.err" ]; then
        warn "go $VER $MODE: reference parse: $(head -c 400 "$TMP/parse.err")"
      fi
    fi
    {
      echo "go=$VER"
      echo "mode=$MODE"
      echo "command=$cmd"
      echo "reference=go$REF_GO_VERSION tool trace -d=parsed / -d=wire (TZ=UTC)"
      [ -n "$exit_code" ] && echo "exit=$exit_code" && echo "wire_exit=$wire_exit"
      echo "bytes=$size"
    } >"$OUT/$MODE.meta"
    echo "[go$VER] $MODE: $size bytes" >&2
  done
done

# Go's synthetic trace tests (txtar files with a text trace), encoded to
# binary by gostuck-trace's example driver, with the reference parse.
GOTESTS="$(dirname "$(dirname "$REF")")/src/internal/trace/testdata/tests"
OUT="$CAPT/gotests/traces"
if [ -n "${MODES:-}" ]; then
  : # only some modes re-captured: the synthetic tests are left as they are
elif [ -d "$GOTESTS" ] && (cd "$ROOT" && cargo build -q -p gostuck-trace --example gotrace); then
  rm -rf "$OUT"
  mkdir -p "$OUT"
  for f in "$GOTESTS"/*.test; do
    n="$(basename "$f" .test)"
    T="$OUT/$n.trace"
    if ! "$ROOT/target/debug/examples/gotrace" encode "$f" "$T" 2>"$TMP/enc.err"; then
      warn "gotests $n: encode failed: $(cat "$TMP/enc.err")"
      continue
    fi
    TZ=UTC "$REF" tool trace -d=parsed "$T" >"$OUT/$n.parsed.txt" 2>"$TMP/parse.err"
    exit_code=$?
    TZ=UTC "$REF" tool trace -d=wire "$T" >"$OUT/$n.wire.txt" 2>/dev/null
    wire_exit=$?
    {
      echo "source=GOROOT/src/internal/trace/testdata/tests/$n.test (go$REF_GO_VERSION), text trace encoded by: gotrace encode"
      echo "expect=$(sed -n '/^-- expect --$/{n;p;q}' "$f")"
      echo "reference=go$REF_GO_VERSION tool trace -d=parsed / -d=wire (TZ=UTC)"
      echo "exit=$exit_code"
      echo "wire_exit=$wire_exit"
      [ "$exit_code" != 0 ] && echo "error=$(head -n1 "$TMP/parse.err")"
      echo "bytes=$(stat -c %s "$T")"
    } >"$OUT/$n.meta"
    echo "[gotests] $n (exit $exit_code)" >&2
  done
else
  warn "Go's synthetic trace tests not found under $GOTESTS (or cargo failed): skipped"
fi

if [ ${#WARNINGS[@]} -gt 0 ]; then
  echo "${#WARNINGS[@]} warning(s):" >&2
  printf '  %s\n' "${WARNINGS[@]}" >&2
fi
