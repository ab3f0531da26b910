// The YDB engine's compose file at 3, 5 and 7 nodes, without a server (the image cannot be pulled
// here): the pinned image, the layout (storage nodes n1–n3, a database node everywhere), hostnames
// matching the config's hosts, file-backed PDisks on each node's volume, the init service, the API
// nodes' endpoints. The node entrypoint and the init script run under bash with stand-ins for ydbd
// and the ydb CLI; docker-compose, where installed, accepts the file.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { parseConfig, settings as adapterSettings } from '../adapters/ydb.ts';
import { composeFile, INIT_SERVICE, nodeAddresses, renderCompose } from '../lib/runtime/docker/compose-file.ts';
import {
  actorSystem,
  refuseYdbHost,
  DATABASE,
  HARD_LIMIT_MIB,
  initScript,
  MEM_LIMIT,
  nodeScript,
  PDISK_SIZE,
  QUERY_RESOURCES,
  SHARED_CACHE_PERCENT,
  YDB_IMAGE,
  ydb,
  ydbConfig,
  ydbSettings,
} from '../lib/runtime/docker/engines/ydb.ts';
import { API_NODE_MIB, memoryNeededMiB, refuseMemory } from '../lib/runtime/docker/preflight.ts';
import { defaultValues } from '../lib/settings.ts';
import { composeCmd, composeConfig, NO_COMPOSE, type ComposeDoc } from './helpers/compose-check.ts';

type Doc = ComposeDoc;
type YdbYaml = {
  static_erasure: string;
  host_configs: { host_config_id: number; drive: { path: string; type: string }[] }[];
  hosts: { host: string; host_config_id: number; walle_location: { data_center: string } }[];
  domains_config: {
    domain: { name: string; storage_pool_types: { kind: string; pool_config: { erasure_species: string } }[] }[];
    state_storage: { ring: { node: number[]; nto_select: number } }[];
  };
  actor_system_config: { use_auto_config: boolean; node_type: string; cpu_count: number };
  memory_controller_config: { hard_limit_bytes: number; shared_cache_min_percent: number; shared_cache_max_percent: number };
  table_service_config: { resource_manager: Record<string, number> };
  blob_storage_config: { service_set: { groups: { erasure_species: string; rings: { fail_domains: { vdisk_locations: { node_id: string; path: string }[] }[] }[] }[] } };
};

const run = promisify(execFile);
const render = (nodes: number, repoFromFile = '../../..') =>
  renderCompose(composeFile({ engine: ydb(), settings: defaultValues(ydbSettings), nodes, run: 'r1', repoFromFile, deadlineMs: 4500 }));
const doc = (nodes: number) => parse(render(nodes)) as Doc;
/** What compose hands the shell: $$ is a literal $. */
const unescape = (s: string) => s.replace(/\$\$/g, '$');

