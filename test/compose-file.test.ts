// The compose file a docker run writes, checked structurally for 3, 5 and 7 nodes: pairing,
// addresses, labels, volumes, healthchecks, paths relative to the file, and API nodes that mount
// their bundle only, never the checkout or the host's node_modules.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { API_BUNDLE_DIR, API_BUNDLE_FILE, API_MOUNT, composeFile, nodeAddresses, refuseNodeCount, renderCompose } from '../lib/runtime/docker/compose-file.ts';
import { cockroach } from '../lib/runtime/docker/engines/cockroach.ts';
import { etcd } from '../lib/runtime/docker/engines/etcd.ts';
import { foundationdb } from '../lib/runtime/docker/engines/foundationdb.ts';
import { galera } from '../lib/runtime/docker/engines/galera.ts';
import { postgresReplicas } from '../lib/runtime/docker/engines/postgres.ts';
import { ydb } from '../lib/runtime/docker/engines/ydb.ts';
import { yugabyte } from '../lib/runtime/docker/engines/yugabyte.ts';
import { etcdSettings, postgresSettings } from '../lib/runtime/engine-settings.ts';
import { defaultValues } from '../lib/settings.ts';
import { LABEL } from '../lib/runtime/docker/labels.ts';
import { composeCmd, composeConfig, NO_COMPOSE, type ComposeDoc, type ComposeService } from './helpers/compose-check.ts';

type Service = ComposeService;
const repo = join(import.meta.dirname, '..');

for (const n of [3, 5, 7]) {
  t.test(`etcd at ${n} nodes: ${n} database nodes and ${n} API nodes, paired, labelled`, async (t) => {
    const doc = parse(renderCompose(composeFile({ engine: etcd(), settings: defaultValues(etcdSettings), nodes: n, run: 'r1', repoFromFile: '../../..', deadlineMs: 4500 }))) as ComposeDoc;
    const names = Object.keys(doc.services);
    t.equal(names.filter((s) => s !== 'nettools').length, 2 * n);
    const ips = new Set<string>();
    for (const node of nodeAddresses(n)) {
      const db = doc.services[node.name]!;
      const api = doc.services[`api${node.number}`]!;
      t.same([db.labels[LABEL.project], db.labels[LABEL.role], db.labels[LABEL.node], db.labels[LABEL.run]], ['bankrun', 'db', node.name, 'r1']);
      t.same([api.labels[LABEL.role], api.labels[LABEL.node]], ['api', node.name], `api${node.number} is paired with ${node.name}`);
      t.equal(db.networks!.cluster!.ipv4_address, node.ip);
      ips.add(db.networks!.cluster!.ipv4_address!);
      ips.add(api.networks!.cluster!.ipv4_address!);
      t.ok(db.healthcheck?.test.includes('endpoint'), 'a healthcheck');
      t.same(db.volumes, [`${node.name}-data:/var/lib/etcd`], 'a named volume per node');
      t.ok(doc.volumes[`${node.name}-data`]!.labels[LABEL.project] === 'bankrun', 'the volume is labelled');
      const config = JSON.parse(api.command[api.command.indexOf('--config') + 1]!);
      t.same(config.endpoints, `http://${node.ip}:2379`, 'the API node is configured with its own node only');
      t.same(api.ports, ['127.0.0.1::8080'], 'published on loopback only');
      t.equal(api.build!.context, '../../../compose/api', 'paths are relative to the compose file');
      t.same(api.command.slice(0, 6), ['node', `${API_MOUNT}/${API_BUNDLE_FILE}`, '--name', node.name, '--adapter', 'etcd'], 'the bundle, run by plain node');
      t.same(api.volumes, [`./${API_BUNDLE_DIR}:${API_MOUNT}:ro`], 'the bundle beside the compose file, read-only, and nothing else');
      const cluster = db.command[db.command.indexOf('--initial-cluster') + 1]!;
      t.equal(cluster.split(',').length, n, 'every member in the initial cluster');
    }
    t.equal(ips.size, 2 * n, 'every address distinct');
    t.equal(doc.networks.cluster!.internal, true, 'the cluster network has no way out');
    t.ok(Object.values(doc.networks).every((net) => net.labels[LABEL.project] === 'bankrun'));
  });
}

