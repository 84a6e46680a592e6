#!/usr/bin/env bash
# The whole test suite from a fresh clone on a fresh machine: installs what it needs (Debian packages, Node packages,
# Go tools, the real server for the end-to-end tests, all cached between runs), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc) # go test -race needs cgo
command -v psql >/dev/null 2>&1 || need_apt+=(postgresql-client) # the end-to-end database test logs in as the issued user
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

# The real Vault server the end-to-end tests run: built from its Go module once per machine (a cold build takes
# 10 to 20 minutes on two cores and prints a progress line every 30 s), then cached by version.
echo "==> building the test server (cached after the first time)"
bash test/e2e/server/build.sh >/dev/null

echo "==> running the tests"
npx vitest run "$@"
