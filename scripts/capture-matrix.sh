#!/usr/bin/env bash
# Capture the same stuck state of every scenario program in every way users
# capture a stuck Go program, with real Go toolchains.
#
# Usage: scripts/capture-matrix.sh [--versions "1.21.13 1.27.3"] [scenario ...]
#        (defaults: 1.21.13 1.22.10 1.24.11 1.27.3, every applicable scenario)
#
# Each scenario is copied to a temp dir together with
# testdata/capture/inject/zz_gostuck_capture.go (and _test.go), built once with
# `go build` and once with `go test -c`, and run once per way:
#
#   native             plain run: the runtime's deadlock report, or the
#                      program's own runtime.Stack dump (self-dumping
#                      scenarios), or SIGQUIT with the default GOTRACEBACK
#                      (live programs, which never end by themselves)
#   sigquit            GOTRACEBACK=all, SIGQUIT once stuck (+1s); the injected
#                      heartbeat ticker keeps global deadlocks alive
#   watchdog           runtime.Stack(all) from a goroutine in user code, logged
#                      to stderr, exit 1
#   pprof-debug2/1/0   net/http/pprof on 127.0.0.1 (plus heartbeat), fetched
#                      with ONE curl run (one keep-alive connection);
#   goroutineleak-debug2/1   Go 1.27+ only, fetched after the goroutine ones
#   testmain-watchdog  main() run from TestProgram; TestMain's watchdog dumps
#   gotest-timeout     the same test binary with -test.timeout=3s
#
# Output (a version's folder is rewritten only for scenarios given/applicable):
#   testdata/captured/matrix/go<ver>/<scenario>/<way>.txt|.pb.gz + <way>.meta
#   (meta: scenario, way, command, go, exit, stream; a way that cannot apply
#   has only a .meta with skipped=<reason>)
#
# Self-dumping scenarios would dump themselves and exit before an outside
# capture: their $GOSTUCK_NUMGOROUTINE file is a named pipe nobody reads, so
# main blocks in its write (in a syscall) just before its own dump and stays
# there while the capture is taken.
#
# The pprof way's binary is built with -tags gostuck_pprof (the only one that
# imports net: a cgo-linked binary never reports a global deadlock).
#
# Needs bash, coreutils, curl, mkfifo. Servers listen on 127.0.0.1 only; every
# process runs with a timeout and is killed by PID on exit.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCEN="$ROOT/testdata/scenarios"
INJECT="$ROOT/testdata/capture/inject"
OUTROOT="$ROOT/testdata/captured/matrix"
INSTALL_GO="${INSTALL_GO:-$ROOT/scripts/install-go.sh}"

VERSIONS=(1.21.13 1.22.10 1.24.11 1.27.3)
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --versions) read -r -a VERSIONS <<<"$2"; shift 2 ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done

# Scenarios that end in the runtime's "all goroutines are asleep" report.
DEADLOCKS=(unbuffered-send abba rwmutex-upgrade waitgroup-never-done select-no-cases
  mutex-across-channel nil-channel cond-signal-first range-never-closed
  early-return-unlock wait-before-drain recursive-lock lock-in-caller
  ring-of-mutexes generic-inline embedded-lock-leak continue-skips-unlock typed-fields-cycle
  helper-methods lock-handoff cond-under-lock unlock-in-helper relock-with-waiters once-cycle
  fast-path-return leaked-rlock queued-writer-cycle getter-lock-channel ancestors)
# Scenarios that dump themselves with runtime.Stack (or, leaked-instance-lock,
# the goroutineleak profile) and exit 0.
SELFDUMPS=(leak-timeout healthy-pool timer-drain stuck-copy-lock shared-mutex-copies
  stuck-copy-closure waitgroup-copies leaked-instance-lock runtime-stack labels)
