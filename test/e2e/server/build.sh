#!/usr/bin/env bash
# Builds the real Vault server that the end-to-end tests run, from source through the Go module proxy (no prebuilt
# binary is needed), and caches it by version. Prints the binary's absolute path alone on stdout; everything else
# goes to stderr.
#
#   bash test/e2e/server/build.sh            the newest server the generated plugins support (this folder)
#   bash test/e2e/server/build.sh oldest     the oldest one (test/e2e/server/oldest/)
#   bash test/e2e/server/build.sh oldest --cached-path
#                                            print where that binary is cached, build nothing (it may not be there)
#
# Cache: ${CVP_SERVER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/create-vault-plugin/server}/vault-<version>/vault
# A cached binary is reused as it is; the key is the Vault version in go.mod, so after changing only a replace line
# delete that folder. The binary is built into a temporary folder beside it and renamed into place, so an interrupted
# build never leaves a broken cache. A cold build downloads ~500 modules and compiles for a long while: it prints a
# line every CVP_SERVER_PROGRESS_SECONDS (30) seconds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
case "${1:-newest}" in
  newest) ;;
  oldest) here="$here/oldest" ;;
  *) printf 'build.sh: error: unknown server %s (expected newest or oldest)\n' "$1" >&2; exit 2 ;;
esac
name=vault
module=github.com/hashicorp/vault
interval="${CVP_SERVER_PROGRESS_SECONDS:-30}"

log() { printf 'build.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

version="$(awk -v m="$module" '{ for (i = 1; i < NF; i++) if ($i == m) { print $(i + 1); exit } }' "$here/go.mod")"
[[ -n $version ]] || die "no requirement on $module in $here/go.mod"

cache_root="${CVP_SERVER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/create-vault-plugin/server}"
mkdir -p "$cache_root/$name-$version"
dir="$(cd "$cache_root/$name-$version" && pwd -P)"
binary="$dir/$name"

if [[ ${2:-} == --cached-path || -x $binary ]]; then
  printf '%s\n' "$binary"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "go is not on PATH; Go 1.25 or later is needed to build the test server"

# One build at a time per version (parallel test workers would otherwise each start one on the same machine).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dir/.lock"
  if ! flock -n 9; then
    log "another build of $name $version is running; waiting for it"
    flock 9
  fi
  if [[ -x $binary ]]; then
    printf '%s\n' "$binary"
    exit 0
  fi
  # Left by a build that was killed outright; nothing else can be using them while we hold the lock.
  rm -rf "$dir"/.tmp.*
fi

tmp="$(mktemp -d "$dir/.tmp.XXXXXX")"
start=$SECONDS
ticker=''
child=''

elapsed() {
  local s=$((SECONDS - start))
  printf '%dm%02ds' $((s / 60)) $((s % 60))
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
    kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  if [[ -n $ticker ]]; then
    kill "$ticker" 2>/dev/null || true
    wait "$ticker" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Progress: a background loop that says which phase is running. It waits with `read -t` on a FIFO that it holds
# open itself, so there is no `sleep` child to outlive it and keep the caller's stderr pipe open.
mkfifo "$tmp/tick"
printf 'starting\n' >"$tmp/phase"
(
  trap - EXIT INT TERM
  while :; do
    read -r -t "$interval" <>"$tmp/tick" && continue
    [[ -d $tmp ]] || exit 0
    log "still $(cat "$tmp/phase" 2>/dev/null || true) ($(elapsed) elapsed)"
  done
) &
ticker=$!

# Runs a go command in the background, in a process group of its own, and waits for it, so that INT/TERM are
# handled at once: cleanup stops the whole group (go and the compile/link processes it started).
run_go() {
  local group=()
  command -v setsid >/dev/null 2>&1 && group=(setsid)
  (cd "$here" && exec ${group[@]+"${group[@]}"} go "$@") >&2 &
  child=$!
  wait "$child"
  child=''
}

export CGO_ENABLED=0
# go's own work folder goes under $tmp too, so that a stopped build leaves nothing behind in /tmp.
mkdir "$tmp/gotmp"
export GOTMPDIR="$tmp/gotmp"

log "building $name $version into $dir (a cold build takes several minutes)"
printf 'downloading modules\n' >"$tmp/phase"
t0=$SECONDS
run_go mod download
log "modules downloaded in $((SECONDS - t0))s"

printf 'compiling %s %s\n' "$name" "$version" >"$tmp/phase"
t0=$SECONDS
run_go build -mod=readonly -trimpath -buildvcs=false -ldflags='-s -w' -o "$tmp/$name" .
log "compiled in $((SECONDS - t0))s"

"$tmp/$name" version >/dev/null 2>&1 || die "the built binary does not run: $tmp/$name"
chmod 0755 "$tmp/$name"
mv -f "$tmp/$name" "$binary"
log "done in $(elapsed): $binary"
printf '%s\n' "$binary"
