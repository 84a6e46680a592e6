#!/usr/bin/env bash
# The whole test suite from a fresh clone on a fresh machine: installs what it needs (Debian packages, Node packages,
# Go tools, the real server for the end-to-end tests, all cached between runs), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc) # go test -race needs cgo
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

command -v go >/dev/null 2>&1 || { echo "Go is required (go1.25 or newer) and is not on PATH" >&2; exit 1; }
echo "==> $(go version), node $(node --version)"

echo "==> installing Node packages"
npm ci --no-audit --no-fund --loglevel=error

echo "==> type-checking"
npx tsc -p tsconfig.json --noEmit
npx tsc -p tsconfig.test.json

echo "==> running the tests"
npx vitest run "$@"