# Live programs: never end by themselves (the issue-13 ones too: partial
# deadlocks, leaks and their healthy twins, as scripts/capture.sh's LIVE_SIGQUIT).
LIVE=(sigquit server-partial-deadlock
  fanout-abandoned-results rpc-reply-timeout fanout-healthy
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
# Not plain stuck programs (also listed in testdata/README.md):
#   gotest-hang, gotest-timeout   have their own _test.go; captured by capture.sh via go test
#   schedtrace                    a scheduler-trace workload, not a stuck state
#   leaky-server                  leaks one goroutine per tick forever: no fixed state to compare
#   logs                          its point is two dumps written through log.Print
#   panic-recovered               ends in a panic; its point is the panic chain format

export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOWORK=off
unset GOTRACEBACK GODEBUG GOEXPERIMENT GOROOT GOSTUCK_CAPTURE GOSTUCK_CAPTURE_DELAY
ulimit -c 0

TMP="$(mktemp -d "${TMPDIR:-/tmp}/gostuck-matrix.XXXXXX")"
PIDS="$TMP/pids" # one PID per line, of every process started in the background
: >"$PIDS"
cleanup() {
  local p
  while read -r p; do
    [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
  done <"$PIDS"
  sleep 0.2
  while read -r p; do
    [ -n "$p" ] && kill -KILL "$p" 2>/dev/null
  done <"$PIDS"
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

WARNF="$TMP/warnings"
: >"$WARNF"
warn() { echo "WARN: $*" >&2; echo "$*" >>"$WARNF"; }
log() { echo "[$VER] $*" >&2; }
ver_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
contains() { local x="$1"; shift; [[ " $* " == *" $x "* ]]; }

kind_of() {
  if contains "$1" "${DEADLOCKS[@]}"; then echo deadlock
  elif contains "$1" "${SELFDUMPS[@]}"; then echo selfdump
  elif contains "$1" "${LIVE[@]}"; then echo live
  else echo none; fi
}

# meta FILE key=value...
meta() {
  local f="$1" kv; shift
  : >"$f"
  for kv in "$@"; do printf '%s\n' "$kv" >>"$f"; done
}

# wait_file FILE SECONDS: wait until FILE exists (non-empty)
wait_file() {
  local i
  for i in $(seq 1 $(( $2 * 10 ))); do
    [ -s "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# bg OUT ENV... -- CMD...: start CMD in the background (stdout+stderr to OUT);
# sets BGPID.
bg() {
  local out="$1"; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" "$@" >"$out" 2>&1 &
  BGPID=$!
  echo "$BGPID" >>"$PIDS"
}

# stop PID SIG: send SIG, wait (max 15s) for the process to end; sets RC.
stop() {
  kill -"$2" "$1" 2>/dev/null
  local i
  for i in $(seq 1 150); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$1" 2>/dev/null && { warn "$CTX: pid $1 still alive after SIG$2; killing"; kill -KILL "$1" 2>/dev/null; }
  { wait "$1"; } 2>/dev/null
  RC=$?
}

# fg OUT SECONDS ENV... -- CMD...: run to completion with a timeout; sets RC.
fg() {
  local out="$1" secs="$2"; shift 2
  bg "$out" "$@"
  local pid=$BGPID i
  for i in $(seq 1 $(( secs * 10 ))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$CTX: timed out after ${secs}s"
    kill -KILL "$pid" 2>/dev/null
  fi
  { wait "$pid"; } 2>/dev/null
  RC=$?
}

# check FILE PATTERN: the capture must contain PATTERN (grep -E)
check() {
  [ -s "$1" ] || { warn "$CTX: $(basename "$1") is empty"; return; }
  case "$1" in *.pb.gz) return ;; esac
  grep -qE "$2" "$1" || warn "$CTX: $(basename "$1"): no /$2/"
  local sz; sz=$(wc -c <"$1")
  [ "$sz" -lt 204800 ] || warn "$CTX: $(basename "$1") is $sz bytes"
}

# Per-scenario run environment ("as the user had it" for the plain captures).
scenario_env() {
  case "$1" in
    ancestors) echo "GODEBUG=tracebackancestors=5" ;;
  esac
}

# count FILE (regular) or FIFO (self-dumps hold before their own dump) for way W
count_path() {
  local s="$1" way="$2" p
  p="$W/count.$way"
  rm -f "$p"
  if [ "$(kind_of "$s")" = selfdump ] && [ "$way" != native ]; then
    mkfifo "$p"
  fi
  echo "$p"
}

way_native() {
  local s="$1" exe="$2" out="$D/native.txt" cnt senv
  cnt=$(count_path "$s" native); senv=$(scenario_env "$s")
  case "$(kind_of "$s")" in
    deadlock)
      fg "$out" 20 GOSTUCK_NUMGOROUTINE="$cnt" $senv -- "$exe"
      meta "$D/native.meta" "scenario=$s" "way=native" "command=${senv:+$senv }./$s" \
        "go=$GOVERSION" "exit=$RC" "stream=stdout+stderr"
      check "$out" '^fatal error: all goroutines are asleep' ;;
    selfdump)
      if [ "$s" = leaked-instance-lock ] && ! ver_ge "$VER" 1.27; then
        meta "$D/native.meta" "scenario=$s" "way=native" "go=$GOVERSION" \
          "skipped=its own dump is the goroutineleak profile (Go 1.27+)"
        return
      fi
      fg "$out" 20 GOSTUCK_NUMGOROUTINE="$cnt" $senv -- "$exe"
      meta "$D/native.meta" "scenario=$s" "way=native" "command=${senv:+$senv }./$s" \
        "go=$GOVERSION" "exit=$RC" "stream=stdout+stderr"
      check "$out" '^goroutine [0-9]+ ' ;;
    live)
      bg "$out" GOSTUCK_NUMGOROUTINE="$cnt" $senv -- "$exe"
      local pid=$BGPID
      wait_file "$cnt" 10 || warn "$CTX: native: never stuck"
      sleep 1
      stop "$pid" QUIT
      meta "$D/native.meta" "scenario=$s" "way=native" \
        "command=${senv:+$senv }./$s & (once stuck, +1s) kill -QUIT \$!" \
        "go=$GOVERSION" "exit=$RC" "stream=stdout+stderr"
      check "$out" '^SIGQUIT: quit' ;;
  esac
}

way_sigquit() {
  local s="$1" exe="$2" out="$D/sigquit.txt" cnt senv
  cnt=$(count_path "$s" sigquit); senv=$(scenario_env "$s")
  bg "$out" GOSTUCK_NUMGOROUTINE="$cnt" GOSTUCK_CAPTURE=sigquit GOSTUCK_CAPTURE_READY="$W/ready.sigquit" \
    GOTRACEBACK=all $senv -- "$exe"
  local pid=$BGPID
  wait_file "$W/ready.sigquit" 20 || warn "$CTX: sigquit: never ready"
  stop "$pid" QUIT
  meta "$D/sigquit.meta" "scenario=$s" "way=sigquit" \
    "command=GOSTUCK_CAPTURE=sigquit GOTRACEBACK=all ${senv:+$senv }./$s & (once stuck, +1s) kill -QUIT \$!" \
    "go=$GOVERSION" "exit=$RC" "stream=stdout+stderr"
  check "$out" '^SIGQUIT: quit'
}

way_watchdog() {
  local s="$1" exe="$2" out="$D/watchdog.txt" cnt senv
  cnt=$(count_path "$s" watchdog); senv=$(scenario_env "$s")
  fg "$out" 20 GOSTUCK_NUMGOROUTINE="$cnt" GOSTUCK_CAPTURE=watchdog $senv -- "$exe"
  meta "$D/watchdog.meta" "scenario=$s" "way=watchdog" \
    "command=GOSTUCK_CAPTURE=watchdog ${senv:+$senv }./$s" \
    "go=$GOVERSION" "exit=$RC" "stream=stdout+stderr"
  check "$out" '^watchdog: no progress'
}

way_pprof() {
  local s="$1" exe="$2" cnt senv
  cnt=$(count_path "$s" pprof); senv=$(scenario_env "$s")
  bg "$TMP/pprof.$VER.$s.log" GOSTUCK_NUMGOROUTINE="$cnt" GOSTUCK_CAPTURE=pprof \
    GOSTUCK_CAPTURE_READY="$W/ready.pprof" $senv -- "$exe"
  local pid=$BGPID port
  if ! wait_file "$W/ready.pprof" 20; then
    warn "$CTX: pprof: never ready: $(head -c 300 "$TMP/pprof.$VER.$s.log")"
    stop "$pid" KILL
    return
  fi
  port=$(tr -dc 0-9 <"$W/ready.pprof")
  local base="http://127.0.0.1:$port/debug/pprof" args=() ways=(debug2 debug1 debug0)
  args+=("$base/goroutine?debug=2" -o "$D/pprof-debug2.txt"
         "$base/goroutine?debug=1" -o "$D/pprof-debug1.txt"
         "$base/goroutine?debug=0" -o "$D/pprof-debug0.pb.gz")
  if ver_ge "$VER" 1.27; then
    args+=("$base/goroutineleak?debug=2" -o "$D/goroutineleak-debug2.txt"
           "$base/goroutineleak?debug=1" -o "$D/goroutineleak-debug1.txt")
  fi
  curl -sS --fail --noproxy '*' --max-time 30 "${args[@]}" 2>"$W/curl.err" ||
    warn "$CTX: curl failed: $(cat "$W/curl.err")"
  stop "$pid" KILL
  local f way prof d
  for f in pprof-debug2.txt pprof-debug1.txt pprof-debug0.pb.gz goroutineleak-debug2.txt goroutineleak-debug1.txt; do
    [ -f "$D/$f" ] || continue
    way="${f%%.*}"; d="${way##*debug}"
    case "$way" in goroutineleak-*) prof=goroutineleak ;; *) prof=goroutine ;; esac
    meta "$D/$way.meta" "scenario=$s" "way=$way" \
      "command=GOSTUCK_CAPTURE=pprof ${senv:+$senv }./$s & (once stuck, +1s) curl http://127.0.0.1:PORT/debug/pprof/$prof?debug=$d" \
      "go=$GOVERSION" "exit=" "stream=http-body"
    case "$d" in 2) check "$D/$f" '^goroutine [0-9]+ ' ;; 1) check "$D/$f" "^$prof profile: total" ;; 0) check "$D/$f" . ;; esac
  done
}

