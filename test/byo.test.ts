// Bring your own database: the worked example adapter (adapters/examples/interactive-sql.ts),
// copied to a folder outside the repository as a user's own code would be, keeps the contract
// (npm run contract -- --adapter …) and runs in notebooks/byo.ts, against a real PostgreSQL.
import t from 'tap';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CASES } from '../lib/contract/cases.ts';
import { startPostgresNode } from '../lib/runtime/embedded-postgres.ts';
import { runNotebook } from './helpers/run-notebook.ts';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..');

/** The example in a project of its own: its file and a node_modules that has `pg`. */
function userProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'my-db-'));
  copyFileSync(join(repo, 'adapters', 'examples', 'interactive-sql.ts'), join(dir, 'my-db.ts'));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

t.test('a user\'s adapter outside the repository passes the contract and runs in a notebook', async (t) => {
  const node = await startPostgresNode({ name: 'byo' });
  t.teardown(() => node.destroy());
  const adapter = join(userProject(), 'my-db.ts');
  const config = JSON.stringify({ url: node.url });
  const out = mkdtempSync(join(tmpdir(), 'bankrun-byo-'));

  const contract = await run('npx', ['tsx', 'scripts/contract.ts', '--adapter', adapter, '--config', config, '--config', config, '--out', out], { timeout: 120_000 });
  t.match(contract.stdout, new RegExp(`${CASES.length} passed, 0 failed`), 'every case of the contract passes', { stdout: contract.stdout });

  const r = await runNotebook('byo', ['--adapter', adapter, '--config', config, '--config', config, '--duration', '2s', '--seed', '3', '--rate', '50'], 180_000);
  t.equal(r.code, 0, 'exit 0', { stdout: r.stdout, stderr: r.stderr });
  t.match(r.stdout, /✅ valid/);
  const report = readFileSync(join(r.dir, 'report.md'), 'utf8');
  t.match(report, /external, through .*my-db\.ts/, 'the report names the adapter');
  t.match(report, /2 API node\(s\), local processes; the database is not bankrun's/);
});

t.test('byo and contract say what is missing', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bankrun-byo-'));
  const none = await run('npx', ['tsx', 'notebooks/byo.ts', '--out', out]).catch((e) => e);
  t.equal(none.code, 2);
  t.match(none.stderr, /--adapter: name your adapter module once, e\.g\. --adapter \.\/my-db\.ts/);
  const noConfig = await run('npx', ['tsx', 'notebooks/byo.ts', '--adapter', './x.ts', '--out', out]).catch((e) => e);
  t.match(noConfig.stderr, /--config: give one JSON object of strings per database node/);
  const badConfig = await run('npx', ['tsx', 'scripts/contract.ts', '--adapter', './x.ts', '--config', '{"port":5432}', '--out', out]).catch((e) => e);
  t.equal(badConfig.code, 2);
  t.match(badConfig.stderr, /--config #1 must be a JSON object of string values \(quote numbers too\)/);
  const missing = await run('npx', ['tsx', 'scripts/contract.ts', '--adapter', join(out, 'nope.ts'), '--config', '{}', '--out', out]).catch((e) => e);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /adapter module .*nope\.ts does not exist/);
});
