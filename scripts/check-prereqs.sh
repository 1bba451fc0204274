#!/usr/bin/env bash
# What a fresh machine most often lacks for scripts/test.sh, said at once and
# before anything is built or downloaded (README, "Prerequisites").
# Exit status 0 when everything is there, 2 with the list otherwise.
set -uo pipefail

missing=()
command -v cargo >/dev/null 2>&1 || missing+=("cargo (Rust 1.88 or later: https://rustup.rs)")
if command -v cargo >/dev/null 2>&1; then
  cargo fmt --version >/dev/null 2>&1 || missing+=("rustfmt (rustup component add rustfmt)")
  cargo clippy --version >/dev/null 2>&1 || missing+=("clippy (rustup component add clippy)")
fi
# scripts/install-go.sh makes a venv per Go toolchain; Debian's python3 has no
# venv/ensurepip without the python3-venv package.
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
  missing+=("python3 with venv (Debian/Ubuntu: apt-get install python3-venv)")

if [ ${#missing[@]} -gt 0 ]; then
  echo "missing prerequisites:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 2
fi
