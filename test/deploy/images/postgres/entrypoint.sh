#!/bin/bash
# First start: a cluster with POSTGRES_USER as its superuser (password auth over TCP) and
# POSTGRES_DB; every start: PostgreSQL in the foreground as user postgres (PID 1, so `docker
# stop` reaches it; SIGINT is its fast shutdown).
set -euo pipefail
: "${POSTGRES_USER:=postgres}" "${POSTGRES_PASSWORD:?}" "${POSTGRES_DB:=$POSTGRES_USER}"
as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups)
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  chown postgres "$pwfile"
  "${as_postgres[@]}" initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 > /dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  "${as_postgres[@]}" pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start > /dev/null
  "${as_postgres[@]}" psql -U "$POSTGRES_USER" -d postgres -v ON_ERROR_STOP=1 -qc "create database \"$POSTGRES_DB\""
  "${as_postgres[@]}" pg_ctl -D "$PGDATA" -m fast -w stop > /dev/null
fi
exec "${as_postgres[@]}" postgres -D "$PGDATA" -c listen_addresses='*'
