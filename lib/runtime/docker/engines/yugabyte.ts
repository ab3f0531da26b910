// YugabyteDB (YSQL), N nodes, from the official image (pulled, pinned), each started by
// yugabyted in the foreground. n1 starts the universe; every other node joins it by n1's address
// once n1's YSQL answers (a join to a node that is not up yet fails). A restarted node finds its
// base_dir (and its conf, which knows the masters) on its volume and starts without --join: a
// join to an n1 that is down or cut off would refuse to start (yugabyte-db#20684). The socket
// lock files of a killed postgres are removed first: the container's /tmp survives a restart
// (yugabyte-db#11377). Replication factor 3 from three nodes on (yugabyted's default). Read
// committed is enabled on every tserver so that --isolation read-committed is the real thing.
// Known risk, not seen here: n1's tserver may keep only n1's master address (yugabyte-db#24659).
// https://docs.yugabyte.com/stable/reference/configuration/yugabyted/
import { yugabyteSettings } from '../../engine-settings.ts';
import type { DockerEngine, NodeAddress } from '../engine-spec.ts';

export const YUGABYTE_IMAGE = 'yugabytedb/yugabyte:2025.2.3.0-b149';
const YSQL_PORT = 5433;
const HOME = '/home/yugabyte';
const PG_ISREADY = `${HOME}/postgres/bin/pg_isready`;

export function yugabyte(): DockerEngine {
  return {
    name: 'yugabyte',
    title: 'YugabyteDB 2025.2.3.0 (YSQL)',
    image: YUGABYTE_IMAGE,
    dataPath: `${HOME}/yb_data`,
    memoryPerNodeMiB: 2048,
    adapter: 'yugabyte',
    settings: yugabyteSettings,
    facts: {
      replication: 'Raft per tablet, replication factor 3; a tablet leader serves its rows',
    },
    freshReads: () => ({ fresh: true, why: 'reads go to tablet leaders (no follower reads configured)' }),
    service: (node, all) => ({
      entrypoint: ['/bin/sh', '-c'],
      command: [startScript(node, all[0]!)],
      healthcheck: {
        test: ['CMD', PG_ISREADY, '-h', node.ip, '-p', String(YSQL_PORT)],
        interval: '1s',
        timeout: '3s',
        retries: 240,
        start_period: '10s',
      },
      memLimit: '2g',
    }),
    adapterConfig: (node, _all, settings) => ({
      url: `postgres://yugabyte@${node.ip}:${YSQL_PORT}/yugabyte`,
      isolation: settings.isolation!,
    }),
  };
}

/** yugabyted in the foreground; on its first start, a joining node waits for n1's YSQL and joins it. */
export function startScript(node: NodeAddress, first: NodeAddress): string {
  const firstStart = node.number === 1
    ? 'J='
    : `J=\nif [ ! -f ${HOME}/yb_data/conf/yugabyted.conf ]; then\n` +
      `  until ${PG_ISREADY} -h ${first.ip} -p ${YSQL_PORT} >/dev/null 2>&1; do sleep 1; done\n` +
      `  J=--join=${first.ip}\nfi`;
  return `rm -rf /tmp/.yb.*\n${firstStart}\n` +
    `exec ${HOME}/bin/yugabyted start --base_dir=${HOME}/yb_data --background=false ` +
    `--advertise_address=${node.ip} $J --ui=false ` +
    `--tserver_flags=yb_enable_read_committed_isolation=true`;
}
