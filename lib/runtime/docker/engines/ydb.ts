// YDB from the official image ydbplatform/local-ydb (pulled, pinned). The image's own start script
// runs a one-node YDB; a cluster is started here the way the manual deployment guide does it, with
// the image's ydbd and ydb binaries: configuration V1 (one static YAML), insecure mode (no TLS, no
// authentication).
// https://ydb.tech/docs/en/devops/deployment-options/manual/initial-deployment/deployment-configuration-v1
//
// Layout: n1–n3 each run a storage (static) node with three PDisks, sparse files on the node's
// volume, so kill -9 and restart keep the data (a RAM SectorMap would not); the static group and
// /Root/testdb's storage are mirror-3-dc over the three ("mirror-3-dc-3-nodes": one node = one
// data center), which survives one storage node down. Every container also runs a database
// (dynamic) node of /Root/testdb: a storage node alone serves no database, so the API node paired
// with n1–n3 would otherwise have nothing of its own to talk to. At 5 or 7 nodes, n4… run a database
// node only. A one-shot init container applies the storage config and creates the database.
//
// Each ydbd runs under a restart loop, like the guide's systemd units (Restart=always, RestartSec=1);
// a database node starts once /Root/testdb exists. x86-64 with AVX2 only: there is no ARM build.
import { stringify } from 'yaml';
import type { SettingSpec } from '../../../settings.ts';
import type { DockerEngine, DockerHost, NodeAddress } from '../engine-spec.ts';

/** local-ydb tags follow the server's releases; 25.2.1 takes only the fixes of that release. */
export const YDB_IMAGE = 'ydbplatform/local-ydb:25.2.1';
export const DATABASE = '/Root/testdb';
export const STORAGE_NODES = 3;
export const DATA_PATH = '/ydb_data';
export const PORTS = {
  storage: { grpc: 2135, ic: 19001, mon: 8765 },
  database: { grpc: 2136, ic: 19002, mon: 8766 },
} as const;
const PDISKS = [1, 2, 3];
/** Sparse: only what is written takes space. The block-8-2 fixture of ydb-platform runs on 16 GiB files. */
export const PDISK_SIZE = '32G';
/**
 * Memory, sized for a test cluster of three such containers on a 16 GB CI runner (about 15.6 GiB
 * for the Docker engine). Each ydbd gets its own memory controller hard limit: the controller
 * otherwise takes the container's cgroup limit as its process's own, and n1–n3 hold two processes.
 * The controller keeps a process near its target (50% of the hard limit) and empties the shared
 * cache above the soft limit (75%), so the hard limits are ceilings, not the expected use
 * (https://ydb.tech/docs/en/reference/configuration/memory_controller_config). A container's limit
 * is the sum of its processes' hard limits and 256 MiB for what the controller does not count
 * (the shell, the restart loop, allocator slack).
 */
export const HARD_LIMIT_MIB = { storage: 1536, database: 1536 } as const;
const OUTSIDE_CONTROLLER_MIB = 256;
const containerMiB = { storageAndDatabase: HARD_LIMIT_MIB.storage + HARD_LIMIT_MIB.database + OUTSIDE_CONTROLLER_MIB, database: HARD_LIMIT_MIB.database + OUTSIDE_CONTROLLER_MIB };
/** Docker's mem_limit per container: n1–n3 (storage and database node), n4… (database node). */
export const MEM_LIMIT = { storageAndDatabase: `${containerMiB.storageAndDatabase}m`, database: `${containerMiB.database}m` } as const;
/**
 * The shared cache between 10% and 30% of the hard limit instead of 20–50%: the bank's tables are
 * a few MiB. The docs' own example values; they keep the documented rule shared_cache_min +
 * mem_table_min (1%) + activities_limit (30%) < soft_limit (75%).
 */
export const SHARED_CACHE_PERCENT = { min: 10, max: 30 } as const;
/**
 * Per-query allocations of local-ydb's own test clusters (ydb/tests/library/harness/resources/
 * default_yaml.yml: table_service_config.resource_manager), instead of the defaults of 1 MiB,
 * 30 MiB and 8 MiB (ydb/core/protos/table_service_config.proto, TResourceManager). The bank's
 * queries read and write two or three rows.
 */
export const QUERY_RESOURCES = { mkql_light_program_memory_limit: 65_536, mkql_heavy_program_memory_limit: 1_048_576, channel_buffer_size: 262_144 } as const;
const INIT_TIMEOUT_MS = 300_000;

