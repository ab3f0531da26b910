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
import type { DockerEngine, NodeAddress } from '../engine-spec.ts';

export type GaleraIsolation = 'REPEATABLE READ' | 'SERIALIZABLE' | 'READ COMMITTED';
export type FlushLogAtTrxCommit = 0 | 1 | 2;

export interface GaleraOptions {
  /** Transaction isolation of the transfers (default REPEATABLE READ, InnoDB's default). */
  isolation?: GaleraIsolation;
  /** Whether a transfer reads both accounts with SELECT … FOR UPDATE (default true). */
  forUpdate?: boolean;
  /** innodb_flush_log_at_trx_commit: 1 (default) fsyncs the redo log on every commit. */
  flushLogAtTrxCommit?: FlushLogAtTrxCommit;
}

const SQL_PORT = 3306;

const FLUSH_MEANING: Record<FlushLogAtTrxCommit, string> = {
  1: 'redo log written and fsynced on every commit',
  2: 'redo log written on every commit, fsynced about once a second',
  0: 'redo log written and fsynced about once a second',
};

export function galera(options: GaleraOptions = {}): DockerEngine {
  const isolation = options.isolation ?? 'REPEATABLE READ';
  const forUpdate = options.forUpdate ?? true;
  const flush = options.flushLogAtTrxCommit ?? 1;
  return {
    name: 'galera',
    title: 'MariaDB 10.11 + Galera 4 (Debian)',
    imageContext: 'compose/galera',
    imageTag: 'bankrun/galera:10.11',
    dataPath: '/var/lib/mysql',
    adapter: 'galera',
    settings: {
      isolation,
      'transfer reads': forUpdate ? 'SELECT … FOR UPDATE (both accounts, in id order)' : 'plain SELECT (no row locks)',
      'innodb_flush_log_at_trx_commit': `${flush} (${FLUSH_MEANING[flush]})`,
      'reads and audits': 'causal (wsrep_sync_wait = 1)',
      replication: 'Galera synchronous certification; SST by rsync',
    },
    service: (node, all) => ({
      // The image's entrypoint passes these to mariadbd, after its own wsrep settings.
      command: [
        `--wsrep-cluster-address=gcomm://${all.map((n) => n.ip).join(',')}`,
        `--wsrep-node-address=${node.ip}`,
        `--wsrep-node-name=${node.name}`,
        '--wsrep-cluster-name=bankrun',
        `--innodb-flush-log-at-trx-commit=${flush}`,
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
    adapterConfig: (node: NodeAddress) => ({
      host: node.ip,
      port: String(SQL_PORT),
      isolation,
      forUpdate: String(forUpdate),
    }),
  };
}
