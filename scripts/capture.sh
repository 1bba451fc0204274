#!/usr/bin/env bash
# Re-capture real goroutine dumps from the scenario programs in
# testdata/scenarios with real Go toolchains.
#
# Usage: scripts/capture.sh [go-version ...]   (default: 1.21.13 1.22.10 1.24.11 1.27.3)
#
# For each version it (re)creates testdata/captured/go<ver>/ with
#   <scenario>[-variant].txt   exactly what the run printed: stdout and stderr
#                              combined (2>&1), as a user sees it in a terminal
#                              (pprof-http-*: the HTTP response body as fetched
#                              by curl; *.pb.gz are raw bytes)
#   <same>.meta                key=value lines: scenario, variant, command, go,
#                              exit, stream, and goroutines=<N> where an
#                              independent count is known
#   testprog/<Name>.txt/.meta  the runtime's own $GOROOT/src/runtime/testdata/testprog
#   testprogcgo/<Name>.txt/.meta  and testprogcgo (needs a C compiler)
#
# Needs only bash, coreutils and curl (plus python3 once, to install Go with
# scripts/install-go.sh). No network: servers listen on 127.0.0.1 only.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCEN="$ROOT/testdata/scenarios"
CAPT="$ROOT/testdata/captured"

if [ $# -gt 0 ]; then
  VERSIONS=("$@")
else
  VERSIONS=(1.21.13 1.22.10 1.24.11 1.27.3)
fi

export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOWORK=off
unset GOTRACEBACK GODEBUG GOEXPERIMENT GOROOT
ulimit -c 0 # GOTRACEBACK=crash ends in SIGABRT: no core files

TMP="$(mktemp -d "${TMPDIR:-/tmp}/gostuck-capture.XXXXXX")"
cleanup() {
  # Kill anything we started that is still alive (by pid only).
  local p
  for p in "${STARTED_PIDS[@]:-}"; do
    [ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
STARTED_PIDS=()
trap cleanup EXIT

WARNINGS=()
warn() { echo "WARN: $*" >&2; WARNINGS+=("$*"); }
log() { echo "[$VER] $*" >&2; }

# ver_ge A B: is version A >= B (numeric, dotted)?
ver_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# write_meta FILE key=value...
write_meta() {
  local f="$1"; shift
  : >"$f"
  local kv
  for kv in "$@"; do
    [ -n "$kv" ] && printf '%s\n' "$kv" >>"$f"
  done
}

# count_line: "goroutines=N" from the count file, if the program wrote one.
count_line() {
  if [ -s "$1" ]; then
    printf 'goroutines=%s' "$(tr -d ' \n' <"$1")"
  fi
}

# variant_of NAME BASE: BASE without the "NAME-" prefix ("" for the plain capture)
variant_of() {
  local v="${2#"$1"}"
  echo "${v#-}"
}

# build NAME -> binary path in $BIN/NAME
build() {
  local name="$1"
  if ! (cd "$SCEN/$name" && "$GO" build -o "$BIN/$name" . ) >"$TMP/build.log" 2>&1; then
    warn "go$VER: build of $name failed: $(head -c 400 "$TMP/build.log")"
    return 1
  fi
}

# check FILE EXPECT: sanity checks on a capture.
check() {
  local f="$1" expect="$2" exit="$3"
  case "$expect" in
    deadlock)
      grep -q '^fatal error: all goroutines are asleep - deadlock!' "$f" ||
        warn "go$VER: $(basename "$f"): deadlock message missing"
      [ "$exit" = 2 ] || warn "go$VER: $(basename "$f"): exit $exit, expected 2" ;;
    exit0)
      [ "$exit" = 0 ] || warn "go$VER: $(basename "$f"): exit $exit, expected 0"
      grep -q 'all goroutines are asleep' "$f" && warn "go$VER: $(basename "$f"): unexpected deadlock message" ;;
    panic)
      grep -q '^panic: ' "$f" || warn "go$VER: $(basename "$f"): no panic line"
      [ "$exit" = 2 ] || warn "go$VER: $(basename "$f"): exit $exit, expected 2" ;;
    sigquit)
      grep -q '^SIGQUIT: quit' "$f" || warn "go$VER: $(basename "$f"): no SIGQUIT header" ;;
    sigsegv)
      grep -q '^SIGSEGV: segmentation violation' "$f" || warn "go$VER: $(basename "$f"): no SIGSEGV header"
      [ "$exit" = 2 ] || warn "go$VER: $(basename "$f"): exit $exit, expected 2" ;;
  esac
  local sz
  sz=$(wc -c <"$f")
  [ "$sz" -lt 204800 ] || warn "go$VER: $(basename "$f") is $sz bytes (> 200 KB)"
}

