#!/usr/bin/env bash
# From a fresh Debian machine with Node: install what is needed, start Berth on its embedded default
# (PGlite in ~/.berth, or BERTH_DATA_DIR), deploy the demo app, and print its URL.
source "$(dirname "$0")/lib.sh"
cd "$BERTH_ROOT"

ensure_node_modules
"$BERTH_ROOT/scripts/docker-up.sh"
"$BERTH_ROOT/scripts/images.sh" debian demo
"$BERTH_ROOT/bin/berth" up --detach | tee /tmp/berth-up.txt
dashboard=$(sed -n 's/^Berth is up at \([^ ]*\).*/\1\//p' /tmp/berth-up.txt)
rm -f /tmp/berth-up.txt
"$BERTH_ROOT/bin/berth" deploy --image local/berth-demo:1 --name demo --port 8080 --json >/tmp/berth-demo.json
url=$(node -e 'const o=JSON.parse(require("fs").readFileSync("/tmp/berth-demo.json","utf8")); console.log(o.urls[0])')
rm -f /tmp/berth-demo.json
body=$(curl -fsS --retry 10 --retry-delay 1 --retry-all-errors "$url") || die "the demo app did not answer at $url"
log "the demo app answers: $body"
echo
echo "Berth is running and the demo app is at: $url"
echo "Dashboard: ${dashboard:-http://127.0.0.1:4780/}"
echo "  sign in as ${BERTH_ADMIN_EMAIL:-admin@berth.local} with the password 'berth up' printed above on its first"
echo "  start (or BERTH_ADMIN_PASSWORD when it was set then); other people: berth user create, berth org member"
echo "Try: bin/berth ps    bin/berth deploy --help    bin/berth down"
