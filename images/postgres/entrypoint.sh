#!/bin/sh
# Initializes PGDATA on first start. The superuser password comes from a file (a Docker secret),
# never from an environment variable.
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="${POSTGRES_PASSWORD_FILE:-}"
  if [ -n "$pwfile" ]; then
    initdb -D "$PGDATA" -U postgres --auth-host=scram-sha-256 --auth-local=peer --pwfile="$pwfile" >/dev/null
  else
    initdb -D "$PGDATA" -U postgres --auth-host=reject --auth-local=peer >/dev/null
  fi
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
fi
exec "$@"
