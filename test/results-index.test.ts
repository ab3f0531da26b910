// results/README.md: every run folder with its headline figures, newest first; comparisons listed;
// a broken folder is said and left out, never the reason the index is not written.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { recoveryFigures } from '../lib/report/recovery.ts';
import { renderResultsIndex } from '../lib/report/results-index.ts';
import { runFixture } from './helpers/run-fixture.ts';

t.test('one row per run, newest first, with the headline figures', async (t) => {
  const older = runFixture();
  const newer = { ...runFixture({ anomalies: true }), startedAt: '2030-01-01T00:00:00.000Z' };
  const md = renderResultsIndex([{ path: 'a/old', run: older }, { path: 'b/new', run: newer }], [{ path: 'compare/x', title: 'bankrun comparison — x' }]);
  const rows = md.split('\n').filter((l) => l.startsWith('| ['));
  t.equal(rows.length, 2);
  t.match(rows[0], /^\| \[[^\]]+\]\(b\/new\/report\.md\) \| 2030-01-01 00:00 \|[^|]+\| 3 \| ❌ invalid \|/, 'newest first, its verdict');
  const steady = older.cells.find((c) => c.name === 'steady')!;
  const worstMs = Math.max(...older.cells.flatMap((c) => recoveryFigures(c).filter((f) => f.applied).map((f) => f.unavailableMs)));
  t.match(rows[1], `| ✅ valid | ${Math.round(steady.metrics.okPerSecond)} |`, 'steady ok transfers/s');
  t.match(rows[1], `| ${(worstMs / 1000).toFixed(1)}`, 'the worst unavailability');
  t.match(md, /## Comparisons\n\n- \[bankrun comparison — x\]\(compare\/x\/report\.md\)/);
});

t.test('scripts/index-results.ts over a results folder', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'bankrun-index-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  cpSync('results/quickstart/2026-11-25T231521Z', join(root, 'quickstart', '2026-11-25T231521Z'), { recursive: true });
  mkdirSync(join(root, 'compare', '2026-11-26T000000Z'), { recursive: true });
  writeFileSync(join(root, 'compare', '2026-11-26T000000Z', 'report.md'), '# bankrun comparison — 2026-11-26 00:00:00 UTC\n');
  mkdirSync(join(root, 'broken', '2026-11-26T000000Z'), { recursive: true });
  writeFileSync(join(root, 'broken', '2026-11-26T000000Z', 'report.md'), '# broken\n');
  writeFileSync(join(root, 'broken', '2026-11-26T000000Z', 'history.jsonl'), 'not json\n');
  const r = await promisify(execFile)('npx', ['tsx', 'scripts/index-results.ts', '--results', root]);
  t.match(r.stdout, /README\.md: 1 run\(s\), 1 comparison\(s\)/);
  t.match(r.stderr, /broken\/2026-11-26T000000Z left out: .*params\.json is missing/, 'the broken folder is named, with why');
  const index = readFileSync(join(root, 'README.md'), 'utf8');
  t.match(index, /\| \[quickstart\]\(quickstart\/2026-11-25T231521Z\/report\.md\) \| 2026-11-25 23:15 \| PostgreSQL [^|]+ \| 1 \| ✅ valid \|/);
  t.match(index, /- \[bankrun comparison — 2026-11-26 00:00:00 UTC\]\(compare\/2026-11-26T000000Z\/report\.md\)/);
});
