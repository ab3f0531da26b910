// MariaDB 10.11 + Galera 4 from Debian, N nodes. n1 starts a new cluster, the others join it
// through gcomm:// with every node's address. n1 bootstraps only from a new data directory (the
// image's entrypoint decides, GALERA_NEW_CLUSTER=1): killed and restarted with its volume, n1
// rejoins the running cluster like any other node instead of splitting off a second cluster.
// A node is healthy only when Synced and ready in a majority component, so bring-up and restarts
// wait for state transfer, and a node that started a cluster of its own never passes.
//
// Galera's failure detection keeps its defaults (evs.suspect_timeout 5 s, evs.inactive_timeout
// 15 s): a killed node stalls commits until it is suspected, and its restart is admitted only
// after the old instance is declared inactive, so a rejoin takes about 15 s from the kill.
import { galeraSettings } from '../../engine-settings.ts';
import type { DockerEngine, NodeAddress } from '../engine-spec.ts';

const SQL_PORT = 3306;

export function galera(): DockerEngine {
  return {
    name: 'galera',
    title: 'MariaDB 10.11 + Galera 4 (Debian)',
    imageContext: 'compose/galera',
    image: 'bankrun/galera:10.11',
    dataPath: '/var/lib/mysql',
    memoryPerNodeMiB: 512,
    adapter: 'galera',
    settings: galeraSettings,
    facts: {
      'reads and audits': 'causal (wsrep_sync_wait = 1)',
      replication: 'Galera synchronous certification; SST by rsync',
    },
    freshReads: () => ({ fresh: true, why: 'a read first waits until its node applied what the cluster committed before it (wsrep_sync_wait = 1)' }),
    service: (node, all, settings) => ({
      // The image's entrypoint passes these to mariadbd, after its own wsrep settings.
      command: [
        `--wsrep-cluster-address=gcomm://${all.map((n) => n.ip).join(',')}`,
        `--wsrep-node-address=${node.ip}`,
        `--wsrep-node-name=${node.name}`,
        '--wsrep-cluster-name=bankrun',
        // The adapter sets it again on every connection (it may change per cell).
        `--innodb-flush-log-at-trx-commit=${settings.flushLogAtTrxCommit}`,
        // A small gcache (default 128 MiB, preallocated per node) still holds far more than a
        // run's writes, so a restarted node catches up by IST.
        '--wsrep-provider-options=gcache.size=32M',
      ],
      environment: {
        // Healthy only in a majority component: an n1 that bootstrapped alone again would not be.
        GALERA_MIN_CLUSTER_SIZE: String(Math.floor(all.length / 2) + 1),
        ...(node.number === 1 ? { GALERA_NEW_CLUSTER: '1' } : {}),
      },
      healthcheck: {
        test: ['CMD', 'bankrun-galera-health'],
        interval: '1s',
        timeout: '3s',
        retries: 180,
        start_period: '2s',
      },
    }),
    adapterConfig: (node: NodeAddress, _all, settings) => ({
      host: node.ip,
      port: String(SQL_PORT),
      isolation: settings.isolation!,
      forUpdate: settings.forUpdate!,
      flushLogAtTrxCommit: settings.flushLogAtTrxCommit!,
    }),
  };
}
