// FoundationDB 7.3 from the official image (pulled, not built), one fdbserver per container. Every
// node gets the same cluster file: coordinators n1–n3 at 3 nodes, n1–n5 at 5 or more (written at
// every start, so no `coordinators auto`: a restarted node must come back with its IP and volume).
// A one-shot `init` container then runs `configure new double ssd` (3 nodes) or `triple` (5+).
//
// Extra fdbserver flags: the image's entry script (/var/fdb/scripts/fdb.bash) drops its arguments
// up to 7.3.79 (apple/foundationdb PR #13831 adds them later), so compose `command:` flags would be
// ignored. The entrypoint puts a `fdbserver` wrapper first on PATH that adds them, then runs the
// image's own script unchanged (cluster file, public address, locality).
import type { DockerEngine, DockerHost, NodeAddress } from '../engine-spec.ts';

export const FDB_VERSION = '7.3.79';
const PORT = 4500;
const CLUSTER_FILE = '/var/fdb/fdb.cluster';
/** fdbserver defaults are 8GiB and 2GiB: five or seven nodes must fit on a laptop. */
export const LAPTOP_FLAGS = ['--memory', '2GiB', '--cache-memory', '256MiB'];
const INIT_TIMEOUT_MS = 180_000;

export interface FdbTopology {
  redundancy: 'single' | 'double' | 'triple';
  /** The first `coordinators` nodes coordinate. */
  coordinators: number;
}

/** The configuration guide's table: double with 3 coordinators for 3–4 machines, triple with 5 for 5+. */
export function fdbTopology(nodes: number): FdbTopology {
  if (nodes >= 5) return { redundancy: 'triple', coordinators: 5 };
  return { redundancy: nodes >= 3 ? 'double' : 'single', coordinators: nodes };
}

/** The cluster file's one line; description and ID as the image writes its own default. */
export function clusterString(all: readonly NodeAddress[]): string {
  const coordinators = all.slice(0, fdbTopology(all.length).coordinators);
  return `docker:docker@${coordinators.map((c) => `${c.ip}:${PORT}`).join(',')}`;
}

export const configureCommand = (nodes: number) => `configure new ${fdbTopology(nodes).redundancy} ssd`;

// Runs the image's script with a fdbserver on PATH that appends this container's flags ("$@").
const NODE_ENTRY = [
  'set -e',
  'real=$(command -v fdbserver)',
  'mkdir -p /tmp/bankrun',
  `printf '#!/bin/sh\\nexec %s "$@" %s\\n' "$real" "$*" > /tmp/bankrun/fdbserver`,
  'chmod +x /tmp/bankrun/fdbserver',
  'PATH="/tmp/bankrun:$PATH" exec /var/fdb/scripts/fdb.bash',
].join('\n');

// Idempotent: "already exists" is success too (an earlier attempt may have created it and then
// timed out). Until the nodes elect a cluster controller, fdbcli times out and the loop retries.
function initScript(all: readonly NodeAddress[], deadlineS: number): string {
  const configure = configureCommand(all.length);
  return [
    `printf '%s\\n' '${clusterString(all)}' > /tmp/fdb.cluster`,
    `while [ "$SECONDS" -lt ${deadlineS} ]; do`,
    `  out=$(fdbcli -C /tmp/fdb.cluster --timeout 10 --exec '${configure}' 2>&1)`,
    '  echo "$out"',
    '  case "$out" in',
    "    *'Database created'*|*'Database already exists'*) exit 0 ;;",
    '  esac',
    '  sleep 2',
    'done',
    `echo '${configure}: no success in ${deadlineS} s' >&2`,
    'exit 1',
  ].join('\n');
}

