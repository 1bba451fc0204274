# Shared by the bench/ scripts (source it after setting ROOT): finds the Go
# toolchain for benchmark data — $GO, the pinned .tools/go<ver> (GOSTUCK_BENCH_GO_VERSION,
# default 1.27.3), a go >= 1.22 on PATH, or installs the pinned one unless
# GOSTUCK_BENCH_NO_INSTALL=1.
find_go() {
  if [ -n "${GO:-}" ]; then echo "$GO"; return 0; fi
  local v="${GOSTUCK_BENCH_GO_VERSION:-1.27.3}" p
  for p in "$ROOT"/.tools/go"$v"/lib/python3*/site-packages/go/bin/go; do
    if [ -x "$p" ]; then echo "$p"; return 0; fi
  done
  if command -v go >/dev/null 2>&1; then
    case "$(go env GOVERSION 2>/dev/null)" in
      go1.2[2-9]*|go1.[3-9][0-9]*) command -v go; return 0 ;;
    esac
  fi
  if [ "${GOSTUCK_BENCH_NO_INSTALL:-0}" != 1 ] && [ -x "$ROOT/scripts/install-go.sh" ]; then
    "$ROOT/scripts/install-go.sh" "$v" && return 0
  fi
  return 1
}
