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
//
// Healthy means more than YSQL answering: yugabyted makes the universe with replication factor 1
// and raises it to 3 only when the third node joins, so a node is healthy once its YSQL answers,
// the universe's replication factor is 3 (1 on one node; yb-admin get_universe_config) and all N tablet
// servers are ALIVE (yb-admin list_all_tablet_servers). yb-admin is given every node's master
// port: which nodes run a master depends on the order they joined, and it finds the leader among
// those that answer. The bank's own tables are checked by the adapter: its setup returns only once
// every tablet of them has replicationFactor copies (adapters/yugabyte.ts).
// https://docs.yugabyte.com/stable/admin/yb-admin/#get-universe-config
// https://docs.yugabyte.com/stable/admin/yb-admin/#list-all-tablet-servers
//
// Memory: the container keeps 2 GiB (three nodes and their API nodes, 6.4 GiB, fit Docker
// Desktop's default 8 GiB), and the servers get hard limits that fit in it, since their defaults
// are fractions of the RAM they detect (tserver 85 %, master 10 %, or the smart defaults' split),
// which need not be the container's limit: tserver 768 MiB, master 384 MiB (only on the nodes that
// run one), which leaves 896 MiB for YSQL (the postmaster, its background workers and up to
// poolMax = 10 bank backends; a fresh YSQL backend took 66 MB in yugabyte-db#13544) and
// yugabyted itself. Tight: a real run's `docker stats` settles whether it holds under load.
// https://docs.yugabyte.com/stable/reference/configuration/yb-tserver/#memory-division-flags
// https://docs.yugabyte.com/stable/reference/configuration/smart-defaults/
import { yugabyteSettings } from '../../engine-settings.ts';
import type { DockerEngine, NodeAddress } from '../engine-spec.ts';

export const YUGABYTE_IMAGE = 'yugabytedb/yugabyte:2025.2.3.0-b149';
const YSQL_PORT = 5433;
const MASTER_RPC_PORT = 7100;
const HOME = '/home/yugabyte';
const PG_ISREADY = `${HOME}/postgres/bin/pg_isready`;
const YB_ADMIN = `${HOME}/bin/yb-admin`;
const MIB = 2 ** 20;
/** The container's memory limit, and memory_limit_hard_bytes of each server within it. */
export const MEMORY = { containerMiB: 2048, tserverMiB: 768, masterMiB: 384 } as const;

/** yugabyted's replication factor at N nodes: 3 once the third node joined, 1 before. */
export function replicationFactor(nodes: number): number {
  return nodes >= 3 ? 3 : 1;
}

export function yugabyte(): DockerEngine {
  return {
    name: 'yugabyte',
    title: 'YugabyteDB 2025.2.3.0 (YSQL)',
    image: YUGABYTE_IMAGE,
    dataPath: `${HOME}/yb_data`,
    memoryPerNodeMiB: MEMORY.containerMiB,
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
        test: ['CMD', '/bin/sh', '-c', healthScript(node, all)],
        interval: '2s',
        timeout: '10s',
        retries: 150,
        start_period: '10s',
      },
      memLimit: `${MEMORY.containerMiB}m`,
    }),
    adapterConfig: (node, all, settings) => ({
      url: `postgres://yugabyte@${node.ip}:${YSQL_PORT}/yugabyte`,
      isolation: settings.isolation!,
      replicationFactor: String(replicationFactor(all.length)),
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
    `--master_flags=memory_limit_hard_bytes=${MEMORY.masterMiB * MIB} ` +
    `--tserver_flags=yb_enable_read_committed_isolation=true,memory_limit_hard_bytes=${MEMORY.tserverMiB * MIB}`;
}

/**
 * This node's YSQL answers, the universe's replication factor is what N nodes give, and all N
 * tablet servers are ALIVE. Each yb-admin call gives up after 3 s, within the check's 10 s.
 */
export function healthScript(node: NodeAddress, all: readonly NodeAddress[]): string {
  const admin = `${YB_ADMIN} --master_addresses ${all.map((n) => `${n.ip}:${MASTER_RPC_PORT}`).join(',')} --timeout_ms 3000`;
  return `${PG_ISREADY} -q -h ${node.ip} -p ${YSQL_PORT} && ` +
    `${admin} get_universe_config | grep -Eq '"numReplicas": ?${replicationFactor(all.length)}([^0-9]|$)' && ` +
    `[ "$(${admin} list_all_tablet_servers | grep -c ' ALIVE ')" -ge ${all.length} ]`;
}