# run_capture NAME OUTBASE EXPECT "ENV ..." ARGS...
# Runs the built binary to completion (timeout 20s), stdout+stderr combined.
run_capture() {
  local name="$1" base="$2" expect="$3" envs="$4"; shift 4
  local out="$OUT/$base.txt" cnt="$TMP/count.$base"
  rm -f "$cnt"
  log "run $base"
  # shellcheck disable=SC2086
  env GOSTUCK_NUMGOROUTINE="$cnt" $envs timeout 20s "$BIN/$name" "$@" >"$out" 2>&1
  local rc=$?
  [ "$rc" = 124 ] && warn "go$VER: $base timed out"
  local cmd="${envs:+$envs }./$name${*:+ $*}"
  local cl=""
  [ -n "${NOCOUNT:-}" ] || cl="$(count_line "$cnt")"
  write_meta "$OUT/$base.meta" "scenario=$name" "variant=$(variant_of "$name" "$base")" "command=$cmd" \
    "go=$GOVERSION" "exit=$rc" "stream=stdout+stderr" "$cl"
  check "$out" "$expect" "$rc"
}

# start_bg NAME LOGFILE COUNTFILE "ENV ..." ARGS... ; sets BGPID
start_bg() {
  local name="$1" logf="$2" cnt="$3" envs="$4"; shift 4
  rm -f "$cnt"
  # shellcheck disable=SC2086
  env GOSTUCK_NUMGOROUTINE="$cnt" $envs "$BIN/$name" "$@" >"$logf" 2>&1 &
  BGPID=$!
  STARTED_PIDS+=("$BGPID")
}

# stop_bg_quit: send SIGQUIT to BGPID, wait (max 15s) for it to die; sets BGRC
stop_bg_quit() {
  kill -QUIT "$BGPID" 2>/dev/null
  local i
  for i in $(seq 1 150); do
    kill -0 "$BGPID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$BGPID" 2>/dev/null; then
    warn "go$VER: pid $BGPID did not exit after SIGQUIT; killing"
    kill -KILL "$BGPID" 2>/dev/null
  fi
  { wait "$BGPID"; } 2>/dev/null # (hides bash's "Aborted" job message)
  BGRC=$?
}

# sigquit_capture NAME OUTBASE "ENV ..." ARGS...
# Starts the built binary, sends SIGQUIT after ~1s.
sigquit_capture() {
  local name="$1" base="$2" envs="$3"; shift 3
  local out="$OUT/$base.txt" cnt="$TMP/count.$base"
  log "sigquit $base"
  start_bg "$name" "$out" "$cnt" "$envs" "$@"
  sleep 1
  stop_bg_quit
  local cmd="${envs:+$envs }./$name${*:+ $*} & sleep 1; kill -QUIT \$!"
  # goroutines= counts user goroutines (runtime.NumGoroutine); SIGQUIT dumps
  # also show runtime goroutines and "goroutine 0" sections.
  write_meta "$OUT/$base.meta" "scenario=$name" "variant=$(variant_of "$name" "$base")" "command=$cmd" \
    "go=$GOVERSION" "exit=$BGRC" "stream=stdout+stderr" "$(count_line "$cnt")"
  check "$out" sigquit "$BGRC"
}

# wait_for_port LOGFILE -> echoes port
wait_for_port() {
  local logf="$1" i port
  for i in $(seq 1 100); do
    port=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$logf" | head -n1)
    if [ -n "$port" ]; then echo "$port"; return 0; fi
    sleep 0.1
  done
  return 1
}