t.test('postgres: n1 is the primary, every other node a replica of it; API nodes talk to their own node', async (t) => {
  const doc = parse(renderCompose(composeFile({ engine: postgresReplicas(), settings: defaultValues(postgresSettings), nodes: 3, run: 'r1', repoFromFile: '../../..', deadlineMs: 4500 }))) as {
    services: Record<string, Service & { environment?: Record<string, string> }>;
  };
  t.equal(doc.services.n1!.environment, undefined, 'n1 initialises its own database');
  t.same([doc.services.n2!.environment?.PG_PRIMARY, doc.services.n3!.environment?.PG_PRIMARY], ['10.77.0.11', '10.77.0.11']);
  const config = (api: Service) => JSON.parse(api.command[api.command.indexOf('--config') + 1]!);
  t.same(config(doc.services.api2!).url, 'postgres://postgres@10.77.0.12:5432/postgres');
});

t.test('node counts: odd ones are accepted, even ones refused with the reason', async (t) => {
  for (const n of [1, 3, 5, 7, 9]) t.equal(refuseNodeCount(n), undefined);
  for (const n of [2, 4, 6, 0, 11]) t.match(refuseNodeCount(n), /odd number .* majority/);
});

t.test('docker compose itself accepts the file at 3, 5 and 7 nodes', { skip: composeCmd ? false : NO_COMPOSE }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bankrun-compose-'));
  for (const n of [3, 5, 7]) {
    const file = join(dir, `etcd-${n}.yml`);
    writeFileSync(file, renderCompose(composeFile({ engine: etcd(), settings: defaultValues(etcdSettings), nodes: n, run: 'r1', repoFromFile: relative(dir, repo), deadlineMs: 4500 })));
    const r = await composeConfig(file, false);
    t.equal(r.code, 0, `${n} nodes: ${composeCmd!.join(' ')} config accepts it ${r.stderr}`);
    // As Compose resolves it: v1 writes SOURCE:TARGET:MODE, v2 {type, source, target, read_only}.
    const resolved = parse(r.stdout) as { services: Record<string, { volumes?: (string | { source: string; target: string; read_only?: boolean })[] }> };
    const binds = resolved.services.api1!.volumes!.map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}${v.read_only ? ':ro' : ''}`));
    t.same(binds, [`${join(dir, API_BUNDLE_DIR)}:${API_MOUNT}:ro`], `${n} nodes: Compose mounts the bundle's folder beside the file, read-only`);
  }
});

const engines = [etcd(), galera(), postgresReplicas(), cockroach(), yugabyte(), foundationdb(), ydb()];

/** Where a service's volume comes from: a named volume of the file, or a host path resolved against the file's folder. */
function volumeSource(spec: string, fileDir: string, named: Record<string, unknown>): { named: string } | { path: string } {
  const source = spec.split(':')[0]!;
  if (named[source] !== undefined) return { named: source };
  return { path: isAbsolute(source) ? source : resolve(fileDir, source) };
}

t.test('no container mounts the checkout or any node_modules: API nodes mount their bundle only', async (t) => {
  const fileDir = join(repo, 'results', 'nb', 'run');
  const nodeModules = join(repo, 'node_modules');
  for (const engine of engines) {
    const doc = parse(renderCompose(composeFile({
      engine, settings: defaultValues(engine.settings), nodes: 3, run: 'r1', repoFromFile: relative(fileDir, repo), deadlineMs: 4500,
    }))) as ComposeDoc;
    for (const [name, service] of Object.entries(doc.services)) {
      for (const spec of service.volumes ?? []) {
        const source = volumeSource(spec, fileDir, doc.volumes);
        if ('named' in source) continue;
        const seesNodeModules = nodeModules === source.path || nodeModules.startsWith(source.path + sep);
        t.notOk(seesNodeModules || source.path.split(sep).includes('node_modules'), `${engine.name} ${name}: ${spec} shows no node_modules`);
      }
      if (name.startsWith('api')) {
        t.same(service.volumes!.map((v) => volumeSource(v, fileDir, doc.volumes)), [{ path: join(fileDir, API_BUNDLE_DIR) }], `${engine.name} ${name}: the bundle's folder only`);
        t.equal(service.command[1], `${API_MOUNT}/${API_BUNDLE_FILE}`, `${engine.name} ${name}: runs the bundle`);
        t.notOk(service.command.includes('tsx') || service.command.includes('--import'), `${engine.name} ${name}: no loader`);
      }
    }
  }
});