for (const n of [3, 5, 7]) {
  t.test(`${n} nodes: pulled image, storage on n1–n3, a database node in every container`, async (t) => {
    const d = doc(n);
    const nodes = nodeAddresses(n);
    const storage = nodes.slice(0, 3);
    for (const node of nodes) {
      const db = d.services[node.name]!;
      const stores = node.number <= 3;
      t.equal(db.image, YDB_IMAGE, `${node.name}: the pinned image`);
      t.equal(db.build, undefined, `${node.name}: pulled, not built`);
      t.equal(db.hostname, node.name);
      t.same(db.entrypoint, ['bash', '-c']);
      t.equal(unescape(db.command[0]!), nodeScript(), `${node.name}: the node script, every $ kept for the shell`);
      t.equal(db.command[1], node.name, 'the script\'s $0 names the node in its log lines');
      t.same(db.volumes, [`${node.name}-data:/ydb_data`], `${node.name}: its PDisks' volume`);
      t.ok(d.volumes[`${node.name}-data`], 'the volume is declared');
      t.equal(db.mem_limit, stores ? MEM_LIMIT.storageAndDatabase : MEM_LIMIT.database);
      t.same(db.healthcheck!.test, ['CMD', '/ydb', '-e', 'grpc://127.0.0.1:2136', '-d', DATABASE, '--no-discovery', 'sql', '-s', 'SELECT 1']);

      const env = db.environment!;
      t.equal(env.YDB_DATABASE, DATABASE);
      t.equal(env.YDB_STORAGE_NODES, storage.map((s) => s.ip).join(' '), 'node brokers and the database check: n1–n3');
      t.equal(env.YDB_NODE_ID, stores ? String(node.number) : undefined, `${node.name}: ${stores ? 'a storage node' : 'no storage node'}`);
      t.equal(env.YDB_STORAGE_CONFIG, stores ? ydbConfig(nodes, 'storage') : undefined);
      t.equal(env.YDB_DATABASE_CONFIG, ydbConfig(nodes, 'database'));
      if (stores) {
        const hosts = (parse(env.YDB_STORAGE_CONFIG!) as YdbYaml).hosts;
        t.equal(hosts[node.number - 1]!.host, db.hostname, `${node.name}: storage node ${node.number} is hosts[${node.number - 1}], the container's hostname`);
      }

      const api = d.services[`api${node.number}`]!;
      t.equal(api.command[api.command.indexOf('--adapter') + 1], 'ydb');
      const config = JSON.parse(api.command[api.command.indexOf('--config') + 1]!) as Record<string, string>;
      t.same(config, { endpoint: `grpc://${node.ip}:2136/Root/testdb`, readMode: 'serializable' }, `api${node.number}: its own container's database node`);
      const parsed = parseConfig(config);
      t.same([parsed.database, parsed.reads], [DATABASE, 'serializable'], 'the adapter accepts it');
    }

    const init = d.services[INIT_SERVICE]!;
    t.equal(init.image, YDB_IMAGE, 'init runs ydbd from the same image');
    t.same(init.entrypoint, ['bash', '-c']);
    t.same(init.depends_on, nodes.map((a) => a.name));
    t.equal(init.labels['bankrun.role'], 'init');
    const script = unescape(init.command[0]!);
    t.equal(script, initScript(nodes));
    t.ok(script.includes(`<<'YDB_CONFIG'\n${ydbConfig(nodes, 'storage')}YDB_CONFIG\n`), 'init applies the storage nodes\' own config');
    t.match(script, `for h in ${storage.map((x) => x.ip).join(' ')}; do`, 'the storage nodes n1–n3 are asked in turn');
  });
}

t.test('the config: mirror-3-dc over three storage nodes, three file PDisks each, on the volume', async (t) => {
  for (const n of [3, 7]) {
    const nodes = nodeAddresses(n);
    const c = parse(ydbConfig(nodes, 'storage')) as YdbYaml;
    t.equal(c.static_erasure, 'mirror-3-dc');
    t.same(c.hosts.map((h) => h.host), ['n1', 'n2', 'n3'], `${n} nodes: only n1–n3 store`);
    t.same(c.hosts.map((h) => h.walle_location.data_center), ['zone-a', 'zone-b', 'zone-c'], 'one data center per node');
    const drives = c.host_configs[0]!.drive.map((dr) => dr.path);
    t.same(drives, ['/ydb_data/pdisk1.data', '/ydb_data/pdisk2.data', '/ydb_data/pdisk3.data']);
    t.ok(drives.every((p) => p.startsWith(`${ydb().dataPath}/`)), 'on the node\'s named volume');
    const group = c.blob_storage_config.service_set.groups[0]!;
    t.equal(group.erasure_species, 'mirror-3-dc');
    t.same(group.rings.map((r) => r.fail_domains.map((f) => f.vdisk_locations[0]!.node_id)), [['n1', 'n1', 'n1'], ['n2', 'n2', 'n2'], ['n3', 'n3', 'n3']], 'a ring per node');
    t.same(group.rings.map((r) => r.fail_domains.map((f) => f.vdisk_locations[0]!.path)), [drives, drives, drives], 'a VDisk on every PDisk');
    t.same(c.domains_config.state_storage[0]!.ring, { node: [1, 2, 3], nto_select: 3 });
    t.same(c.domains_config.domain[0]!.storage_pool_types.map((p) => [p.kind, p.pool_config.erasure_species]), [['ssd', 'mirror-3-dc']], 'the pool of create ssd:1');
  }
  t.notMatch(ydbConfig(nodeAddresses(3), 'storage'), /[&*]a\d/, 'no YAML anchors or aliases');
});

