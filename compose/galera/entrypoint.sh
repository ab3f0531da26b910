#!/bin/sh
# Create the data directory if needed, then exec mariadbd with Galera settings (see Dockerfile).
set -eu
DATADIR=/var/lib/mysql
mkdir -p "$DATADIR" /run/mysqld
chown mysql:mysql "$DATADIR" /run/mysqld
if [ ! -d "$DATADIR/mysql" ]; then
  mariadb-install-db --user=mysql --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db >/dev/null
  # root from anywhere without a password: the cluster network is private and internal.
  # (init-file: one statement per line, or it is silently skipped)
  printf '%s\n' "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '';" \
    "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;" >/run/mysqld/init.sql
  set -- --init-file=/run/mysqld/init.sql "$@"
fi
if [ "${WSREP_ON:-1}" = 1 ]; then
  set -- --wsrep-on=ON --wsrep-provider=/usr/lib/galera/libgalera_smm.so --wsrep-sst-method=rsync \
    --binlog-format=ROW --default-storage-engine=InnoDB --innodb-autoinc-lock-mode=2 "$@"
fi
exec mariadbd --user=mysql --datadir="$DATADIR" --bind-address=0.0.0.0 --skip-name-resolve "$@"
