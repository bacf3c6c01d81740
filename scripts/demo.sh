#!/usr/bin/env bash
# From a fresh Debian machine with Node: install what is needed, start Berth on its embedded default
# (PGlite in ~/.berth, or BERTH_DATA_DIR), deploy the demo app, and print its URLs: its host port, and
# a host name served through Berth's routing proxy (DEMO_HOST, default demo.berth.test).
source "$(dirname "$0")/lib.sh"
cd "$BERTH_ROOT"

# port_busy PORT: something listens on it (any address, IPv4 or IPv6).
port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
# free_port PREFERRED FROM: PREFERRED when free, else the first free port from FROM (as Berth picks
# host ports for apps: the next free one).
free_port() {
  port_busy "$1" || { echo "$1"; return 0; }
  local p
  for ((p = $2; p < $2 + 1000; p++)); do port_busy "$p" || { echo "$p"; return 0; }; done
  die "no free port from $2"
}

ensure_node_modules
"$BERTH_ROOT/scripts/docker-up.sh"
"$BERTH_ROOT/scripts/images.sh" debian demo caddy
data_dir="${BERTH_DATA_DIR:-$HOME/.berth}"
http_port=$(free_port 80 8080)
https_port=$(free_port 443 8443)
# The proxy's image is built here (no registry needed); a running Berth keeps the ports it has.
BERTH_PROXY_IMAGE="${BERTH_PROXY_IMAGE:-local/caddy:2}" \
  "$BERTH_ROOT/bin/berth" up --detach --http-port "$http_port" --https-port "$https_port" | tee /tmp/berth-up.txt
dashboard=$(sed -n 's/^Berth is up at \([^ ]*\).*/\1\//p' /tmp/berth-up.txt)
rm -f /tmp/berth-up.txt
read -r http_port < <(node -e 'const i=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); console.log(i.proxy ? i.proxy.httpPort : process.argv[2])' "$data_dir/server.json" "$http_port")

host="${DEMO_HOST:-demo.berth.test}"
"$BERTH_ROOT/bin/berth" deploy --image local/berth-demo:1 --name demo --port 8080 --json >/tmp/berth-demo.json
url=$(node -e 'const o=JSON.parse(require("fs").readFileSync("/tmp/berth-demo.json","utf8")); console.log(o.urls[0])')
rm -f /tmp/berth-demo.json
# The same app at a host name, through the proxy (the first route starts it); waits until it serves.
# A second run finds the route there already.
"$BERTH_ROOT/bin/berth" domain ls --json \
  | node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8")); process.exit(o.domains.some((d) => d.host === process.argv[1]) ? 0 : 1)' "$host" \
  || "$BERTH_ROOT/bin/berth" domain add "$host" --stack demo --service demo --port 8080 --tls off
body=$(curl -fsS --retry 10 --retry-delay 1 --retry-all-errors "$url") || die "the demo app did not answer at $url"
log "the demo app answers: $body"
routed=(curl -sS --resolve "$host:$http_port:127.0.0.1" "http://$host:$http_port/")
body=$("${routed[@]}" --fail --retry 10 --retry-delay 1 --retry-all-errors) \
  || die "the proxy did not serve $host on port $http_port"
log "through the proxy, $host answers: $body"
echo
echo "Berth is running and the demo app is at: $url"
echo "and at http://$host/ through the routing proxy (port $http_port on this machine):"
echo "    ${routed[*]}"
echo "Dashboard: ${dashboard:-http://127.0.0.1:4780/}"
echo "  sign in as ${BERTH_ADMIN_EMAIL:-admin@berth.local} with the password 'berth up' printed above on its first"
echo "  start (or BERTH_ADMIN_PASSWORD when it was set then); other people: berth user create, berth org member"
echo "Try: bin/berth ps    bin/berth domain ls    bin/berth deploy --help    bin/berth down"
