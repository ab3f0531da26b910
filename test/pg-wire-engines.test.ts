// CockroachDB and YugabyteDB under Docker, checked without their images (none can be pulled
// here): the compose files they make at 3, 5 and 7 nodes, their start and init scripts, the
// settings' rules, the leaseholder's name, and a notebook's refusals before anything starts.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { LEASEHOLDER_SQL, nodeOfLocality } from '../adapters/cockroach.ts';
import { composeFile, INIT_SERVICE, nodeAddresses, renderCompose } from '../lib/runtime/docker/compose-file.ts';
import { COCKROACH_IMAGE, cockroach, initScript, replicasAt } from '../lib/runtime/docker/engines/cockroach.ts';
import { YUGABYTE_IMAGE, startScript, yugabyte } from '../lib/runtime/docker/engines/yugabyte.ts';
import type { DockerEngine } from '../lib/runtime/docker/engine-spec.ts';
import { preflight, refuseMemory } from '../lib/runtime/docker/preflight.ts';
import { defaultValues } from '../lib/settings.ts';
import { composeCmd, composeConfig, NO_COMPOSE, type ComposeDoc } from './helpers/compose-check.ts';

const run = promisify(execFile);

function composeOf(engine: DockerEngine, nodes: number, settings = defaultValues(engine.settings), repoFromFile = '../../..') {
  return parse(renderCompose(composeFile({ engine, settings, nodes, run: 'r1', repoFromFile, deadlineMs: 4500 }))) as ComposeDoc;
}

for (const n of [3, 5, 7]) {
  t.test(`cockroach at ${n} nodes: pinned image pulled, joined to the first three, one init`, async (t) => {
    const doc = composeOf(cockroach(), n);
    const nodes = nodeAddresses(n);
    for (const node of nodes) {
      const db = doc.services[node.name]!;
      t.equal(db.image, COCKROACH_IMAGE);
      t.notOk(db.build, 'pulled, not built');
      t.ok(db.command.includes(`--join=${nodes.slice(0, 3).map((x) => `${x.ip}:26357`).join(',')}`));
      t.ok(db.command.includes(`--advertise-addr=${node.ip}:26357`) && db.command.includes(`--locality=node=${node.name}`));
      t.match(db.healthcheck?.test.join(' '), /health\?ready=1/);
      t.equal(db.mem_limit, '1536m');
      const api = doc.services[`api${node.number}`]!;
      const config = JSON.parse(api.command[api.command.indexOf('--config') + 1]!) as Record<string, string>;
      t.same(config, { url: `postgres://root@${node.ip}:26257/defaultdb?sslmode=disable`, isolation: 'serializable' });
      t.equal(api.command[api.command.indexOf('--adapter') + 1], 'cockroach');
    }
    const init = doc.services[INIT_SERVICE]!;
    t.same([init.image, init.entrypoint, init.depends_on, init.labels['bankrun.role']], [COCKROACH_IMAGE, ['/bin/sh', '-c'], nodes.map((x) => x.name), 'init']);
    t.match(init.command[0], new RegExp(`num_replicas = ${n >= 5 ? 5 : 3}`));
  });
}

t.test('cockroach init: idempotent init against n1\'s RPC port, then the zone and repeatable read', async (t) => {
  const script = initScript(nodeAddresses(1)[0]!, '5');
  t.match(script, /cockroach init --insecure --host=10\.77\.0\.11:26357/);
  t.match(script, /already been initialized/, 'a cluster initialized before counts as done');
  t.match(script, /-e "ALTER RANGE default CONFIGURE ZONE USING num_replicas = 5" -e "SET CLUSTER SETTING sql\.txn\.repeatable_read_isolation\.enabled = true"/,
    'one -e per statement: SET CLUSTER SETTING refuses a multi-statement transaction');
  t.match(script, /\[ \$i -ge 120 \] && \{ echo "\$out"; exit 1; \}/, 'gives up with the last error after two minutes');
});

t.test('cockroach: more replicas than nodes is refused; replicas never change per cell', async (t) => {
  const engine = cockroach();
  t.match(engine.refuseNodes?.(3, { isolation: 'serializable', replicas: '5' }), /--replicas 5 needs at least 5 nodes \(--nodes 3\)/);
  t.equal(engine.refuseNodes?.(5, { isolation: 'serializable', replicas: '5' }), undefined);
  t.equal(engine.refuseNodes?.(3, { isolation: 'serializable', replicas: 'auto' }), undefined, 'auto fits any node count');
  t.same([replicasAt(1), replicasAt(3), replicasAt(5), replicasAt(7), replicasAt(7, '3')], [1, 3, 5, 5, 3], 'auto: 5 where five nodes hold it');
  t.ok(engine.settings.find((s) => s.key === 'replicas')?.runOnly);
});

t.test('cockroach leaseholder: the locality bankrun gives names the node', async (t) => {
  t.equal(nodeOfLocality('node=n3'), 'n3');
  t.equal(nodeOfLocality('region=eu,node=n12'), 'n12');
  t.equal(nodeOfLocality('region=eu'), undefined);
  t.equal(nodeOfLocality(null), undefined);
  t.match(LEASEHOLDER_SQL, /SHOW RANGE FROM TABLE accounts FOR ROW \(''\)/, 'one range\'s lease, not every range\'s details (test/cockroach-leaseholder.test.ts)');
});

