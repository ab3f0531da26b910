// The API node bundle that containers run: every adapter bundles into one file that loads and runs
// with plain node from a folder with no node_modules anywhere above it; native or optional
// packages stay run-time imports; the API node images run it and install nothing of the host's.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ApiClient } from '../lib/api/client.ts';
import { buildApiBundle, EXTERNAL } from '../lib/api/bundle.ts';
import { API_MOUNT, API_BUNDLE_FILE } from '../lib/runtime/docker/compose-file.ts';

const repo = join(import.meta.dirname, '..');
const adapters = readdirSync(join(repo, 'adapters')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
const scratch = mkdtempSync(join(tmpdir(), 'bankrun-api-bundle-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

/** Whether Node could find a node_modules from `dir` upwards: then a bundle there proves nothing. */
function nodeModulesAbove(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) return join(d, 'node_modules');
    if (dirname(d) === d) return undefined;
  }
}

interface Exit { code: number | null; stdout: string; stderr: string }

/** Runs a bundle with plain node: no loader, no tsx. */
function runBundle(file: string, args: string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { cwd: dirname(file), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject).once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('the scratch folder has no node_modules above it', async (t) => {
  t.equal(nodeModulesAbove(scratch), undefined, 'the bundles below run without any node_modules in reach');
});

for (const adapter of adapters) {
  t.test(`${adapter}: one file that loads with plain node and no node_modules`, async (t) => {
    const file = join(scratch, adapter, 'api.mjs');
    const bundle = await buildApiBundle(adapter, file);
    t.comment(`${adapter}: ${(bundle.bytes / 1e6).toFixed(2)} MB in ${bundle.ms.toFixed(0)} ms`);
    const builtin = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    t.same(bundle.imports.filter((i) => !builtin.has(i) && !EXTERNAL.includes(i)), [], 'it imports Node\'s built-ins and the optional native packages only');
    // Static imports run before the flags are read: a usage error means every bundled module loaded.
    const r = await runBundle(file, ['--name', 'n1', '--adapter', 'not-this-one']);
    t.equal(r.code, 2, `exit 2 for another adapter's name\n${r.stderr}`);
    t.match(r.stderr, `this API node holds the adapter "${adapter}" only, not "not-this-one"`);
    t.match(r.stderr, /usage: node api\.mjs --name/);
  });
}

t.test('etcd: its gRPC definitions are copied beside the bundle, which reads them there', async (t) => {
  const dir = join(scratch, 'etcd');
  t.same(readdirSync(join(dir, 'etcd3-proto')).sort(), ['auth.proto', 'kv.proto', 'rpc.proto']);
  t.match(readFileSync(join(dir, 'api.mjs'), 'utf8'), '`${__bankrunDir}/etcd3-proto/rpc.proto`');
});

t.test('foundationdb: the binding is not bundled; where it is missing, the adapter says so', async (t) => {
  const r = await runBundle(join(scratch, 'foundationdb', 'api.mjs'), ['--name', 'n1', '--adapter', 'foundationdb', '--config', '{}']);
  t.equal(r.code, 1, 'exit 1: the adapter cannot start');
  t.match(r.stderr, /FoundationDB adapter: [^\n]*"?foundationdb"?/, 'the adapter\'s own message about the missing package');
  t.notMatch(readFileSync(join(scratch, 'foundationdb', 'api.mjs'), 'utf8'), 'node_modules/foundationdb/', 'none of the package inside');
});

t.test('memory: the bundle serves the API', async (t) => {
  const child = spawn(process.execPath, [join(scratch, 'memory', 'api.mjs'), '--name', 'n1', '--adapter', 'memory', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8').once('data', (line: string) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`exited ${code} before listening`)));
  });
  const client = new ApiClient({ name: 'n1', url: `http://127.0.0.1:${port}` });
  t.teardown(() => client.close());
  t.same(await client.health(), { type: 'ok', value: { status: 'up', node: 'n1' } });
  t.match(await client.setup({ a: 10, b: 0 }), { type: 'ok' });
  t.match(await client.transfer({ id: 't1', from: 'a', to: 'b', amount: 4 }), { type: 'ok' });
  t.same(await client.audit(), { type: 'ok', value: { balances: { a: 6, b: 4 }, transfers: ['t1'] } });
});

t.test('an adapter that is not in adapters/ is refused before anything is built', async (t) => {
  await t.rejects(buildApiBundle('../lib/store', join(scratch, 'x', 'api.mjs')), /an adapter name from adapters\//);
  await t.rejects(buildApiBundle('no-such-adapter', join(scratch, 'y', 'api.mjs')), /no adapter "no-such-adapter"/);
  t.notOk(existsSync(join(scratch, 'x')) || existsSync(join(scratch, 'y')), 'nothing written');
});

t.test('the API node images run the bundle with plain node and take nothing from the host', async (t) => {
  const api = readFileSync(join(repo, 'compose/api/Dockerfile'), 'utf8');
  const fdb = readFileSync(join(repo, 'compose/api-fdb/Dockerfile'), 'utf8');
  for (const [name, text] of [['api', api], ['api-fdb', fdb]] as const) {
    t.match(text, new RegExp(`^WORKDIR ${API_MOUNT}$`, 'm'), `${name}: works where the bundle is mounted`);
    t.match(text, new RegExp(`^CMD \\["node", "${API_MOUNT}/${API_BUNDLE_FILE.replace('.', '\\.')}", `, 'm'), `${name}: runs the bundle with plain node`);
    t.notMatch(text, /tsx|--import/, `${name}: no TypeScript loader`);
    const copies = text.split('\n').filter((l) => /^(COPY|ADD)\b/.test(l));
    t.ok(copies.every((l) => l.startsWith('COPY --from=fdb ')), `${name}: copies nothing from the build context (${copies.join('; ')})`);
  }
});

t.test('api-fdb: its own foundationdb package, the version of the lockfile, beside libfdb_c, resolvable from the bundle', async (t) => {
  const fdb = readFileSync(join(repo, 'compose/api-fdb/Dockerfile'), 'utf8');
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  const version = lock.packages['node_modules/foundationdb']!.version;
  const lines = fdb.split('\n');
  const copyLib = lines.findIndex((l) => /^COPY --from=fdb \/usr\/lib\/libfdb_c\.so /.test(l));
  const install = lines.findIndex((l) => l.includes(`npm install`) && l.includes(`foundationdb@${version}`));
  t.ok(copyLib >= 0 && install > copyLib, `npm install foundationdb@${version} (package-lock.json's) after libfdb_c is in place, so its install loads the prebuilt binding`);
  t.match(fdb, /ln -s \/opt\/bankrun-fdb\/node_modules \/node_modules/, 'in /node_modules, where an import from /bankrun-api looks last');
  t.match(fdb, new RegExp(`cd ${API_MOUNT} && node --input-type=module -e "await import\\('foundationdb'\\)"`), 'the build imports it as the bundle will');
  t.ok(EXTERNAL.includes('foundationdb'), 'and the bundle leaves it out');
});