capture_pprof_http() {
  local name=server-partial-deadlock
  local logf="$OUT/pprof-http-sigquit.txt" cnt="$TMP/count.pprof"
  log "pprof-http"
  start_bg "$name" "$logf" "$cnt" "" -leak=20
  local port
  if ! port=$(wait_for_port "$logf"); then
    warn "go$VER: pprof-http server did not print its port"
    stop_bg_quit
    return
  fi
  local base="http://127.0.0.1:$port/debug/pprof"
  # All encodings in ONE curl run: one keep-alive connection, so the set of
  # goroutines (including the serving connection's) is the same for each.
  local args=(
    "$base/goroutine?debug=2" -o "$OUT/pprof-http-goroutine-debug2.txt"
    "$base/goroutine?debug=1" -o "$OUT/pprof-http-goroutine-debug1.txt"
    "$base/goroutine?debug=0" -o "$OUT/pprof-http-goroutine-debug0.pb.gz"
  )
  local leak=0
  if ver_ge "$VER" 1.27; then
    # Go 1.27: the goroutineleak profile is always registered (no GOEXPERIMENT).
    leak=1
    args+=(
      "$base/goroutineleak?debug=2" -o "$OUT/pprof-http-goroutineleak-debug2.txt"
      "$base/goroutineleak?debug=1" -o "$OUT/pprof-http-goroutineleak-debug1.txt"
      "$base/goroutineleak?debug=0" -o "$OUT/pprof-http-goroutineleak-debug0.pb.gz"
      "$base/goroutine?debug=2" -o "$OUT/pprof-http-goroutine-debug2-after-leak.txt"
    )
  fi
  curl -sS --fail --noproxy '*' --max-time 30 "${args[@]}" 2>"$TMP/curl.err" ||
    warn "go$VER: curl failed: $(cat "$TMP/curl.err")"
  local total leaktotal=""
  total=$(sed -n 's/^goroutine profile: total \([0-9]*\)$/\1/p' "$OUT/pprof-http-goroutine-debug1.txt")
  [ "$leak" = 1 ] && leaktotal=$(sed -n 's/^goroutineleak profile: total \([0-9]*\)$/\1/p' "$OUT/pprof-http-goroutineleak-debug1.txt")
  local f d
  for f in goroutine-debug2.txt goroutine-debug1.txt goroutine-debug0.pb.gz \
           goroutineleak-debug2.txt goroutineleak-debug1.txt goroutineleak-debug0.pb.gz \
           goroutine-debug2-after-leak.txt; do
    [ -f "$OUT/pprof-http-$f" ] || continue
    local prof="${f%%-*}" q="${f#*-debug}"; d="${q%%[.-]*}"
    local gl=""
    case "$f" in
      goroutine-*) gl="goroutines=$total" ;;
      goroutineleak-debug2*) gl="goroutines=$total" ;; # debug=2 lists all goroutines
      goroutineleak-*) gl="goroutines=$leaktotal" ;;  # debug<2 lists leaked ones only
    esac
    [ "${gl#*=}" = "" ] && gl=""
    local ll=""
    case "$f" in goroutineleak-*) [ -n "$leaktotal" ] && ll="leaked_goroutines=$leaktotal" ;; esac
    write_meta "$OUT/pprof-http-${f%%.*}.meta" "scenario=$name" "variant=pprof-http-${f%%.*}" \
      "command=./$name -leak=20 & curl http://127.0.0.1:PORT/debug/pprof/$prof?debug=$d" \
      "go=$GOVERSION" "exit=" "stream=http-body" "$gl" "$ll"
    check "$OUT/pprof-http-$f" none 0
  done
  # Same process, after the fetches: SIGQUIT dump (stdout+stderr of the server).
  sleep 0.5 # let the HTTP connection goroutine go away
  stop_bg_quit
  write_meta "$OUT/pprof-http-sigquit.meta" "scenario=$name" "variant=pprof-http-sigquit" \
    "command=./$name -leak=20 & (curl the pprof endpoints above); kill -QUIT \$!" \
    "go=$GOVERSION" "exit=$BGRC" "stream=stdout+stderr" "$(count_line "$cnt")"
  check "$logf" sigquit "$BGRC"
}