for (const n of [3, 5, 7]) {
  t.test(`yugabyte at ${n} nodes: n1 starts the universe, the others join it once it answers`, async (t) => {
    const doc = composeOf(yugabyte(), n);
    const [first, ...others] = nodeAddresses(n);
    const n1 = doc.services.n1!;
    t.equal(n1.image, YUGABYTE_IMAGE);
    t.notOk(n1.build);
    t.notMatch(n1.command[0], /--join/, 'n1 joins nobody');
    for (const node of others) {
      const script = doc.services[node.name]!.command[0]!;
      t.match(script, new RegExp(`if \\[ ! -f .*yugabyted\\.conf \\]; then\\n  until .*pg_isready -h ${first!.ip} -p 5433.*\\n  J=--join=${first!.ip}`), `${node.name} waits for n1 and joins it on its first start only`);
      t.match(script, new RegExp(`--advertise_address=${node.ip}`));
    }
    t.notOk(doc.services[INIT_SERVICE], 'no init step: yugabyted forms the universe');
    t.match(startScript(first!, first!), /--tserver_flags=yb_enable_read_committed_isolation=true/);
  });
}

t.test('the memory check names the need, the engine\'s memory and the fix', async (t) => {
  t.match(refuseMemory(cockroach(), 5, 4 * 2 ** 30), /CockroachDB v25\.4\.13 at 5 nodes needs about 8\.1 GiB .* the Docker engine has 4\.0 GiB\. Give Docker more memory .* or run fewer nodes/);
  t.equal(refuseMemory(cockroach(), 5, 16 * 2 ** 30), undefined);
});

t.test('a missing image with pulling forbidden: the message names the image and the fix', async (t) => {
  const fakeDocker = {
    info: async () => ({ MemTotal: 64 * 2 ** 30 }),
    getImage: () => ({ inspect: async () => { throw new Error('no such image'); } }),
  } as unknown as Parameters<typeof preflight>[0];
  process.env.BANKRUN_NO_PULL = '1';
  t.teardown(() => { delete process.env.BANKRUN_NO_PULL; });
  await t.rejects(preflight(fakeDocker, yugabyte(), 3, () => undefined), /the image yugabytedb\/yugabyte:2025\.2\.3\.0-b149 is not on this Docker engine, and BANKRUN_NO_PULL=1 forbids pulling it: run `docker pull yugabytedb\/yugabyte:2025\.2\.3\.0-b149`/);
});

t.test('cockroach-5node refuses --replicas 5 at 3 nodes and a wrong isolation before anything starts', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bankrun-crdb-'));
  const r = await run('npx', ['tsx', 'notebooks/cockroach-5node.ts', '--out', out, '--nodes', '3', '--replicas', '5']).catch((e) => e);
  t.equal(r.code, 2);
  t.match(r.stderr, /--replicas 5 needs at least 5 nodes/);
  const iso = await run('npx', ['tsx', 'notebooks/cockroach-5node.ts', '--out', out, '--isolation', 'snapshot']).catch((e) => e);
  t.equal(iso.code, 2);
  t.match(iso.stderr, /--isolation: 'snapshot' is not one of serializable, read-committed, repeatable-read/);
  const help = await run('npx', ['tsx', 'notebooks/cockroach-5node.ts', '--help']);
  t.match(help.stdout, /--replicas .*: auto \| 3 \| 5 \| 7 \(default: auto\)/);
});

t.test('docker compose accepts both engines\' files at 3, 5 and 7 nodes', { skip: composeCmd ? false : NO_COMPOSE }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bankrun-compose-'));
  const repo = join(import.meta.dirname, '..');
  for (const engine of [cockroach(), yugabyte()]) {
    for (const n of [3, 5, 7]) {
      const file = join(dir, `${engine.name}-${n}.yml`);
      writeFileSync(file, renderCompose(composeFile({ engine, settings: defaultValues(engine.settings), nodes: n, run: 'r1', repoFromFile: relative(dir, repo), deadlineMs: 4500 })));
      const r = await composeConfig(file);
      t.equal(r.code, 0, `${engine.name} at ${n}: ${composeCmd!.join(' ')} config accepts it ${r.stderr}`);
    }
  }
});

t.test('yugabyte start script under sh: joins n1 on the first start, restarts from its conf without --join', async (t) => {
  const [first, second] = nodeAddresses(2);
  const home = mkdtempSync(join(tmpdir(), 'bankrun-yb-'));
  const bin = (name: string, body: string) => {
    writeFileSync(join(home, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  };
  mkdirSync(join(home, 'bin'));
  mkdirSync(join(home, 'postgres', 'bin'), { recursive: true });
  bin('postgres/bin/pg_isready', 'exit 0');
  bin('bin/yugabyted', 'echo "yugabyted $*"');
  const script = startScript(second!, first!).replaceAll('/home/yugabyte', home);
  const firstStart = await run('sh', ['-c', script]);
  t.match(firstStart.stdout, new RegExp(`yugabyted start .*--advertise_address=${second!.ip} --join=${first!.ip} --ui=false`));
  mkdirSync(join(home, 'yb_data', 'conf'), { recursive: true });
  writeFileSync(join(home, 'yb_data', 'conf', 'yugabyted.conf'), '{}');
  bin('postgres/bin/pg_isready', 'echo "must not wait for n1 on a restart" >&2; exit 1');
  const restart = await run('sh', ['-c', script], { timeout: 5000 });
  t.match(restart.stdout, new RegExp(`--advertise_address=${second!.ip} --ui=false`), 'no --join on a restart');
  t.notMatch(restart.stdout, /--join/);
});
