#!/usr/bin/env bash
# Runs every benchmark on this machine after making sure Docker, the images and a build exist.
# Each prints its figures beside its baseline. Usage: bench/run.sh [name...]  (jobs events burst idle deploy stack api dashboard proxy backup compose-compat)
source "$(dirname "$0")/../scripts/lib.sh"
cd "$BERTH_ROOT"
ensure_node_modules
"$BERTH_ROOT/scripts/docker-up.sh" >/dev/null
"$BERTH_ROOT/scripts/images.sh" httpd demo caddy >/dev/null
"$BERTH_ROOT/scripts/browser.sh" >/dev/null
BERTH_TEST_DATABASE_URL=$("$BERTH_ROOT/scripts/postgres.sh" start)
export BERTH_TEST_DATABASE_URL
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(jobs events burst idle deploy stack api dashboard proxy backup compose-compat)
for n in "${names[@]}"; do
  [ -f "bench/$n.ts" ] || die "no benchmark '$n' (have: $(cd bench && ls *.ts | grep -v lib.ts | sed 's/\.ts$//' | tr '\n' ' '))"
  log "bench/$n.ts"
  npx tsx "bench/$n.ts"
done
