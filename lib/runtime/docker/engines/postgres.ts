// PostgreSQL 15 (Debian) as primary and streaming replicas: n1 is the primary, every other node
// a hot-standby replica made by pg_basebackup from it (compose/postgres/entrypoint.sh). Writes
// succeed only on the primary; API nodes on replicas answer reads and refuse transfers (the
// database says "read-only transaction"), which is the honest picture of this architecture under
// the same test. There is no failover: while the primary is down, nothing can be written.
import type { DockerEngine, NodeAddress } from '../engine-spec.ts';

export interface PostgresOptions {
  isolation?: 'serializable' | 'repeatable read' | 'read committed';
  /** synchronous_commit on the primary: on (default; local WAL flush) or off (may lose the last commits on a crash). */
  synchronousCommit?: 'on' | 'off';
}

const PORT = 5432;

export function postgresReplicas(options: PostgresOptions = {}): DockerEngine {
  const isolation = options.isolation ?? 'serializable';
  const synchronousCommit = options.synchronousCommit ?? 'on';
  return {
    name: 'postgres',
    title: 'PostgreSQL 15 primary + streaming replicas (Debian)',
    imageContext: 'compose/postgres',
    imageTag: 'bankrun/postgres:15',
    dataPath: '/var/lib/postgresql/data',
    adapter: 'postgres',
    settings: {
      isolation,
      synchronous_commit: synchronousCommit,
      replication: 'asynchronous streaming; n1 is the primary, the others read-only replicas; no failover',
      'replica reads': isolation === 'serializable' ? 'repeatable read (a hot standby refuses serializable)' : isolation,
    },
    service: (node: NodeAddress, all: readonly NodeAddress[]) => ({
      command: ['-c', `synchronous_commit=${synchronousCommit}`, '-c', 'max_connections=100', '-c', 'fsync=on'],
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
    adapterConfig: (node) => ({
      url: `postgres://postgres@${node.ip}:${PORT}/postgres`,
      isolation: node.number > 1 && isolation === 'serializable' ? 'repeatable read' : isolation,
    }),
  };
}