export function foundationdb(): DockerEngine {
  return {
    name: 'foundationdb',
    title: `FoundationDB ${FDB_VERSION} (official image foundationdb/foundationdb:${FDB_VERSION})`,
    image: `foundationdb/foundationdb:${FDB_VERSION}`,
    // libfdb_c of the same version, for the adapter's npm package.
    apiImage: { image: `bankrun/api-fdb:${FDB_VERSION}`, context: 'compose/api-fdb' },
    dataPath: '/var/fdb/data',
    // An estimate for this workload (256 MiB page cache, a few MB of data); the limit is memLimit.
    memoryPerNodeMiB: 1024,
    adapter: 'foundationdb',
    // One isolation level (strictly serializable) and always-durable commits: nothing to weaken.
    settings: [],
    facts: {
      isolation: 'strictly serializable, the only level FoundationDB has (no weaker setting to compare)',
      redundancy: 'single at 1 node, double at 3, triple at 5 or more (configure new … ssd, once, by the init container)',
      coordinators: 'every node up to 3 nodes, n1–n5 at 5 or more; fixed in the cluster file',
      'storage engine': 'ssd (B-tree on disk); a commit is acknowledged once durable on as many transaction logs as there are copies',
      'fdbserver memory': `${LAPTOP_FLAGS.join(' ')} (defaults 8GiB / 2GiB; lowered to fit a laptop)`,
      'API nodes': 'each client talks to the whole cluster (coordinators, proxies, storage servers), not to its paired node only',
    },
    freshReads: () => ({ fresh: true, why: 'strict serializability, FoundationDB\'s only level' }),
    layout: (n) => {
      const t = fdbTopology(n);
      const coordinators = t.coordinators === 1 ? 'n1' : `n1–n${t.coordinators}`;
      return `${n} fdbserver process(es), one per container, class unset; coordinators ${coordinators}; ${t.redundancy} redundancy`;
    },
    service: (_node, all) => ({
      entrypoint: ['/usr/bin/tini', '-g', '--', 'bash', '-c', NODE_ENTRY, 'fdb-node'],
      command: LAPTOP_FLAGS,
      environment: {
        FDB_NETWORKING_MODE: 'container',
        FDB_CLUSTER_FILE: CLUSTER_FILE,
        FDB_CLUSTER_FILE_CONTENTS: clusterString(all),
        FDB_PORT: String(PORT),
      },
      healthcheck: {
        // `status minimal` speaks for the whole cluster; the port check makes it this node's too.
        // "available, but has issues" (a replica down) still counts.
        test: ['CMD', 'bash', '-c',
          `: </dev/tcp/127.0.0.1/${PORT} && fdbcli -C ${CLUSTER_FILE} --timeout 5 --exec 'status minimal' | grep -q 'The database is available'`],
        interval: '2s',
        timeout: '10s',
        retries: 90,
        start_period: '10s',
      },
      // Above --memory, so fdbserver's own limit (it logs and exits) acts before the kernel's OOM killer.
      memLimit: '2560m',
    }),
    init: (all) => ({
      entrypoint: ['bash', '-c'],
      command: [initScript(all, Math.floor(INIT_TIMEOUT_MS / 1000) - 10)],
      timeoutMs: INIT_TIMEOUT_MS,
    }),
    adapterConfig: (_node, all) => ({ clusterFileContents: clusterString(all) }),
    refuseHost: (host) => fdbBindingProblem(host),
  };
}

/**
 * The API node image installs the npm package `foundationdb` for its own platform (compose/api-fdb),
 * and 2.0.1 ships a prebuilt binding for linux-x64 only: on an arm64 engine (Apple silicon, Graviton)
 * its install would have to compile one, which the slim image cannot, so the build would stop.
 * Said before anything starts instead.
 */
export function fdbBindingProblem(host: DockerHost): string | undefined {
  if (['x86_64', 'amd64'].includes(host.arch)) return undefined;
  return `the FoundationDB API node image installs the npm package "foundationdb" 2.0.1, which has a prebuilt ` +
    `binding for linux-x64 only, and this Docker engine runs on ${host.arch}: run the FoundationDB notebooks ` +
    'with an x86-64 Docker engine (a Linux x86-64 machine, or a CI runner)';
}
