#!/usr/bin/env bash
# A throwaway PostgreSQL server (Debian's package) for tests and trying DATABASE_URL.
#   postgres.sh start   start it (idempotent) and print its DATABASE_URL
#   postgres.sh stop    stop it
#   postgres.sh restart stop and start it again (fault tests)
# BERTH_PG_DIR (default /tmp/berth-pg) and BERTH_PG_PORT (default 55432) choose where.
source "$(dirname "$0")/lib.sh"

DIR=${BERTH_PG_DIR:-/tmp/berth-pg}
PORT=${BERTH_PG_PORT:-55432}
URL="postgres://berth:berth@127.0.0.1:$PORT/berth"

bin_dir() {
  local d; d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] || { apt_install postgresql >&2; d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1); }
  echo "$d"
}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start() {
  local bin; bin=$(bin_dir)
  id postgres >/dev/null 2>&1 || apt_install postgresql >&2
  if [ ! -s "$DIR/PG_VERSION" ]; then
    mkdir -p "$DIR" && chown postgres: "$DIR" 2>/dev/null || true
    local pw; pw=$(mktemp); echo berth >"$pw"; chmod 644 "$pw"
    as_pg "$bin/initdb" -D "$DIR" -U berth --pwfile="$pw" --auth=scram-sha-256 >/dev/null
    rm -f "$pw"
  fi
  if ! as_pg "$bin/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null
  fi
  PGPASSWORD=berth "$bin/psql" -h 127.0.0.1 -p "$PORT" -U berth -d postgres -tAc "select 1 from pg_database where datname='berth'" | grep -q 1 ||
    PGPASSWORD=berth "$bin/psql" -h 127.0.0.1 -p "$PORT" -U berth -d postgres -qc "create database berth" >/dev/null
  echo "$URL"
}

stop() {
  local bin; bin=$(bin_dir)
  [ -s "$DIR/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$DIR" -m fast stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  *) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
