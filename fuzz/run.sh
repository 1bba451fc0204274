#!/usr/bin/env bash
# Seeds the fuzz corpora and runs every fuzz target, one after another.
#
# Usage: fuzz/run.sh [seconds-per-target] [target ...]
#   seconds defaults to 300; targets default to all of `cargo fuzz list`.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). It uses nightly-only flags;
# on a stable toolchain RUSTC_BOOTSTRAP=1 lets them through.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
SECS="${1:-300}"
shift || true
TARGETS=("$@")
cd "$HERE"
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz/run.sh: cargo-fuzz is missing (cargo install cargo-fuzz)" >&2
  exit 3
fi
mkdir -p target
# Inputs up to 16 KiB: twice read()'s 8 KiB detection window, small enough to
# keep executions fast (the readers work line by line; size adds little).
MAX_LEN="${MAX_LEN:-16384}"
# Memory is part of the contract (SECURITY.md: bounded in proportion to the
# input): a 16 KiB input that needs more than this is a finding, not noise.
# Inflating a gzip'd input is capped at 16 MiB + 32x (profiles) or 64 MiB +
# 128x (text) its size: one buffer may reach 128 MiB.
RSS_LIMIT_MB="${RSS_LIMIT_MB:-512}"
MALLOC_LIMIT_MB="${MALLOC_LIMIT_MB:-256}"
if [ ${#TARGETS[@]} -eq 0 ]; then
  mapfile -t TARGETS < <(cargo fuzz list)
fi

# put <file> <target>: copy under a content-addressed name, as libFuzzer names entries.
put() {
  local dir="$HERE/corpus/$2"
  mkdir -p "$dir"
  cp "$1" "$dir/$(sha1sum < "$1" | cut -c1-40)"
}

seed() {
  local f
  # Hand-made seeds (the small inline examples of the reader tests and docs).
  for t in traceback pprof_debug1 pprof_proto; do
    for f in "$HERE/seeds/$t"/*; do
      [ -f "$f" ] || continue
      put "$f" "$t"
      put "$f" read_bytes
    done
  done
  # Real dumps captured by scripts/capture.sh (not the execution traces and
  # scheduler traces captured next to them).
  [ -d "$ROOT/testdata/captured" ] || return 0
  while IFS= read -r -d '' f; do
    put "$f" read_bytes
    if [ "$(head -c2 "$f" | od -An -tx1 | tr -d ' \n')" = "1f8b" ]; then
      put "$f" pprof_proto
      local tmp
      tmp="$(mktemp)"
      if gzip -dc < "$f" > "$tmp" 2>/dev/null; then put "$tmp" pprof_proto; fi
      rm -f "$tmp"
    elif grep -qaE '^[A-Za-z0-9_]+ profile: total [0-9]+' "$f"; then
      put "$f" pprof_debug1
    else
      put "$f" traceback
    fi
  done < <(find "$ROOT/testdata/captured" -type f ! -name '*.meta' -size -64k \
             ! -path '*/traces/*' ! -path '*/sched/*' -print0)
  # Go source for the source target: the scenario programs (real Go, small).
  while IFS= read -r -d '' f; do
    put "$f" source
  done < <(find "$ROOT/testdata/scenarios" -name '*.go' -size -16k -print0)
  # Execution traces (every captured Go version, Go's synthetic tests, and
  # the Go 1.21 traces the reader must refuse) for the trace reader.
  for f in "$HERE/seeds/trace"/*; do
    [ -f "$f" ] && put "$f" trace
  done
  while IFS= read -r -d '' f; do
    put "$f" trace
  done < <(find "$ROOT/testdata/captured" -type f -name '*.trace' -print0)
}

seed
status=0
for t in "${TARGETS[@]}"; do
  echo "=== $t: ${SECS}s, corpus $(find "corpus/$t" -type f 2>/dev/null | wc -l) files"
  dict=()
  [ -f "dict/$t.dict" ] && dict=("-dict=dict/$t.dict")
  max_len="$MAX_LEN"
  # Traces are binary and a few KiB at the least.
  extra=()
  if [ "$t" = trace ]; then max_len="${TRACE_MAX_LEN:-65536}"; fi
  if ! cargo fuzz run "$t" "corpus/$t" -- \
      -max_total_time="$SECS" -max_len="$max_len" -use_value_profile=1 -timeout=10 -rss_limit_mb="$RSS_LIMIT_MB" -malloc_limit_mb="$MALLOC_LIMIT_MB" \
      "${extra[@]}" \
      -print_final_stats=1 "${dict[@]}" \
      2>&1 | tee "target/fuzz-$t.log" | grep -E '^(#[0-9]+ +(INITED|DONE)|Done |stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY|thread .* panicked|artifact_prefix|Test unit written)'
  then
    :
  fi
  if grep -q 'Test unit written' "target/fuzz-$t.log"; then
    echo "!!! $t found a failing input; see fuzz/artifacts/$t and target/fuzz-$t.log"
    status=1
  fi
done
exit $status
