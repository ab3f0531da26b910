// Engine settings end to end on the embedded PostgreSQL: the adapter opens its sessions with them,
// and a notebook's flags and a cell's settings reach the API node and are stated in the report.
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, type PgBankStore } from '../adapters/postgres.ts';
import { cell, notebook } from '../lib/notebook.ts';
import { startPostgresNode } from '../lib/runtime/embedded-postgres.ts';
import { embeddedPostgres } from '../lib/runtime/embedded.ts';

t.test('the adapter opens its sessions with the isolation and synchronous_commit it is given', async (t) => {
  const node = await startPostgresNode({ name: 'settings' });
  t.teardown(() => node.destroy());
  for (const [isolation, synchronousCommit, shown] of [
    ['read-committed', 'off', 'read committed'],
    ['repeatable read', 'on', 'repeatable read'],
  ] as const) {
    const store = (await create({ url: node.url, isolation, synchronousCommit })) as PgBankStore;
    const iso = await store.pool.query<{ default_transaction_isolation: string }>('SHOW default_transaction_isolation');
    const sync = await store.pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    t.same([iso.rows[0]!.default_transaction_isolation, sync.rows[0]!.synchronous_commit], [shown, synchronousCommit], `${isolation}, ${synchronousCommit}`);
    await store.close();
  }
  await t.rejects(create({ url: node.url, synchronousCommit: 'sometimes' }), /synchronousCommit must be on or off/);
});

t.test('a notebook: the flag sets the run, a cell changes it, the report states each cell\'s', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bankrun-settings-'));
  const nb = await notebook('settings-test', { argv: ['--duration', '2s', '--rate', '50', '--seed', '5', '--out', out, '--synchronous-commit', 'off'] });
  await nb.up(embeddedPostgres());
  await nb.run(cell('run settings'));
  await nb.run(cell('read committed', { settings: { isolation: 'read-committed' } }));
  await nb.run(cell('back to the run settings'));
  const { dir, check } = await nb.report();
  t.equal(check.valid, true);
  const report = readFileSync(join(dir, 'report.md'), 'utf8');
  const line = (name: string) => report.split(`## `).find((s) => s.includes(name) && s.includes('**Settings:**'))?.split('\n').find((l) => l.startsWith('**Settings:**')) ?? '';
  t.match(line('run settings'), /isolation serializable · synchronous_commit off \(acknowledged before the WAL flush\)/);
  t.match(line('read committed'), /isolation read committed · synchronous_commit off/);
  t.match(line('back to the run settings'), /isolation serializable/);
  t.match(report, /Retries per transfer \(conflicts the adapter retried; [\d,]+ transfers reported a count\): 0 × [\d,]+/, 'each cell gives the retries per transfer');
  t.match(report, /\| stale reads \|/, 'and the stale reads it checked');
  const params = JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8')) as { settings: Record<string, string>; command: string; cells: { settings: Record<string, string> }[] };
  t.same(params.settings, { isolation: 'serializable', synchronousCommit: 'off' });
  t.same(params.cells.map((c) => c.settings.isolation), ['serializable', 'read-committed', 'serializable']);
  t.match(params.command, /--isolation serializable --synchronous-commit off$/, 'the re-run command carries the settings');
});
