#!/bin/sh
# Healthy when the server answers and, with Galera on, the node is Synced and ready for queries
# (a joiner receiving state, a donor, or a node cut off from the primary component is not).
set -eu
client() { mariadb --protocol=tcp -h 127.0.0.1 -u root --connect-timeout=2 -N -B -e "$1"; }
if [ "${WSREP_ON:-1}" != 1 ]; then
  client 'SELECT 1' >/dev/null
  exit 0
fi
state=$(client "SELECT GROUP_CONCAT(VARIABLE_VALUE ORDER BY VARIABLE_NAME SEPARATOR ' ') FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('WSREP_LOCAL_STATE_COMMENT', 'WSREP_READY')")
[ "$state" = 'Synced ON' ] || { echo "not synced: $state"; exit 1; }