capture_testprog() {
  local goroot src
  goroot="$("$GO" env GOROOT)"
  src="$goroot/src/runtime/testdata/testprog"
  if [ ! -d "$src" ]; then warn "go$VER: no $src"; return; fi
  if ! (cd "$src" && "$GO" build -o "$BIN/testprog" .) >"$TMP/build.log" 2>&1; then
    warn "go$VER: building testprog failed: $(head -c 400 "$TMP/build.log")"
    return
  fi
  mkdir -p "$OUT/testprog"
  local t envs rc
  for t in SimpleDeadlock InitDeadlock LockedDeadlock LockedDeadlock2 GoexitDeadlock \
           GoNil RecursivePanic RecursivePanic2 RecursivePanic3 RecursivePanic4 RecursivePanic5 \
           PanicTraceback PanicAfterGoexit GoexitInPanic MainGoroutineID PanicLoop \
           DoublePanic CircularPanic RepanickedPanic RepanickedMiddlePanic \
           RepanickedPanicSandwich DoublePanicWithSameValue StackOverflow TracebackAncestors; do
    envs=""
    [ "$t" = TracebackAncestors ] && envs="GODEBUG=tracebackancestors=5"
    log "testprog $t"
    # shellcheck disable=SC2086
    env $envs timeout 20s "$BIN/testprog" "$t" >"$OUT/testprog/$t.txt" 2>&1
    rc=$?
    if grep -q '^unknown function: ' "$OUT/testprog/$t.txt"; then
      rm -f "$OUT/testprog/$t.txt"
      log "testprog $t: not in this version"
      continue
    fi
    write_meta "$OUT/testprog/$t.meta" "scenario=testprog" "variant=$t" \
      "command=${envs:+$envs }\$GOROOT/src/runtime/testdata/testprog/testprog $t" \
      "go=$GOVERSION" "exit=$rc" "stream=stdout+stderr"
    check "$OUT/testprog/$t.txt" none "$rc"
  done
}

# The runtime's cgo test program: a crash inside C with a cgo traceback and
# symbolizer registered, so the dump has `non-Go function` frames.
capture_testprogcgo() {
  local goroot src t rc
  goroot="$("$GO" env GOROOT)"
  src="$goroot/src/runtime/testdata/testprogcgo"
  if [ ! -d "$src" ]; then warn "go$VER: no $src"; return; fi
  if ! (cd "$src" && CGO_ENABLED=1 "$GO" build -o "$BIN/testprogcgo" .) >"$TMP/build.log" 2>&1; then
    warn "go$VER: building testprogcgo failed (needs a C compiler): $(head -c 400 "$TMP/build.log")"
    return
  fi
  mkdir -p "$OUT/testprogcgo"
  for t in CrashTraceback; do
    log "testprogcgo $t"
    timeout 20s "$BIN/testprogcgo" "$t" >"$OUT/testprogcgo/$t.txt" 2>&1
    rc=$?
    write_meta "$OUT/testprogcgo/$t.meta" "scenario=testprogcgo" "variant=$t" \
      "command=\$GOROOT/src/runtime/testdata/testprogcgo/testprogcgo $t" \
      "go=$GOVERSION" "exit=$rc" "stream=stdout+stderr"
    check "$OUT/testprogcgo/$t.txt" none "$rc"
  done
}

capture_gotest() {
  local base v
  for v in "" "-v" "-json"; do
    base="gotest-timeout${v}"
    log "go test $base"
    (cd "$SCEN/gotest-timeout" && timeout 120s "$GO" test -count=1 $v -timeout 2s .) >"$OUT/$base.txt" 2>&1
    local rc=$?
    write_meta "$OUT/$base.meta" "scenario=gotest-timeout" "variant=${v#-}" \
      "command=go test -count=1${v:+ $v} -timeout 2s ." "go=$GOVERSION" "exit=$rc" "stream=stdout+stderr"
    # With -json the panic is a JSON string: `"Output":"panic: test timed out after 2s\n"`.
    grep -q '^panic: test timed out after 2s\|"Output":"panic: test timed out after 2s' "$OUT/$base.txt" ||
      warn "go$VER: $base: no timeout panic"
    check "$OUT/$base.txt" none "$rc"
  done
}

DEADLOCKS=(unbuffered-send abba rwmutex-upgrade waitgroup-never-done select-no-cases
  mutex-across-channel nil-channel cond-signal-first range-never-closed
  early-return-unlock wait-before-drain recursive-lock lock-in-caller
  ring-of-mutexes generic-inline embedded-lock-leak continue-skips-unlock typed-fields-cycle
  helper-methods lock-handoff cond-under-lock unlock-in-helper relock-with-waiters once-cycle
  fast-path-return leaked-rlock queued-writer-cycle getter-lock-channel deep-recursion)
SELFDUMPS=(leak-timeout healthy-pool timer-drain stuck-copy-lock shared-mutex-copies stuck-copy-closure waitgroup-copies)
# Self-dumping scenarios that write the goroutineleak profile: Go 1.27+ only
# (always registered there; 1.26 needs a GOEXPERIMENT).
LEAKDUMPS=(leaked-instance-lock)

