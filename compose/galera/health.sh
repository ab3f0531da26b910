#!/bin/sh
# Healthy when the server answers and, with Galera on, the node is Synced and ready for queries
# (a joiner receiving state, a donor, or a node cut off from the primary component is not) in a
# component of at least GALERA_MIN_CLUSTER_SIZE nodes (default 1): a node that bootstrapped a
# cluster of its own instead of rejoining is then not healthy either.
set -eu
client() { mariadb --protocol=tcp -h 127.0.0.1 -u root --connect-timeout=2 -N -B -e "$1"; }
if [ "${WSREP_ON:-1}" != 1 ]; then
  client 'SELECT 1' >/dev/null
  exit 0
fi
state=$(client "SELECT GROUP_CONCAT(VARIABLE_VALUE ORDER BY VARIABLE_NAME SEPARATOR ' ') FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('WSREP_CLUSTER_SIZE', 'WSREP_LOCAL_STATE_COMMENT', 'WSREP_READY')")
# shellcheck disable=SC2086 # split "size state ready" into $1 $2 $3
set -- $state
if [ "$#" -ne 3 ] || [ "$2 $3" != 'Synced ON' ] || [ "$1" -lt "${GALERA_MIN_CLUSTER_SIZE:-1}" ]; then
  echo "not ready: cluster size, state, ready = $state"
  exit 1
fi
