#!/bin/sh
# Initialise $PGDATA if needed, then exec postgres as user postgres (see Dockerfile).
set -eu
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "${PG_PRIMARY:-}" ]; then
    until runuser -u postgres -- pg_basebackup -h "$PG_PRIMARY" -U postgres -D "$PGDATA" -R -X stream; do
      echo "bankrun-postgres: waiting for primary $PG_PRIMARY"; rm -rf "$PGDATA"/*; sleep 1
    done
  else
    runuser -u postgres -- initdb -D "$PGDATA" -U postgres --auth=trust >/dev/null
    echo "host all all all trust" >>"$PGDATA/pg_hba.conf"
    echo "host replication all all trust" >>"$PGDATA/pg_hba.conf"
  fi
fi
exec runuser -u postgres -- postgres -D "$PGDATA" -c listen_addresses='*' "$@"