/** The image's binaries; tests point them at stand-ins. */
export interface Binaries {
  ydbd: string;
  ydb: string;
  /** Where a node writes its config files (the container's own filesystem). */
  confDir: string;
}
const IMAGE_BINARIES: Binaries = { ydbd: '/ydbd', ydb: '/ydb', confDir: '/tmp/bankrun-ydb' };

const READ_MODE_MEANING: Record<string, string> = {
  serializable: 'serializable read-write transaction (takes its place in the serializable order)',
  snapshot: 'snapshot read-only (one consistent snapshot; writers never abort it)',
  stale: 'stale read-only (consistent, may lag behind the latest commits)',
};

/** The adapter's `readMode` (adapters/ydb/config.ts). */
export const ydbSettings: readonly SettingSpec[] = [
  {
    key: 'readMode',
    label: 'read mode',
    help: 'how a read of all balances runs (read-write, or read-only on a snapshot; stale may lag)',
    values: ['serializable', 'snapshot', 'stale'],
    default: 'serializable',
    describe: (v) => READ_MODE_MEANING[v] ?? v,
  },
];

/**
 * The actor system sized by YDB itself for one CPU a process (use_auto_config with cpu_count), as
 * ydb-platform's own SLO cluster runs it (ydb-slo-action deploy config: cpu_count 1): six ydbd
 * share a 4-vCPU runner. The documented automatic mode, not a hand-written executor list, so a
 * ydbd of another version reads it the same way.
 * https://ydb.tech/docs/en/reference/configuration/actor_system_config
 */
export function actorSystem(process: 'storage' | 'database') {
  return { use_auto_config: true, node_type: process === 'storage' ? 'STORAGE' : 'COMPUTE', cpu_count: 1 } as const;
}

export const storageNodes = (all: readonly NodeAddress[]) => all.slice(0, STORAGE_NODES);
const pdiskPath = (i: number) => `${DATA_PATH}/pdisk${i}.data`;

/**
 * The static config of one ydbd process, the guide's mirror-3-dc-3nodes example with the hosts,
 * drives and limits of this cluster. Storage and database processes differ only in their memory
 * controller's hard limit.
 */
export function ydbConfig(all: readonly NodeAddress[], process: 'storage' | 'database'): string {
  const storage = storageNodes(all);
  const mirror = 'mirror-3-dc';
  const config = {
    static_erasure: mirror,
    host_configs: [{ host_config_id: 1, drive: PDISKS.map((i) => ({ path: pdiskPath(i), type: 'SSD' })) }],
    // Looked up by name from every node: each is also the container's hostname.
    hosts: storage.map((n, i) => ({
      host: n.name,
      host_config_id: 1,
      walle_location: { body: i + 1, data_center: `zone-${'abc'[i]}`, rack: String(i + 1) },
    })),
    domains_config: {
      domain: [{
        name: 'Root',
        storage_pool_types: [{
          kind: 'ssd',
          pool_config: {
            box_id: 1,
            erasure_species: mirror,
            kind: 'ssd',
            // Realms are the data centers (one node each); fail domains go down to the disk.
            geometry: { realm_level_begin: 10, realm_level_end: 20, domain_level_begin: 10, domain_level_end: 256 },
            pdisk_filter: [{ property: [{ type: 'SSD' }] }],
            vdisk_kind: 'Default',
          },
        }],
      }],
      state_storage: [{ ring: { node: storage.map((n) => n.number), nto_select: storage.length }, ssid: 1 }],
    },
    table_service_config: { sql_version: 1, resource_manager: QUERY_RESOURCES },
    actor_system_config: actorSystem(process),
    memory_controller_config: {
      hard_limit_bytes: HARD_LIMIT_MIB[process] * 2 ** 20,
      shared_cache_min_percent: SHARED_CACHE_PERCENT.min,
      shared_cache_max_percent: SHARED_CACHE_PERCENT.max,
    },
    blob_storage_config: {
      service_set: {
        groups: [{
          erasure_species: mirror,
          rings: storage.map((n) => ({
            fail_domains: PDISKS.map((i) => ({ vdisk_locations: [{ node_id: n.name, pdisk_category: 'SSD', path: pdiskPath(i) }] })),
          })),
        }],
      },
    },
    channel_profile_config: {
      profile: [{ channel: [0, 1, 2].map(() => ({ erasure_species: mirror, pdisk_category: 0, storage_pool_kind: 'ssd' })), profile_id: 0 }],
    },
    // `ydbd admin` speaks the legacy gRPC service.
    grpc_config: { services_enabled: ['legacy'] },
  };
  return stringify(config, { aliasDuplicateObjects: false });
}

/**
 * A node's entrypoint (bash). Environment: YDB_NODE_ID and YDB_STORAGE_CONFIG on n1–n3 only;
 * YDB_DATABASE_CONFIG, YDB_DATABASE and YDB_STORAGE_NODES (their addresses) everywhere.
 */