for VER in "${VERSIONS[@]}"; do
  VER="${VER#go}"
  GO="$("$ROOT/scripts/install-go.sh" "$VER")" || { warn "go$VER: install failed"; continue; }
  GOVERSION="$("$GO" env GOVERSION)"
  OUT="$CAPT/go$VER"
  BIN="$TMP/bin-$VER"
  if [ -n "${ONLY:-}" ]; then
    # ONLY="a b" scripts/capture.sh: (re)capture just these deadlock or
    # self-dumping scenarios (`gotest`: the go test timeout captures), leaving
    # every other capture of the version as it is.
    mkdir -p "$OUT" "$BIN"
    for s in $ONLY; do
      if [ "$s" = gotest ]; then
        capture_gotest
      elif [ "$s" = testprogcgo ]; then
        capture_testprogcgo
      elif [ "$s" = cgo-crash ]; then
        CGO_ENABLED=1 build cgo-crash && NOCOUNT=1 run_capture cgo-crash cgo-crash sigsegv ""
      elif [[ " ${SELFDUMPS[*]} " == *" $s "* ]]; then
        build "$s" && run_capture "$s" "$s" exit0 ""
      elif [[ " ${LEAKDUMPS[*]} " == *" $s "* ]]; then
        ver_ge "$VER" 1.27 && build "$s" && run_capture "$s" "$s" exit0 ""
      else
        build "$s" && run_capture "$s" "$s" deadlock ""
      fi
    done
    continue
  fi
  rm -rf "$OUT"
  mkdir -p "$OUT" "$BIN"
  log "using $GO ($GOVERSION)"

  for s in "${DEADLOCKS[@]}"; do
    build "$s" && run_capture "$s" "$s" deadlock ""
  done
  if build ancestors; then
    run_capture ancestors ancestors deadlock "GODEBUG=tracebackancestors=5"
  fi
  for s in "${SELFDUMPS[@]}"; do
    build "$s" && run_capture "$s" "$s" exit0 ""
  done
  if ver_ge "$VER" 1.27; then
    for s in "${LEAKDUMPS[@]}"; do
      build "$s" && run_capture "$s" "$s" exit0 ""
    done
  fi
  if build labels; then
    run_capture labels labels exit0 ""
    run_capture labels labels-tracebacklabels exit0 "GODEBUG=tracebacklabels=1"
    run_capture labels labels-pprof-debug1 exit0 "" -mode=pprof1
  fi
  if build runtime-stack; then
    run_capture runtime-stack runtime-stack exit0 "" -mode=all
    NOCOUNT=1 run_capture runtime-stack debug-stack exit0 "" -mode=debug
  fi
  if build panic-recovered; then
    NOCOUNT=1 run_capture panic-recovered panic-recovered panic "" -mode=wrap
    run_capture panic-recovered panic-recovered-all panic "GOTRACEBACK=all" -mode=wrap
    run_capture panic-recovered panic-recovered-repanic-all panic "GOTRACEBACK=all" -mode=repanic
  fi
  if build logs; then
    NOCOUNT=1 run_capture logs logs exit0 ""
  fi
  if build sigquit; then
    sigquit_capture sigquit sigquit-default ""
    sigquit_capture sigquit sigquit-all "GOTRACEBACK=all"
    sigquit_capture sigquit sigquit-system "GOTRACEBACK=system"
    sigquit_capture sigquit sigquit-crash "GOTRACEBACK=crash"
  fi
  if build server-partial-deadlock; then
    sigquit_capture server-partial-deadlock server-partial-deadlock-sigquit ""
    capture_pprof_http
  fi
  # A crash in C with a cgo symbolizer that names C frames `??` (needs a C compiler).
  if CGO_ENABLED=1 build cgo-crash; then
    NOCOUNT=1 run_capture cgo-crash cgo-crash sigsegv ""
  fi
  capture_gotest
  capture_testprog
  capture_testprogcgo
done

echo >&2
if [ ${#WARNINGS[@]} -gt 0 ]; then
  echo "${#WARNINGS[@]} warning(s):" >&2
  printf '  %s\n' "${WARNINGS[@]}" >&2
else
  echo "all captures look as expected" >&2
fi
