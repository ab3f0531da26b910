// PostgreSQL 15 (Debian) as primary and streaming replicas: n1 is the primary, every other node
// a hot-standby replica made by pg_basebackup from it (compose/postgres/entrypoint.sh). Writes
// succeed only on the primary; API nodes on replicas answer reads and refuse transfers (the
// database says "read-only transaction"), which is the honest picture of this architecture under
// the same test. There is no failover: while the primary is down, nothing can be written.
import { postgresSettings } from '../../engine-settings.ts';
import type { DockerEngine, NodeAddress } from '../engine-spec.ts';

const PORT = 5432;

export function postgresReplicas(): DockerEngine {
  return {
    name: 'postgres',
    title: 'PostgreSQL 15 primary + streaming replicas (Debian)',
    imageContext: 'compose/postgres',
    image: 'bankrun/postgres:15',
    dataPath: '/var/lib/postgresql/data',
    memoryPerNodeMiB: 256,
    adapter: 'postgres',
    settings: postgresSettings,
    facts: {
      replication: 'asynchronous streaming; n1 is the primary, the others read-only replicas; no failover',
      'replica reads': 'at repeatable read when the isolation is serializable (a hot standby refuses serializable)',
    },
    freshReads: (_settings, routing) => routing === 'one'
      ? { fresh: true, why: 'every read goes to the primary, n1' }
      : { fresh: false, why: 'reads through n2… go to replicas, which apply the primary\'s WAL asynchronously' },
    // synchronous_commit is the adapter's, per session: it may change per cell.
    service: (node: NodeAddress, all: readonly NodeAddress[]) => ({
      command: ['-c', 'max_connections=100', '-c', 'fsync=on'],
      ...(node.number === 1 ? {} : { environment: { PG_PRIMARY: all[0]!.ip } }),
      healthcheck: {
        test: ['CMD', 'pg_isready', '-h', '127.0.0.1', '-U', 'postgres'],
        interval: '1s',
        timeout: '3s',
        retries: 120,
        start_period: '2s',
      },
    }),
    // A hot standby refuses SERIALIZABLE: replicas read at REPEATABLE READ (one snapshot).
    adapterConfig: (node, _all, settings) => ({
      url: `postgres://postgres@${node.ip}:${PORT}/postgres`,
      isolation: node.number > 1 && settings.isolation === 'serializable' ? 'repeatable-read' : settings.isolation!,
      synchronousCommit: settings.synchronousCommit!,
    }),
  };
}
