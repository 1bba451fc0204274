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
    exit2)
      [ "$exit" = 2 ] || warn "go$VER: $(basename "$f"): exit $exit, expected 2"
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
  # Programs whose request goroutines come and go get no count: it would
  # not be the count of the goroutines in the dump.
  local cl=""
  [[ " ${CHURN[*]} " == *" $name "* ]] || cl="$(count_line "$cnt")"
  write_meta "$OUT/$base.meta" "scenario=$name" "variant=$(variant_of "$name" "$base")" "command=$cmd" \
    "go=$GOVERSION" "exit=$BGRC" "stream=stdout+stderr" "$cl"
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

# stop_bg_term: SIGTERM to BGPID (the programs exit 0 on it), wait (max 15s); sets BGRC
stop_bg_term() {
  kill -TERM "$BGPID" 2>/dev/null
  local i
  for i in $(seq 1 150); do
    kill -0 "$BGPID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$BGPID" 2>/dev/null; then
    warn "go$VER: pid $BGPID did not exit after SIGTERM; killing"
    kill -KILL "$BGPID" 2>/dev/null
  fi
  { wait "$BGPID"; } 2>/dev/null
  BGRC=$?
}

# stacks_endpoint_capture NAME: a server whose own /debug/stacks handler writes
# runtime.Stack(buf, true); the capture is the HTTP body fetched after ~1s.
stacks_endpoint_capture() {
  local name="$1" logf="$TMP/$1.log" cnt="$TMP/count.$1" out="$OUT/$1.txt"
  log "stacks endpoint $name"
  start_bg "$name" "$logf" "$cnt" ""
  local port
  if ! port=$(wait_for_port "$logf"); then
    warn "go$VER: $name did not print its port"
    stop_bg_term
    return
  fi
  sleep 1
  curl -sS --fail --noproxy '*' --max-time 30 "http://127.0.0.1:$port/debug/stacks" -o "$out" 2>"$TMP/curl.err" ||
    warn "go$VER: $name: curl failed: $(cat "$TMP/curl.err")"
  stop_bg_term
  write_meta "$OUT/$name.meta" "scenario=$name" "variant=" \
    "command=./$name & curl http://127.0.0.1:PORT/debug/stacks" \
    "go=$GOVERSION" "exit=" "stream=http-body" "$(count_line "$cnt")"
  check "$out" none 0
  grep -q '^goroutine .*\[running\]:' "$out" || warn "go$VER: $name: no goroutine dump in the response"
}

# usr1_capture NAME: a program whose own SIGUSR1 handler writes
# runtime.Stack(buf, true) to stderr; SIGUSR1 after ~1s, then SIGTERM (exit 0).
usr1_capture() {
  local name="$1" out="$OUT/$1.txt" cnt="$TMP/count.$1"
  log "sigusr1 $name"
  start_bg "$name" "$out" "$cnt" ""
  sleep 1
  kill -USR1 "$BGPID" 2>/dev/null
  local i
  for i in $(seq 1 100); do
    grep -q '^=== end of goroutine dump ===$' "$out" && break
    sleep 0.1
  done
  stop_bg_term
  write_meta "$OUT/$name.meta" "scenario=$name" "variant=" \
    "command=./$name & sleep 1; kill -USR1 \$!; kill -TERM \$!" \
    "go=$GOVERSION" "exit=$BGRC" "stream=stdout+stderr" "$(count_line "$cnt")"
  check "$out" exit0 "$BGRC"
  grep -q '^=== end of goroutine dump ===$' "$out" || warn "go$VER: $name: no SIGUSR1 dump"
}

# gotest_hang_capture NAME BASE MARKER ARGS...: `go test ARGS` in
# scenarios/NAME, which hangs until its -timeout panics or its TestMain
# watchdog dumps; MARKER is the line that dump starts with.
gotest_hang_capture() {
  local name="$1" base="$2" marker="$3"; shift 3
  log "go test $base"
  (cd "$SCEN/$name" && timeout 120s "$GO" test "$@" .) >"$OUT/$base.txt" 2>&1
  local rc=$?
  write_meta "$OUT/$base.meta" "scenario=$name" "variant=$(variant_of "$name" "$base")" \
    "command=go test $* ." "go=$GOVERSION" "exit=$rc" "stream=stdout+stderr"
  grep -q "^$marker" "$OUT/$base.txt" || warn "go$VER: $base: no '$marker' dump"
  check "$OUT/$base.txt" none "$rc"
}

