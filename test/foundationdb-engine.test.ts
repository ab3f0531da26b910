// The FoundationDB engine's compose file at 3, 5 and 7 nodes, without a server (the official image
// cannot be pulled here): the pinned image, one cluster file everywhere, the redundancy and
// coordinators per node count, the init service, the API image with libfdb_c. The node entrypoint
// and the init script run under bash with stand-ins for the image's programs; docker-compose, where
// installed, accepts the file and substitutes none of the scripts' $.
import t from 'tap';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { parseConfig } from '../adapters/foundationdb.ts';
import { composeFile, nodeAddresses, renderCompose } from '../lib/runtime/docker/compose-file.ts';
import { foundationdb } from '../lib/runtime/docker/engines/foundationdb.ts';
import { composeCmd, composeConfig, NO_COMPOSE, type ComposeDoc } from './helpers/compose-check.ts';

type Doc = ComposeDoc;

const IMAGE = 'foundationdb/foundationdb:7.3.79';
const run = promisify(execFile);

const render = (nodes: number, repoFromFile = '../../..') =>
  renderCompose(composeFile({ engine: foundationdb(), settings: {}, nodes, run: 'r1', repoFromFile, deadlineMs: 4500 }));
const doc = (nodes: number, repoFromFile?: string) => parse(render(nodes, repoFromFile)) as Doc;

/** What compose hands the shell: the compose file keeps a script's $ as $$. */
const unescape = (s: string) => s.replace(/\$\$/g, '$');

const expected: Record<number, { redundancy: string; coordinators: number }> = {
  3: { redundancy: 'double', coordinators: 3 },
  5: { redundancy: 'triple', coordinators: 5 },
  7: { redundancy: 'triple', coordinators: 5 },
};

for (const n of [3, 5, 7]) {
  t.test(`${n} nodes: pulled image, one cluster file everywhere, ${expected[n]!.redundancy} with ${expected[n]!.coordinators} coordinators`, async (t) => {
    const d = doc(n);
    const nodes = nodeAddresses(n);
    const cluster = `docker:docker@${nodes.slice(0, expected[n]!.coordinators).map((a) => `${a.ip}:4500`).join(',')}`;
    for (const node of nodes) {
      const db = d.services[node.name]!;
      t.equal(db.image, IMAGE, `${node.name}: the pinned official image`);
      t.equal(db.build, undefined, `${node.name}: pulled, not built`);
      t.same(db.environment, {
        FDB_NETWORKING_MODE: 'container',
        FDB_CLUSTER_FILE: '/var/fdb/fdb.cluster',
        FDB_CLUSTER_FILE_CONTENTS: cluster,
        FDB_PORT: '4500',
      }, `${node.name}: the same cluster file as every other node`);
      t.same(db.command, ['--memory', '2GiB', '--cache-memory', '256MiB'], `${node.name}: laptop memory flags`);
      t.same(db.entrypoint!.slice(0, 5), ['/usr/bin/tini', '-g', '--', 'bash', '-c'], `${node.name}: under tini, as the image runs it`);
      t.match(db.entrypoint![5], /exec \/var\/fdb\/scripts\/fdb\.bash$/, `${node.name}: ends in the image's own script`);
      t.same(db.volumes, [`${node.name}-data:/var/fdb/data`], `${node.name}: its data directory on a named volume`);
      t.equal(db.mem_limit, '2560m');
      t.match(db.healthcheck!.test.join(' '), /fdbcli -C \/var\/fdb\/fdb\.cluster --timeout 5 --exec 'status minimal' \| grep -q 'The database is available'/);

      const api = d.services[`api${node.number}`]!;
      t.equal(api.image, 'bankrun/api-fdb:7.3.79');
      t.equal(api.build!.context, '../../../compose/api-fdb', 'the API image with libfdb_c, built from compose/api-fdb');
      t.equal(api.command[api.command.indexOf('--adapter') + 1], 'foundationdb');
      const config = JSON.parse(api.command[api.command.indexOf('--config') + 1]!) as Record<string, string>;
      t.same(config, { clusterFileContents: cluster }, `api${node.number}: the whole cluster's file, not one node`);
      t.equal(parseConfig(config).clusterFileContents, cluster, 'the adapter accepts it');
    }
    t.equal(cluster.split('@')[1]!.split(',').length, expected[n]!.coordinators);

    const init = d.services.init!;
    t.equal(init.image, IMAGE, 'init runs fdbcli from the same image');
    t.same(init.entrypoint, ['bash', '-c']);
    t.same(init.depends_on, nodes.map((a) => a.name));
    const script = unescape(init.command[0]!);
    t.match(script, `--exec 'configure new ${expected[n]!.redundancy} ssd'`);
    t.match(script, `printf '%s\\n' '${cluster}' > /tmp/fdb.cluster`, 'init writes the same cluster file');
  });
}