t.test('the config: memory and threads of a small test cluster', async (t) => {
  const storage = parse(ydbConfig(nodeAddresses(3), 'storage')) as YdbYaml;
  const database = parse(ydbConfig(nodeAddresses(3), 'database')) as YdbYaml;
  const mib = (b: number) => b / 2 ** 20;
  const limitMiB = (l: string) => Number(/^(\d+)m$/.exec(l)![1]);
  t.same([mib(storage.memory_controller_config.hard_limit_bytes), mib(database.memory_controller_config.hard_limit_bytes)], [HARD_LIMIT_MIB.storage, HARD_LIMIT_MIB.database],
    'each process its own hard limit: the controller would take the whole container\'s cgroup limit otherwise');
  t.equal(limitMiB(MEM_LIMIT.storageAndDatabase) - mib(storage.memory_controller_config.hard_limit_bytes + database.memory_controller_config.hard_limit_bytes), 256,
    'n1–n3: both processes below their container\'s limit, 256 MiB left for what the controller does not count');
  t.equal(limitMiB(MEM_LIMIT.database) - mib(database.memory_controller_config.hard_limit_bytes), 256, 'n4…: likewise');
  for (const c of [storage, database]) {
    const m = c.memory_controller_config;
    t.same([m.shared_cache_min_percent, m.shared_cache_max_percent], [SHARED_CACHE_PERCENT.min, SHARED_CACHE_PERCENT.max]);
    // memory_controller_config docs: shared_cache_min + mem_table_min (1) + activities_limit (30) < soft_limit (75).
    t.ok(m.shared_cache_min_percent + 1 + 30 < 75, 'the documented rule for the controller\'s limits holds');
    t.same(c.table_service_config.resource_manager, QUERY_RESOURCES, 'local-ydb\'s per-query limits');
  }
  t.same(storage.actor_system_config, actorSystem('storage'));
  t.same(storage.actor_system_config, { use_auto_config: true, node_type: 'STORAGE', cpu_count: 1 }, 'YDB sizes the pools for one CPU');
  t.same(database.actor_system_config, { use_auto_config: true, node_type: 'COMPUTE', cpu_count: 1 });
});

