#!/bin/sh
# Create the data directory if needed, then exec mariadbd with Galera settings (see Dockerfile).
set -eu
DATADIR=/var/lib/mysql
mkdir -p "$DATADIR" /run/mysqld
chown mysql:mysql "$DATADIR" /run/mysqld
NEW_DATADIR=0
if [ ! -d "$DATADIR/mysql" ]; then
  NEW_DATADIR=1
  mariadb-install-db --user=mysql --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db >/dev/null
  # root from anywhere without a password: the cluster network is private and internal.
  # (init-file: one statement per line, or it is silently skipped)
  printf '%s\n' "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '';" \
    "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;" >/run/mysqld/init.sql
  set -- --init-file=/run/mysqld/init.sql "$@"
fi

# After a crash grastate.dat says seqno -1: recover the last committed position from InnoDB (what
# galera_recovery does under systemd), so that the node can rejoin by IST instead of a full SST.
recovered_position() {
  mariadbd --user=mysql --datadir="$DATADIR" --wsrep-recover --log-error=/run/mysqld/recover.log "$@" >/dev/null 2>&1 || true
  sed -n 's/.*WSREP: Recovered position: *//p' /run/mysqld/recover.log | tail -n 1
}

if [ "${WSREP_ON:-1}" = 1 ]; then
  set -- --wsrep-on=ON --wsrep-provider=/usr/lib/galera/libgalera_smm.so --wsrep-sst-method=rsync \
    --binlog-format=ROW --default-storage-engine=InnoDB --innodb-autoinc-lock-mode=2 "$@"
  # GALERA_NEW_CLUSTER=1 starts a new cluster only from a new data directory: the same node
  # restarted with its data joins the running cluster instead of splitting off a second one.
  if [ "${GALERA_NEW_CLUSTER:-0}" = 1 ] && [ "$NEW_DATADIR" = 1 ]; then
    set -- "$@" --wsrep-new-cluster
  elif grep -q '^seqno: *-1' "$DATADIR/grastate.dat" 2>/dev/null; then
    position=$(recovered_position "$@")
    if [ -n "$position" ]; then set -- "$@" --wsrep-start-position="$position"; fi
  fi
fi
exec mariadbd --user=mysql --datadir="$DATADIR" --bind-address=0.0.0.0 --skip-name-resolve "$@"
