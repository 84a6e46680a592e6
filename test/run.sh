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

if [ $# -gt 0 ]; then
  echo "==> building the test server (cached after the first time)"
  bash test/e2e/server/build.sh >/dev/null
  echo "==> running the tests"
  npx vitest run "$@"
else
  # The tiers, arranged so the two cores never wait: the real Vault server the end-to-end tests run is built from
  # its Go module in the background (cached by version after the first time; a cold build takes 15 to 20 minutes on
  # two cores and logs progress every 30 s) while the unit tier runs, then the go tier runs beside the adversarial
  # tier (short CLI runs, no Go), and the server tier starts once the server is there. dist/ is bundled once, first;
  # the background logs are shown when their work ends.
  echo "==> bundling"
  node scripts/bundle.mjs
  export CVP_TEST_BUNDLED=1
  logs="$(mktemp -d)"
  # Under set -e a failing command here would become the script's exit status: the background builds may be gone.
  trap '{ [ -z "${oldest:-}" ] || kill -- -"$oldest"; } 2>/dev/null || true; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$logs"' EXIT
  echo "==> building the test server in the background (cached after the first time)"
  ( bash test/e2e/server/build.sh >"$logs/server.log" 2>&1; echo $? >"$logs/server.rc" ) &
  server=$!
  # Two builds too long for a cold run's budget follow it at the lowest priority, in a process group of their own so
  # they can be stopped: the oldest supported server, then the goreleaser the generated projects pin (for the release
  # tier). Each goes as far as the time the tiers leave; the Go build cache keeps what was compiled for the next run.
  goreleaser_version="$(node -p "require('./templates/versions.json').tools.goreleaser")"
  goreleaser_dir="${XDG_CACHE_HOME:-$HOME/.cache}/create-vault-plugin/tools/goreleaser-$goreleaser_version"
  if [ ! -x "$(bash test/e2e/server/build.sh oldest --cached-path)" ] || [ ! -x "$goreleaser_dir/goreleaser" ]; then
    setsid bash -c 'while [ ! -e "$1/server.rc" ]; do sleep 5; done
      nice -n 19 bash test/e2e/server/build.sh oldest >"$1/oldest.log" 2>&1
      mkdir -p "$2" && GOBIN="$2" CGO_ENABLED=0 exec nice -n 19 go install "github.com/goreleaser/goreleaser/v2@$3" >"$1/goreleaser.log" 2>&1' \
      _ "$logs" "$goreleaser_dir" "$goreleaser_version" &
    oldest=$!
  fi
  echo "==> unit tier"
  npx vitest run --project unit
  echo "==> adversarial tier (log shown at the end) beside the go tier"
  ( npx vitest run --project adversarial >"$logs/fast.log" 2>&1; echo $? >"$logs/fast.rc" ) &
  fast=$!
  set +e
  npx vitest run --project go
  go_rc=$?
  wait "$server"
  echo "==> test server:"
  cat "$logs/server.log"
  server_rc="$(cat "$logs/server.rc")"
  if [ "$server_rc" -eq 0 ]; then
    echo "==> server tier"
    npx vitest run --project server
    server_tier_rc=$?
  else
    echo "==> the test server did not build; the server tier cannot run"
    server_tier_rc=1
  fi
  wait "$fast"
  # The oldest supported server's tier, when its low-priority build has finished (in this run or an earlier one); the
  # build is stopped after the release tier when it has not (the Go build cache keeps what it compiled, so the next
  # run goes on from there); `npm run test:oldest` runs the tier on demand.
  oldest_rc=0
  if [ -x "$(bash test/e2e/server/build.sh oldest --cached-path)" ]; then
    echo "==> oldest-server tier (the end-to-end tests but the cluster's, against the oldest supported Vault)"
    CVP_SERVER=oldest npx vitest run --project server test/e2e --exclude test/e2e/cluster.test.ts
    oldest_rc=$?
  else
    echo "==> oldest-server tier: SKIPPED this run, its server is not built yet (cold cache; a build at low priority went"
    echo "    as far as the other tiers left time, and the next run goes on from there). Run: npm run test:oldest"
  fi
  # The release tier: a real goreleaser snapshot of a generated project (test/snapshot.test.ts), when goreleaser is built.
  release_rc=0
  if [ -x "$goreleaser_dir/goreleaser" ]; then
    echo "==> release tier (a goreleaser $goreleaser_version snapshot of a generated project)"
    npx vitest run --project release
    release_rc=$?
  else
    echo "==> release tier: SKIPPED this run, goreleaser $goreleaser_version is not built yet (cold cache; built at low"
    echo "    priority while the tiers ran, and the next run goes on from there). Run: npm run test:release"
  fi
  [ -n "${oldest:-}" ] && kill -- -"$oldest" 2>/dev/null
  set -e
  echo "==> adversarial tier:"
  cat "$logs/fast.log"
  fast_rc="$(cat "$logs/fast.rc")"
  unset CVP_TEST_BUNDLED
  [ "$fast_rc" -eq 0 ] && [ "$go_rc" -eq 0 ] && [ "$server_tier_rc" -eq 0 ] && [ "$oldest_rc" -eq 0 ] && [ "$release_rc" -eq 0 ] || exit 1
fi

# A second Node in the matrix: the newest LTS line runs the tests of what differs between Node versions (start-up
# and the compile cache, signals, the terminal, the packed package); the Go suites do not depend on Node.
if [ $# -eq 0 ]; then
  node24_version=24.21.0
  case "$(uname -m)" in x86_64) node24_arch=x64 ;; aarch64) node24_arch=arm64 ;; *) node24_arch="" ;; esac
  if [ -n "$node24_arch" ]; then
    node24_dir="${XDG_CACHE_HOME:-$HOME/.cache}/create-vault-plugin/node-v$node24_version"
    node24="$node24_dir/node_modules/node-linux-$node24_arch/bin/node"
    if [ ! -x "$node24" ]; then
      echo "==> installing Node $node24_version for the second test pass"
      mkdir -p "$node24_dir"
      echo '{ "private": true }' >"$node24_dir/package.json"
      npm install --prefix "$node24_dir" --no-audit --no-fund --loglevel=error "node-linux-$node24_arch@$node24_version"
    fi
    # node24 first on PATH, so bins started through their #!/usr/bin/env node line run on it too.
    echo "==> running the Node-facing tests again on node $("$node24" --version)"
    PATH="$(dirname "$node24"):$PATH" "$node24" node_modules/vitest/vitest.mjs run test/cli.test.ts test/catalog.test.ts test/compile-cache.test.ts test/interrupt.test.ts \
      test/interactive.test.ts test/package.test.ts test/golden.test.ts test/render.test.ts test/schema.test.ts \
      test/answers.test.ts test/write.test.ts test/ui.test.ts test/habits.test.ts test/runner.test.ts test/progress.test.ts test/register.test.ts \
      test/adversarial/targets.test.ts test/adversarial/inputs.test.ts test/adversarial/output.test.ts
  fi
fi