t.test('layout and facts say what was configured', async (t) => {
  const e = foundationdb();
  t.equal(e.layout!(3), '3 fdbserver process(es), one per container, class unset; coordinators n1–n3; double redundancy');
  t.equal(e.layout!(7), '7 fdbserver process(es), one per container, class unset; coordinators n1–n5; triple redundancy');
  t.same(e.settings, [], 'no weaker setting to offer');
  t.match(e.facts.isolation, /strictly serializable/);
  t.match(e.title, /7\.3\.79/);
  t.equal(e.imageContext, undefined, 'pulled: the preflight check pulls it when missing');
});

t.test('compose/api-fdb/Dockerfile: libfdb_c from the same server image, compose/api\'s behaviour', async (t) => {
  const root = join(import.meta.dirname, '..');
  const fdb = readFileSync(join(root, 'compose/api-fdb/Dockerfile'), 'utf8');
  const api = readFileSync(join(root, 'compose/api/Dockerfile'), 'utf8');
  const from = fdb.split('\n').filter((l) => l.startsWith('FROM '));
  t.same(from, [`FROM ${IMAGE} AS fdb`, 'FROM node:20-bookworm-slim']);
  t.match(fdb, /^COPY --from=fdb \/usr\/lib\/libfdb_c\.so \/usr\/lib\/libfdb_c\.so$/m);
  const keep = (text: string) => text.split('\n').filter((l) => /^(WORKDIR|ENV|HEALTHCHECK|  CMD|CMD|ENTRYPOINT)/.test(l));
  t.same(keep(fdb), keep(api), 'same workdir, environment, healthcheck and default command; no entrypoint');
});

// ---- the scripts, run with stand-ins ---------------------------------------------------------

function stub(dir: string, name: string, body: string): void {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/bash\n${body}\n`);
  chmodSync(file, 0o755);
}

t.test('node entrypoint: the flags reach fdbserver whether or not the image\'s script passes arguments', async (t) => {
  const entry = doc(3).services.n1!.entrypoint!;
  const flags = doc(3).services.n1!.command;
  const script = unescape(entry[5]!);
  t.ok(script.includes('/tmp/bankrun') && script.includes('/var/fdb/scripts/fdb.bash'), 'the paths replaced below are there');
  // fdb.bash as in 7.3.79 (drops its arguments), and one that passes "$@" on and execs fdbserver,
  // as a later image might: both call fdbserver by name, which finds the wrapper first.
  const variants = {
    'drops its arguments': 'fdbserver --listen-address 0.0.0.0:4500 --public-address 10.77.0.11:4500 --datadir /var/fdb/data',
    'passes "$@", with exec': 'exec fdbserver --listen-address 0.0.0.0:4500 --public-address 10.77.0.11:4500 --datadir /var/fdb/data "$@"',
  };
  for (const [name, line] of Object.entries(variants)) {
    const dir = mkdtempSync(join(tmpdir(), 'bankrun-fdb-node-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    stub(bin, 'fdbserver', `printf '%s\\n' "$@"`);
    stub(dir, 'fdb.bash', line);
    const local = script.replaceAll('/tmp/bankrun', join(dir, 'wrapper')).replaceAll('/var/fdb/scripts/fdb.bash', join(dir, 'fdb.bash'));
    const r = await run('bash', ['-c', local, 'fdb-node', ...flags], { env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` } });
    const args = r.stdout.trim().split('\n');
    t.same(args.slice(0, 6), ['--listen-address', '0.0.0.0:4500', '--public-address', '10.77.0.11:4500', '--datadir', '/var/fdb/data'], `${name}: the script's own flags`);
    t.same(args.slice(6), flags, `${name}: then the laptop flags, once`);
  }
});