t.test('layout, node counts, facts, settings', async (t) => {
  const e = ydb();
  t.match(e.layout!(3), /^3 containers, each with a storage node \(3 PDisks\) and a database node of \/Root\/testdb/);
  t.match(e.layout!(5), /^n1–n3: a storage node \(3 PDisks\) and a database node each; n4–n5: a database node only \(5 database nodes/);
  t.match(e.layout!(7), /n4–n7: a database node only \(7 database nodes/);
  t.match(e.refuseNodes!(1, {}), /--nodes 1: YDB here needs at least 3 nodes \(three storage nodes, mirror-3-dc\)/);
  for (const n of [3, 5, 7, 9]) t.equal(e.refuseNodes!(n, {}), undefined, `${n} nodes run`);
  t.match(e.facts['API nodes'], /its own container/);
  t.match(e.facts.platform, /AVX2/);
  t.equal(e.imageContext, undefined, 'pulled: the preflight check pulls it when missing');
  t.equal(e.memoryPerNodeMiB, 3328, 'the preflight check counts the largest container (n1–n3: 3328m)');
  t.same(ydbSettings.map((s) => s.key), [...adapterSettings], 'the settings are the adapter\'s config keys');
  for (const mode of ydbSettings[0]!.values) t.equal(parseConfig({ endpoint: 'grpc://h:2136/Root/testdb', readMode: mode }).reads, mode, `the adapter takes readMode ${mode}`);
});

t.test('both scripts are valid bash', async (t) => {
  for (const [name, script] of [['node', nodeScript()], ['init', initScript(nodeAddresses(5))]] as const) {
    const r = await run('bash', ['-n', '-c', script]).then(() => ({ code: 0, stderr: '' }), (e) => ({ code: e.code as number, stderr: String(e.stderr) }));
    t.equal(r.code, 0, `${name}: ${r.stderr}`);
  }
});

// ---- the scripts, run with stand-ins ---------------------------------------------------------

function stub(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/bash\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts the node script of node `number` (of 5) with stand-in binaries and its data in a temp dir. */
function startNode(number: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bankrun-ydb-node-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  const calls = join(dir, 'calls');
  // A server that records its arguments and a TERM; the first storage node exits at once.
  const ydbd = stub(dir, 'ydbd', [
    `echo "$$ $*" >> ${calls}`,
    `if [[ " $* " == *" --node "* ]] && [ "$(grep -c -- '--node ' ${calls})" -eq 1 ]; then exit 3; fi`,
    `trap 'echo "term $$" >> ${calls}; exit 0' TERM`,
    'while :; do sleep 0.1; done',
  ].join('\n'));
  // The database exists from the second round of questions on (three storage nodes a round).
  const ydbCli = stub(dir, 'ydb', [`echo "$*" >> ${dir}/ydb-calls`, `[ "$(wc -l < ${dir}/ydb-calls)" -gt 3 ]`].join('\n'));
  const all = nodeAddresses(5);
  const node = all[number - 1]!;
  const service = ydb().service(node, all, defaultValues(ydbSettings));
  const script = nodeScript({ ydbd, ydb: ydbCli, confDir: join(dir, 'conf') }).replaceAll('/ydb_data', data);
  const child = spawn('bash', ['-c', script, node.name], { env: { PATH: process.env.PATH!, ...service.environment }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += String(b); });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { dir, data, calls, ydbCalls: join(dir, 'ydb-calls'), child, exit, env: service.environment!, stderr: () => stderr };
}

t.test('node n1: PDisk files, the storage node restarted after it exits, the database node once the database exists, TERM ends both', async (t) => {
  const n = startNode(1);
  writeFileSync(join(n.data, 'pdisk2.data'), 'data of an earlier run');
  const server = () => lines(n.calls).filter((l) => !l.startsWith('term '));
  await until('two storage starts and a database start', () => server().length >= 3);
  const [first, second, third] = server().map((l) => l.split(' ').slice(1).join(' '));
  const conf = join(n.dir, 'conf');
  const storageArgs = `server --log-level 3 --tcp --yaml-config ${conf}/storage.yaml --node 1 --grpc-port 2135 --ic-port 19001 --mon-port 8765`;
  t.equal(first, storageArgs, 'the storage node');
  t.equal(second, storageArgs, 'started again after it exited');
  t.match(n.stderr(), /n1: storage ydbd exited with status 3; restarting in 1 s/);
  t.equal(third, `server --log-level 3 --yaml-config ${conf}/database.yaml --tenant /Root/testdb --grpc-port 2136 --ic-port 19002 --mon-port 8766 ` +
    '--node-broker grpc://10.77.0.11:2135 --node-broker grpc://10.77.0.12:2135 --node-broker grpc://10.77.0.13:2135', 'the database node, with every storage node as a broker');
  t.same(lines(n.ydbCalls).slice(0, 4), ['11', '12', '13', '11'].map((h) => `-e grpc://10.77.0.${h}:2135 -d /Root --no-discovery scheme describe /Root/testdb`),
    'it asked the storage nodes in turn until the database existed');
  t.equal(readFileSync(join(conf, 'storage.yaml'), 'utf8'), `${n.env.YDB_STORAGE_CONFIG}\n`);
  t.equal(readFileSync(join(conf, 'database.yaml'), 'utf8'), `${n.env.YDB_DATABASE_CONFIG}\n`);
  for (const i of [1, 3]) {
    const st = statSync(join(n.data, `pdisk${i}.data`));
    t.equal(st.size, parseInt(PDISK_SIZE, 10) * 2 ** 30, `pdisk${i}: ${PDISK_SIZE}`);
    t.ok(st.blocks * 512 < 2 ** 20, `pdisk${i}: sparse (${st.blocks} blocks)`);
  }
  t.equal(readFileSync(join(n.data, 'pdisk2.data'), 'utf8'), 'data of an earlier run', 'an existing PDisk is left alone');

  n.child.kill('SIGTERM');
  t.equal(await n.exit, 143, 'docker stop: the script exits');
  const pids = server().slice(1).map((l) => l.split(' ')[0]);
  t.same(lines(n.calls).filter((l) => l.startsWith('term ')).map((l) => l.split(' ')[1]).sort(), pids.sort(), 'both running ydbd got TERM');
});

t.test('node n4: a database node only, no storage node and no PDisk', async (t) => {
  const n = startNode(4);
  await until('a database start', () => lines(n.calls).length >= 1);
  await new Promise((r) => setTimeout(r, 300));
  const server = lines(n.calls);
  t.equal(server.length, 1);
  t.match(server[0], / --tenant \/Root\/testdb /);
  t.notOk(existsSync(join(n.dir, 'conf', 'storage.yaml')));
  t.notOk(existsSync(join(n.data, 'pdisk1.data')));
  t.equal(n.env.YDB_NODE_ID, undefined);
  n.child.kill('SIGTERM');
  t.equal(await n.exit, 143);
});

async function runInit(answers: string, prelude = '') {
  const dir = mkdtempSync(join(tmpdir(), 'bankrun-ydb-init-'));
  // `answers`: bash run for the k-th call (k in $k), after it was recorded.
  const ydbd = stub(dir, 'ydbd', `echo "$*" >> ${dir}/calls\nk=$(wc -l < ${dir}/calls)\n${answers}`);
  stub(dir, 'sleep', 'true'); // no waiting between rounds
  const nodes = nodeAddresses(5);
  const script = prelude + initScript(nodes, { ydbd, conf: join(dir, 'config.yaml') });
  const r = await run('bash', ['-c', script], { env: { PATH: `${dir}:${process.env.PATH}` }, timeout: 30_000 })
    .then((o) => ({ code: 0, ...o }), (e) => ({ code: e.code as number, stdout: String(e.stdout), stderr: String(e.stderr) }));
  return { ...r, calls: lines(join(dir, 'calls')), config: readFileSync(join(dir, 'config.yaml'), 'utf8'), nodes };
}

const INIT = 'admin blobstorage config init --yaml-file';
const CREATE = 'admin database /Root/testdb create ssd:1';

t.test('init: retried on the storage nodes in turn until the storage config is applied and the database created', async (t) => {
  const r = await runInit([
    'case $k in',
    "  1) echo 'Connection refused' >&2; exit 1 ;;",
    '  2) exit 0 ;;',
    "  3) echo 'ERROR: GENERIC_ERROR not enough groups'; exit 0 ;;", // exit 0, but not OK: not done
    '  4) echo OK; exit 0 ;;',
    'esac',
  ].join('\n'));
  t.equal(r.code, 0, r.stderr);
  const conf = r.calls[0]!.split(' ').at(-1)!;
  t.same(r.calls, [
    `-s grpc://10.77.0.11:2135 ${INIT} ${conf}`,
    `-s grpc://10.77.0.12:2135 ${INIT} ${conf}`,
    `-s grpc://10.77.0.11:2135 ${CREATE}`,
    `-s grpc://10.77.0.12:2135 ${CREATE}`,
  ]);
  t.equal(r.config, ydbConfig(r.nodes, 'storage'), 'the config it applies is the storage nodes\' own');
  t.match(r.stdout, /storage initialized; \/Root\/testdb exists/);
});

t.test('init: a second run on the same volumes is done at once', async (t) => {
  const r = await runInit([
    'case $k in',
    "  1) echo 'ERROR: ... ItemConfigGenerationExpected: 1 ...'; exit 1 ;;",
    "  2) echo 'ERROR: ALREADY_EXISTS'; exit 0 ;;",
    'esac',
  ].join('\n'));
  t.equal(r.code, 0, r.stderr);
  t.equal(r.calls.length, 2);
  t.match(r.stdout, /ItemConfigGenerationExpected/, 'the answer stays in the log');
});

t.test('init: gives up with exit 1 and says so when no storage node answers', async (t) => {
  // The deadline is bash's SECONDS: start the clock 2 s before it.
  const r = await runInit("/bin/sleep 0.2; echo 'Connection refused' >&2; exit 1", 'SECONDS=288\n');
  t.equal(r.code, 1);
  t.ok(r.calls.length >= 3, `it kept trying until the deadline (${r.calls.length} attempts)`);
  t.ok(r.calls.every((c) => c.endsWith(`${INIT} ${r.calls[0]!.split(' ').at(-1)}`)), 'never past the storage step');
  t.match(r.stderr, 'storage config: not done in 290 s');
});

t.test('the memory check counts the largest container for every node; 3 nodes fit a 16 GB runner with room to spare', async (t) => {
  t.match(refuseMemory(ydb(), 3, 8 * 2 ** 30), /YDB 25\.2\.1 .* at 3 nodes needs about 10\.1 GiB \(3328 MiB a node \+ 128 MiB an API node\), and the Docker engine has 8\.0 GiB/);
  t.equal(memoryNeededMiB(ydb(), 3), 3 * (3328 + API_NODE_MIB), '10,368 MiB');
  t.ok(memoryNeededMiB(ydb(), 3) <= 11 * 1024, 'at most 11 GiB with the API nodes');
  // A GitHub-hosted Linux runner has 16 GB; Docker reports about 15.6 GiB of it.
  const runner = 15.6 * 2 ** 30;
  t.equal(refuseMemory(ydb(), 3, runner), undefined, '3 nodes run on it');
  t.ok(runner / 2 ** 20 - memoryNeededMiB(ydb(), 3) > 5 * 1024, 'and leave more than 5 GiB for the runner itself and the notebook');
});

t.test('ydb-3node refuses one node and an unknown read mode before anything starts; --help lists --read-mode', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bankrun-ydb-nb-'));
  const one = await run('npx', ['tsx', 'notebooks/ydb-3node.ts', '--out', out, '--nodes', '1']).catch((e) => e);
  t.equal(one.code, 2);
  t.match(one.stderr, /--nodes 1: YDB here needs at least 3 nodes/);
  const mode = await run('npx', ['tsx', 'notebooks/ydb-3node.ts', '--out', out, '--read-mode', 'linearizable']).catch((e) => e);
  t.equal(mode.code, 2);
  t.match(mode.stderr, /--read-mode: 'linearizable' is not one of serializable, snapshot, stale/);
  t.same(readdirSync(out), [], 'no run folder: nothing started');
  const help = await run('npx', ['tsx', 'notebooks/ydb-3node.ts', '--help']);
  t.match(help.stdout, /--read-mode .*: serializable \| snapshot \| stale \(default: serializable\)/);
  t.match(help.stdout, /--nodes .*\(default: 3\)/);
});

// ---- docker-compose itself ---------------------------------------------------------------------

t.test('docker compose accepts the file at 3, 5 and 7 nodes and takes no $ of the scripts for its own', { skip: composeCmd ? false : NO_COMPOSE }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bankrun-compose-ydb-'));
  const repo = join(import.meta.dirname, '..');
  for (const n of [3, 5, 7]) {
    const file = join(dir, `ydb-${n}.yml`);
    writeFileSync(file, render(n, relative(dir, repo)));
    const q = await composeConfig(file);
    t.equal(q.code, 0, `${n} nodes: ${composeCmd!.join(' ')} config -q accepts it ${q.stderr}`);
    const full = await composeConfig(file, false);
    t.notMatch(full.stderr, /variable is not set/i, 'no $ is taken for a compose variable');
    // Compose 1.29 prints its resolved file with every $ escaped again as $$.
    const resolved = parse(full.stdout) as Doc;
    t.equal(unescape(resolved.services.n1!.command[0]!), nodeScript(), 'the node script, each $ the shell\'s own');
    t.equal(unescape(resolved.services.init!.command[0]!), initScript(nodeAddresses(n)), 'the init script, each $ the shell\'s own');
    t.equal(resolved.services.n1!.environment!.YDB_STORAGE_CONFIG, ydbConfig(nodeAddresses(n), 'storage'), 'the config arrives unchanged');
  }
});

t.test('YDB refuses an ARM engine and a CPU without AVX2, with the way out', async (t) => {
  t.equal(refuseYdbHost({ arch: 'x86_64', avx2: true }), undefined);
  t.equal(refuseYdbHost({ arch: 'x86_64' }), undefined, 'AVX2 unknown (a remote engine, a VM): not refused');
  t.match(refuseYdbHost({ arch: 'aarch64' }), /x86-64 only, and this Docker engine runs on aarch64/);
  t.match(refuseYdbHost({ arch: 'x86_64', avx2: false }), /needs a CPU with AVX2/);
  t.equal(ydb().refuseHost, refuseYdbHost, 'the preflight asks it');
});