export function nodeScript(bin: Binaries = IMAGE_BINARIES): string {
  const s = PORTS.storage;
  const d = PORTS.database;
  return `set -u
conf=${bin.confDir}
mkdir -p "$conf"
brokers=""
for h in $YDB_STORAGE_NODES; do brokers="$brokers --node-broker grpc://$h:${s.grpc}"; done

# Runs "$@" again 1 s after it exits; TERM ends it and its ydbd.
supervise() {
  local name=$1 child=""
  shift
  trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM
  while :; do
    "$@" &
    child=$!
    wait "$child"
    echo "$0: $name ydbd exited with status $?; restarting in 1 s" >&2
    sleep 1
  done
}

storage_node() {
  exec ${bin.ydbd} server --log-level 3 --tcp --yaml-config "$conf/storage.yaml" --node "$YDB_NODE_ID" \\
    --grpc-port ${s.grpc} --ic-port ${s.ic} --mon-port ${s.mon}
}

# Asked of the storage nodes in turn: one may be down.
database_exists() {
  local h
  for h in $YDB_STORAGE_NODES; do
    timeout 10 ${bin.ydb} -e "grpc://$h:${s.grpc}" -d /Root --no-discovery scheme describe "$YDB_DATABASE" >/dev/null 2>&1 && return 0
  done
  return 1
}

database_node() {
  until database_exists; do sleep 2; done
  exec ${bin.ydbd} server --log-level 3 --yaml-config "$conf/database.yaml" --tenant "$YDB_DATABASE" \\
    --grpc-port ${d.grpc} --ic-port ${d.ic} --mon-port ${d.mon} $brokers
}

pids=""
trap 'kill -TERM $pids 2>/dev/null; wait; exit 143' TERM INT
if [ -n "\${YDB_NODE_ID:-}" ]; then
  printf '%s\\n' "$YDB_STORAGE_CONFIG" > "$conf/storage.yaml"
  for i in ${PDISKS.join(' ')}; do
    # A new all-zero file is formatted by ydbd; an existing one holds this node's data.
    [ -e "${DATA_PATH}/pdisk$i.data" ] || truncate -s ${PDISK_SIZE} "${DATA_PATH}/pdisk$i.data"
  done
  supervise storage storage_node &
  pids="$!"
fi
printf '%s\\n' "$YDB_DATABASE_CONFIG" > "$conf/database.yaml"
supervise database database_node &
pids="$pids $!"
wait
`;
}

/**
 * The init container's script (bash): apply the storage config, then create the database, each
 * sent to the storage nodes in turn until one does it. Done before counts as done, so a second run
 * (compose up again on the same volumes) is harmless: the storage config's generation has moved
 * past 0, the database answers ALREADY_EXISTS (ydb-ansible's create_database reads the same).
 */
export function initScript(all: readonly NodeAddress[], bin = { ydbd: IMAGE_BINARIES.ydbd, conf: '/tmp/bankrun-ydb-config.yaml' }): string {
  const deadlineS = Math.floor(INIT_TIMEOUT_MS / 1000) - 10;
  const hosts = storageNodes(all).map((n) => n.ip).join(' ');
  return `set -u
conf=${bin.conf}
cat > "$conf" <<'YDB_CONFIG'
${ydbConfig(all, 'storage').trimEnd()}
YDB_CONFIG

# $1: what, $2: an extended regexp that an answer "<exit status>:<output>" matches when done.
step() {
  local what=$1 done_re=$2 h out code
  shift 2
  while [ "$SECONDS" -lt ${deadlineS} ]; do
    for h in ${hosts}; do
      out=$(timeout 30 ${bin.ydbd} -s "grpc://$h:${PORTS.storage.grpc}" "$@" 2>&1)
      code=$?
      echo "$what via $h: exit $code: $out"
      if printf '%s\\n' "$code:$out" | grep -Eq "$done_re"; then return 0; fi
    done
    sleep 2
  done
  echo "$what: not done in ${deadlineS} s" >&2
  exit 1
}

step 'storage config' '^0:|ItemConfigGenerationExpected' admin blobstorage config init --yaml-file "$conf"
step 'create ${DATABASE}' '^0:OK|ALREADY_EXISTS' admin database ${DATABASE} create ssd:1
echo "storage initialized; ${DATABASE} exists"
`;
}

