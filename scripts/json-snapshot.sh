#!/usr/bin/env bash
# Writes the JSON report of every capture under testdata/captured (dumps,
# pprof profiles and execution traces, every Go version and the capture
# matrix) to OUTDIR, once per way of running the engine:
#   src/      --source testdata/scenarios --source testdata/capture/inject
#   nosrc/    --no-source
#   stalled/  as src/, plus --stalled --why 1 (the timed-out paths and --why)
# Each report is FILE.json, its exit code and stderr FILE.rc. Two snapshots
# taken before and after a refactor must be byte-identical (`diff -r`).
#
# Usage: scripts/json-snapshot.sh OUTDIR [GOSTUCK_BINARY]
# (default binary: $CARGO_TARGET_DIR or target/, debug build; build it first)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:?usage: scripts/json-snapshot.sh OUTDIR [GOSTUCK_BINARY]}
bin=${2:-${CARGO_TARGET_DIR:-target}/debug/gostuck}
[ -x "$bin" ] || { echo "no binary at $bin (cargo build -p gostuck)" >&2; exit 2; }
if [ -e "$out" ]; then
  echo "$out exists; pick a new directory" >&2
  exit 2
fi
mkdir -p "$out"
bin=$(realpath "$bin")
out=$(realpath "$out")
export bin out

one() {
  local f=$1 variant args
  for variant in src nosrc stalled; do
    case $variant in
      src) args=(--source testdata/scenarios --source testdata/capture/inject) ;;
      nosrc) args=(--no-source) ;;
      stalled) args=(--source testdata/scenarios --source testdata/capture/inject --stalled --why 1) ;;
    esac
    local dst="$out/$variant/$f"
    mkdir -p "$(dirname "$dst")"
    local rc=0
    "$bin" analyze --format json --color never "${args[@]}" "$f" >"$dst.json" 2>"$dst.rc" || rc=$?
    echo "exit=$rc" >>"$dst.rc"
  done
}
export -f one

find testdata/captured -type f \( -name '*.txt' -o -name '*.pb.gz' -o -name '*.trace' \) -print0 |
  sort -z | xargs -0 -n 1 -P "${JOBS:-2}" bash -c 'one "$1"' _
n=$(find "$out" -name '*.json' | wc -l)
echo "$n reports in $out"
