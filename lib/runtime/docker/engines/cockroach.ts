// CockroachDB, N nodes, from the official image (pulled, pinned). Every node starts with
// --join naming the first three, and a one-shot `cockroach init` forms the cluster ("already
// initialized" counts as done, so a re-run is harmless); then the same container sets the
// default zone's num_replicas (--replicas) and enables REPEATABLE READ so that every isolation
// flag means what it says. A node is healthy when /health?ready=1 answers 200: it is part of the
// cluster and can serve SQL. A killed node restarts with its store volume and the same address.
// https://www.cockroachlabs.com/docs/stable/cockroach-start
// https://www.cockroachlabs.com/docs/stable/monitoring-and-alerting#health-ready-1
//
// Licence: CockroachDB Software License; a multi-node cluster without a licence key runs for a
// grace period, which a test cluster made and removed per run never reaches.
import { cockroachSettings } from '../../engine-settings.ts';
import type { DockerEngine, NodeAddress } from '../engine-spec.ts';

export const COCKROACH_IMAGE = 'cockroachdb/cockroach:v25.4.13';
const SQL_PORT = 26257;
const RPC_PORT = 26357;
const HTTP_PORT = 8080;
const BINARY = '/cockroach/cockroach';

export function cockroach(): DockerEngine {
  return {
    name: 'cockroach',
    title: 'CockroachDB v25.4.13',
    image: COCKROACH_IMAGE,
    dataPath: '/cockroach/cockroach-data',
    // --cache and --max-sql-memory at a quarter each of the container's limit.
    memoryPerNodeMiB: 1536,
    adapter: 'cockroach',
    settings: cockroachSettings,
    facts: {
      replication: 'Raft per range; the leaseholder serves reads and writes of its range',
      'leader (for faults)': 'the leaseholder of the accounts range',
    },
    // A read sees every transaction committed before it began (uncertainty intervals, clocks
    // within --max-offset); what CockroachDB does not promise is the order of unrelated writes
    // ("causal reverse"), which the bank's reads of every account cannot show.
    freshReads: () => ({ fresh: true, why: 'CockroachDB promises no stale reads while clocks stay within --max-offset (not strict serializability: "causal reverse" is allowed)' }),
    refuseNodes: (nodes, settings) => {
      const replicas = replicasAt(nodes, settings.replicas);
      if (replicas <= nodes) return undefined;
      return `--replicas ${replicas} needs at least ${replicas} nodes (--nodes ${nodes}): a range cannot have more copies than there are nodes`;
    },
    service: (node, all) => ({
      command: [
        'start', '--insecure',
        `--join=${all.slice(0, 3).map((n) => `${n.ip}:${RPC_PORT}`).join(',')}`,
        `--listen-addr=0.0.0.0:${RPC_PORT}`, `--advertise-addr=${node.ip}:${RPC_PORT}`,
        `--sql-addr=0.0.0.0:${SQL_PORT}`, `--advertise-sql-addr=${node.ip}:${SQL_PORT}`,
        `--http-addr=0.0.0.0:${HTTP_PORT}`,
        // The adapter finds the leaseholder's node by this locality (adapters/cockroach.ts).
        `--locality=node=${node.name}`,
        '--cache=384MiB', '--max-sql-memory=384MiB',
      ],
      healthcheck: {
        test: ['CMD', 'curl', '-fsS', `http://127.0.0.1:${HTTP_PORT}/health?ready=1`],
        interval: '1s',
        timeout: '3s',
        retries: 180,
        start_period: '5s',
      },
      memLimit: '1536m',
    }),
    init: (all, settings) => ({
      entrypoint: ['/bin/sh', '-c'],
      command: [initScript(all[0]!, String(replicasAt(all.length, settings.replicas)))],
      timeoutMs: 180_000,
    }),
    adapterConfig: (node, _all, settings) => ({
      url: `postgres://root@${node.ip}:${SQL_PORT}/defaultdb?sslmode=disable`,
      isolation: settings.isolation!,
    }),
  };
}

/** The replication factor: `auto` is 5 where five nodes can hold it, else CockroachDB's 3 (fewer on fewer nodes). */
export function replicasAt(nodes: number, setting = 'auto'): number {
  return setting === 'auto' ? (nodes >= 5 ? 5 : Math.min(3, nodes)) : Number(setting);
}

/** Init, retried until the first node answers; then the cluster-wide settings, also retried. */
export function initScript(first: NodeAddress, replicas: string): string {
  const host = `--host=${first.ip}:${RPC_PORT}`;
  // One -e per statement: one -e string is one implicit transaction, and SET CLUSTER SETTING
  // refuses to run inside a multi-statement one (cockroachdb/cockroach#79300).
  const sql = [
    `ALTER RANGE default CONFIGURE ZONE USING num_replicas = ${replicas}`,
    'SET CLUSTER SETTING sql.txn.repeatable_read_isolation.enabled = true',
  ].map((statement) => `-e "${statement}"`).join(' ');
  return [
    'set -u',
    'i=0',
    `until out=$(${BINARY} init --insecure ${host} 2>&1) || echo "$out" | grep -q "already been initialized"; do`,
    '  i=$((i+1)); [ $i -ge 120 ] && { echo "$out"; exit 1; }; sleep 1',
    'done',
    'echo "cluster initialized"',
    'i=0',
    `until ${BINARY} sql --insecure --host=${first.ip}:${SQL_PORT} ${sql}; do`,
    '  i=$((i+1)); [ $i -ge 60 ] && exit 1; sleep 1',
    'done',
    `echo "num_replicas = ${replicas}; repeatable read enabled"`,
  ].join('\n');
}