export function ydb(): DockerEngine {
  return {
    name: 'ydb',
    title: 'YDB 25.2.1 (official image ydbplatform/local-ydb, started as a multi-node cluster)',
    image: YDB_IMAGE,
    dataPath: DATA_PATH,
    // The largest container (storage + database node); a database-only one has less.
    memoryPerNodeMiB: containerMiB.storageAndDatabase,
    adapter: 'ydb',
    settings: ydbSettings,
    refuseHost: refuseYdbHost,
    facts: {
      storage: `static group and ${DATABASE} (ssd:1) mirror-3-dc over n1–n3, three PDisks each (sparse ${PDISK_SIZE} files on the node's volume); survives one storage node down`,
      'API nodes': `each talks to the database node in its own container (grpc :${PORTS.database.grpc}, discovery off); n1–n3 run one beside their storage node, which serves no database itself`,
      transactions: 'serializable read-write (YDB\'s default); optimistic locks: a conflicting commit answers ABORTED',
      configuration: 'V1 static YAML, insecure mode (no TLS, no authentication), as in the manual deployment guide',
      restarts: 'every ydbd under a restart loop (1 s), like the guide\'s systemd units; a database node starts once the database exists',
      platform: 'x86-64 with AVX2 only (no ARM build)',
      memory: `n1–n3: ${MEM_LIMIT.storageAndDatabase} a container (memory controller hard limit ${HARD_LIMIT_MIB.storage} MiB for the storage ydbd, ${HARD_LIMIT_MIB.database} MiB for the database ydbd); n4…: ${MEM_LIMIT.database}; shared cache ${SHARED_CACHE_PERCENT.min}–${SHARED_CACHE_PERCENT.max}% of the hard limit; actor system auto-configured for 1 CPU a process`,
    },
    freshReads: (settings) => settings.readMode === 'stale'
      ? { fresh: false, why: 'stale read-only transactions may lag by design' }
      : { fresh: true, why: 'serializable read-write transactions' },
    layout: (n) => n <= STORAGE_NODES
      ? `${n} containers, each with a storage node (3 PDisks) and a database node of ${DATABASE}; storage mirror-3-dc over the three`
      : `n1–n3: a storage node (3 PDisks) and a database node each; n4–n${n}: a database node only (${n} database nodes of ${DATABASE}); storage mirror-3-dc over n1–n3`,
    refuseNodes: (n) => n >= STORAGE_NODES ? undefined
      : `--nodes ${n}: YDB here needs at least 3 nodes (three storage nodes, mirror-3-dc); one node would need erasure none, which survives no failure`,
    service: (node, all) => {
      const stores = node.number <= STORAGE_NODES;
      return {
        entrypoint: ['bash', '-c'],
        command: [nodeScript(), node.name],
        environment: {
          ...(stores ? { YDB_NODE_ID: String(node.number), YDB_STORAGE_CONFIG: ydbConfig(all, 'storage') } : {}),
          YDB_DATABASE_CONFIG: ydbConfig(all, 'database'),
          YDB_DATABASE: DATABASE,
          YDB_STORAGE_NODES: storageNodes(all).map((n) => n.ip).join(' '),
        },
        healthcheck: {
          // This node's own database node answers a query: /ping would answer before it serves the
          // database. The image has the ydb CLI, and neither curl nor wget.
          test: ['CMD', IMAGE_BINARIES.ydb, '-e', `grpc://127.0.0.1:${PORTS.database.grpc}`, '-d', DATABASE, '--no-discovery', 'sql', '-s', 'SELECT 1'],
          interval: '2s',
          timeout: '10s',
          retries: 90,
          start_period: '20s',
        },
        memLimit: stores ? MEM_LIMIT.storageAndDatabase : MEM_LIMIT.database,
      };
    },
    init: (all) => ({
      entrypoint: ['bash', '-c'],
      command: [initScript(all)],
      timeoutMs: INIT_TIMEOUT_MS,
    }),
    adapterConfig: (node, _all, settings) => ({
      endpoint: `grpc://${node.ip}:${PORTS.database.grpc}${DATABASE}`,
      readMode: settings.readMode!,
    }),
  };
}

/** ydbd is built for x86-64 with AVX2 only: an ARM engine (Apple silicon, Graviton) cannot run it. */
export function refuseYdbHost(host: DockerHost): string | undefined {
  if (!['x86_64', 'amd64'].includes(host.arch)) {
    return `YDB's image runs on x86-64 only, and this Docker engine runs on ${host.arch}: run the YDB notebook on an x86-64 machine (Docker Desktop's emulation of x86-64 lacks the AVX2 ydbd needs)`;
  }
  if (host.avx2 === false) return 'ydbd needs a CPU with AVX2, and this machine\'s CPU has none (no avx2 in /proc/cpuinfo): run the YDB notebook on a newer x86-64 machine';
  return undefined;
}