# capture_live NAME: the issue-13 scenarios of live programs, each the way its
# README section says it is dumped. Returns 1 for a name that is not one.
capture_live() {
  local s="$1"
  if [[ " ${LIVE_SIGQUIT[*]} " == *" $s "* ]]; then
    build "$s" && sigquit_capture "$s" "$s" "GOTRACEBACK=all"
  elif [[ " ${WATCHDOGS[*]} " == *" $s "* ]]; then
    # The same stuck state by SIGQUIT too, with the watchdog held off.
    build "$s" && run_capture "$s" "$s" exit2 "" &&
      sigquit_capture "$s" "$s-sigquit" "GOTRACEBACK=all WATCHDOG_STALL=1h"
  elif [[ " ${STACKS_ENDPOINTS[*]} " == *" $s "* ]]; then
    build "$s" && stacks_endpoint_capture "$s" &&
      sigquit_capture "$s" "$s-sigquit" "GOTRACEBACK=all"
  elif [[ " ${USR1_DUMPS[*]} " == *" $s "* ]]; then
    build "$s" && usr1_capture "$s" &&
      sigquit_capture "$s" "$s-sigquit" "GOTRACEBACK=all"
  elif [ "$s" = gotest-subtest-chan ]; then
    gotest_hang_capture "$s" "$s" 'panic: test timed out after ' -count=1 -timeout 2s
  elif [[ " ${TESTMAIN_WATCHDOGS[*]} " == *" $s "* ]]; then
    # The TestMain watchdog fires after 1s; -timeout 500ms panics first.
    gotest_hang_capture "$s" "$s" 'tests still running after ' -count=1
    gotest_hang_capture "$s" "$s-timeout" 'panic: test timed out after ' -count=1 -timeout 500ms
  elif [ "$s" = gotest-parallel-fatal-lock ]; then
    # -parallel 2: the same number of running subtests on every machine.
    gotest_hang_capture "$s" "$s" 'panic: test timed out after ' -count=1 -parallel 2 -timeout 2s
  else
    return 1
  fi
  return 0 # a failed build or capture has already warned
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
# Live programs for issue 13 (capture_live): SIGQUIT with GOTRACEBACK=all after
# ~1s; dumps by the program's own code (a watchdog that exits 2, a
# /debug/stacks handler, a SIGUSR1 handler); go test hangs.
LIVE_SIGQUIT=(fanout-abandoned-results rpc-reply-timeout fanout-healthy
  semaphore-upload-leak token-bucket-leak semaphore-saturated-healthy
  broker-select-forever broker-dead-subscriber daemon-signal-ctx daemon-signal-stuck
  cache-refresh-early-return session-sweeper-break cache-slow-refresh-healthy
  pubsub-select-forever broker-stuck-subscriber
  config-reload-watcher-gone config-reload-on-demand-healthy
  conn-pool-lock-helper-leak conn-pool-lock-helper-healthy
  job-panic-recovered-lock job-panic-recovered-healthy
  ingest-producer-gone ingest-producer-polling-healthy
  settle-poll-lock-cycle settle-poll-admin-healthy
  pipeline-stage-lock-leak pipeline-stage-lock-healthy
  registry-refresh-lock-leak registry-refresh-healthy
  pipeline-nil-results pipeline-results-healthy
  pool-grow-results-gone pool-grow-healthy
  batcher-flush-orphaned batcher-flush-healthy)
# Live programs that start and end goroutines while they are dumped.
CHURN=(rpc-reply-timeout fanout-healthy)
WATCHDOGS=(watchdog-orphaned-mutex)
STACKS_ENDPOINTS=(stacks-endpoint-full-queue stacks-endpoint-healthy)
USR1_DUMPS=(sigusr1-unclosed-batch sigusr1-healthy)
GOTEST_HANGS=(gotest-subtest-chan gotest-parallel-fatal-lock)
# go test whose TestMain watchdog writes runtime.Stack(all) after 1s, exit 3.
TESTMAIN_WATCHDOGS=(testmain-watchdog-full-channel testmain-watchdog-slow-test)

for VER in "${VERSIONS[@]}"; do
  VER="${VER#go}"
  GO="$("$ROOT/scripts/install-go.sh" "$VER")" || { warn "go$VER: install failed"; continue; }
  GOVERSION="$("$GO" env GOVERSION)"
  OUT="$CAPT/go$VER"
  BIN="$TMP/bin-$VER"
  if [ -n "${ONLY:-}" ]; then
    # ONLY="a b" scripts/capture.sh: (re)capture just these deadlock,
    # self-dumping or live (capture_live) scenarios (`gotest`: the go test
    # timeout captures of scenarios/gotest-timeout), leaving
    # every other capture of the version as it is.
    mkdir -p "$OUT" "$BIN"
    for s in $ONLY; do
      if [ "$s" = gotest ]; then
        capture_gotest
      elif capture_live "$s"; then
        :
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
  for s in "${LIVE_SIGQUIT[@]}" "${WATCHDOGS[@]}" "${STACKS_ENDPOINTS[@]}" \
           "${USR1_DUMPS[@]}" "${GOTEST_HANGS[@]}" "${TESTMAIN_WATCHDOGS[@]}"; do
    capture_live "$s"
  done
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