async function runInit(fdbcli: string, prelude = '') {
  const script = unescape(doc(5).services.init!.command[0]!);
  const dir = mkdtempSync(join(tmpdir(), 'bankrun-fdb-init-'));
  stub(dir, 'fdbcli', `echo "$*" >> ${dir}/calls\n${fdbcli}`);
  stub(dir, 'sleep', 'true'); // no waiting between attempts
  if (!script.includes('/tmp/fdb.cluster')) throw new Error('the init script no longer writes /tmp/fdb.cluster');
  const local = prelude + script.replaceAll('/tmp/fdb.cluster', join(dir, 'fdb.cluster'));
  const r = await run('bash', ['-c', local], { env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` }, timeout: 20_000 })
    .then((o) => ({ code: 0, ...o }), (e) => ({ code: e.code as number, stdout: String(e.stdout), stderr: String(e.stderr) }));
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
  return { ...r, calls: read('calls').trim().split('\n').filter(Boolean), clusterFile: read('fdb.cluster'), dir };
}

t.test('init: retries until the database is created', async (t) => {
  // Fails twice (no cluster controller yet), then creates it.
  const r = await runInit(`n=$(wc -l < "$(dirname "$0")/calls"); if [ "$n" -lt 3 ]; then echo 'ERROR: timed out' >&2; exit 1; fi; echo 'Database created'`);
  t.equal(r.code, 0, r.stderr);
  t.same(r.calls, Array(3).fill(`-C ${join(r.dir, 'fdb.cluster')} --timeout 10 --exec configure new triple ssd`), 'three attempts of the same command');
  t.equal(r.clusterFile, `docker:docker@${nodeAddresses(5).map((a) => `${a.ip}:4500`).join(',')}\n`);
});

t.test('init: an existing database is success (idempotent)', async (t) => {
  const r = await runInit(`echo "ERROR: Database already exists! To change configuration, don't say \\\`new'" >&2; exit 1`);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.calls.length, 1);
  t.match(r.stdout, /Database already exists/, 'its output stays in the log');
});

t.test('init: gives up with exit 1 and says so when the database never answers', async (t) => {
  // The deadline is bash's SECONDS: start the clock 2 s before it; each attempt takes 0.5 s.
  const r = await runInit("/bin/sleep 0.5; echo 'ERROR: timed out' >&2; exit 1", 'SECONDS=168\n');
  t.equal(r.code, 1);
  t.ok(r.calls.length >= 2 && r.calls.length <= 8, `it kept trying until the deadline (${r.calls.length} attempts)`);
  t.match(r.stderr, 'configure new triple ssd: no success in 170 s');
});

// ---- docker-compose itself ---------------------------------------------------------------------

t.test('docker compose accepts the file at 3, 5 and 7 nodes and leaves the scripts\' $ alone', { skip: composeCmd ? false : NO_COMPOSE }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bankrun-compose-fdb-'));
  const repo = join(import.meta.dirname, '..');
  for (const n of [3, 5, 7]) {
    const file = join(dir, `fdb-${n}.yml`);
    const text = render(n, relative(dir, repo));
    writeFileSync(file, text);
    const written = parse(text) as Doc;
    const q = await composeConfig(file);
    t.equal(q.code, 0, `${n} nodes: ${composeCmd!.join(' ')} config -q accepts it ${q.stderr}`);
    // Compose warns of every $VAR it substitutes, and prints the file back with literal $ as $$.
    const full = await composeConfig(file, false);
    t.notMatch(full.stderr, /variable is not set/i, 'no $ of a script is taken for a compose variable');
    const resolved = parse(full.stdout) as Doc;
    t.equal(resolved.services.n1!.entrypoint![5], written.services.n1!.entrypoint![5], 'the node script is left as written');
    t.equal(resolved.services.init!.command[0], written.services.init!.command[0], 'the init script is left as written');
  }
});