way_testmain() {
  local s="$1" tbin="$2" out="$D/testmain-watchdog.txt" cnt senv
  cnt=$(count_path "$s" testmain); senv=$(scenario_env "$s")
  fg "$out" 20 GOSTUCK_NUMGOROUTINE="$cnt" GOSTUCK_CAPTURE=testmain-watchdog $senv -- "$tbin" -test.run='^TestProgram$'
  meta "$D/testmain-watchdog.meta" "scenario=$s" "way=testmain-watchdog" \
    "command=GOSTUCK_CAPTURE=testmain-watchdog ${senv:+$senv }./$s.test -test.run=^TestProgram\$ (go test -c)" \
    "go=$GOVERSION" "exit=$RC" "stream=stdout+stderr"
  check "$out" '^watchdog: no progress'
}

way_gotest_timeout() {
  local s="$1" tbin="$2" out="$D/gotest-timeout.txt" cnt senv
  cnt=$(count_path "$s" gotest); senv=$(scenario_env "$s")
  fg "$out" 30 GOSTUCK_NUMGOROUTINE="$cnt" $senv -- "$tbin" -test.run='^TestProgram$' -test.timeout=3s
  meta "$D/gotest-timeout.meta" "scenario=$s" "way=gotest-timeout" \
    "command=${senv:+$senv }./$s.test -test.run=^TestProgram\$ -test.timeout=3s (go test -c)" \
    "go=$GOVERSION" "exit=$RC" "stream=stdout+stderr"
  check "$out" 'panic: test timed out after 3s'
}

