# Shared helpers for Berth's shell scripts. Sourced, not executed.
set -euo pipefail

BERTH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BERTH_ROOT

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt_install PKG...: installs the Debian packages that are missing, once per run.
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  if [ -z "${BERTH_APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null
    export BERTH_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_node_modules: npm ci when node_modules is missing or older than the lock file.
ensure_node_modules() {
  local stamp="$BERTH_ROOT/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$BERTH_ROOT/package-lock.json" -nt "$stamp" ]; then
    log "installing npm dependencies"
    (cd "$BERTH_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -f "$BERTH_ROOT/dist/cli/main.js" ] || [ ! -f "$BERTH_ROOT/dist/web/index.html" ] ||
    [ -n "$(find "$BERTH_ROOT/src" -newer "$BERTH_ROOT/dist/cli/main.js" -print -quit)" ] ||
    [ -n "$(find "$BERTH_ROOT/web" -newer "$BERTH_ROOT/dist/web/index.html" -print -quit)" ]; then
    log "building"
    (cd "$BERTH_ROOT" && npm run -s build)
  fi
}

docker_ready() { timeout 5 docker info >/dev/null 2>&1; }