# capture_scenario NAME: build and capture every way (ways run in parallel).
capture_scenario() {
  local s="$1"
  CTX="go$VER $s"
  W="$TMP/work-$VER/$s"          # scratch: count files, ready files
  local src="$TMP/src-$VER/$s" bin="$TMP/bin-$VER"
  D="$OUTROOT/go$VER/$s"
  rm -rf "$W" "$src" "$D"
  mkdir -p "$W" "$bin" "$(dirname "$src")" "$D"
  cp -r "$SCEN/$s" "$src"
  cp "$INJECT"/zz_gostuck_capture*.go "$src/"
  if ! (cd "$src" && "$GO" build -o "$bin/$s" . && "$GO" build -tags gostuck_pprof -o "$bin/$s.pprof" . &&
        "$GO" test -c -o "$bin/$s.test" .) >"$W/build.log" 2>&1; then
    warn "$CTX: build failed: $(head -c 400 "$W/build.log")"
    return
  fi
  log "$s"
  way_native "$s" "$bin/$s" &
  way_sigquit "$s" "$bin/$s" &
  way_watchdog "$s" "$bin/$s" &
  way_pprof "$s" "$bin/$s.pprof" &
  way_testmain "$s" "$bin/$s.test" &
  way_gotest_timeout "$s" "$bin/$s.test" &
  wait
}

if [ ${#ARGS[@]} -gt 0 ]; then
  SCENARIOS=("${ARGS[@]}")
else
  SCENARIOS=("${DEADLOCKS[@]}" "${SELFDUMPS[@]}" "${LIVE[@]}")
fi
for s in "${SCENARIOS[@]}"; do
  [ "$(kind_of "$s")" = none ] && { echo "$s: not a matrix scenario (see the list in $0)" >&2; exit 2; }
done

for VER in "${VERSIONS[@]}"; do
  VER="${VER#go}"
  GO="$("$INSTALL_GO" "$VER")" || { warn "go$VER: install failed"; continue; }
  GOVERSION="$("$GO" env GOVERSION)"
  log "using $GO ($GOVERSION)"
  for s in "${SCENARIOS[@]}"; do
    capture_scenario "$s"
  done
done

echo >&2
if [ -s "$WARNF" ]; then
  echo "$(wc -l <"$WARNF") warning(s):" >&2
  sed 's/^/  /' "$WARNF" >&2
else
  echo "all captures look as expected" >&2
fi
