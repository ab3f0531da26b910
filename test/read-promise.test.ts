// The engine's promise about reads, per engine and setting, and how the report judges it against
// the realtime-read check's counts.
import t from 'tap';
import { judgeReadPromise, readPromiseTable } from '../lib/report/read-promise.ts';
import { renderMarkdown } from '../lib/report/markdown.ts';
import { runFixture } from './helpers/run-fixture.ts';
import type { SegmentVerdict } from '../lib/check/verdict.ts';
import { etcd } from '../lib/runtime/docker/engines/etcd.ts';
import { postgresReplicas } from '../lib/runtime/docker/engines/postgres.ts';
import { ydb } from '../lib/runtime/docker/engines/ydb.ts';
import { galera } from '../lib/runtime/docker/engines/galera.ts';

const verdict = (realtime?: { checked: number; stale: number }): SegmentVerdict => ({
  valid: true, anomalies: {}, transfers: { ok: 0, fail: 0, info: 0 }, reads: { ok: 0, fail: 0, info: 0 },
  indeterminate: { total: 0, applied: 0, notApplied: 0, unresolved: 0 },
  ...(realtime ? { realtime } : {}),
});

t.test('a promise of fresh reads with a stale read is broken; without one it is kept', async (t) => {
  const fresh = { fresh: true, why: 'one node' };
  const broken = judgeReadPromise({ readPromise: fresh, verdict: verdict({ checked: 100, stale: 3 }) });
  t.equal(broken.verdict, 'broken');
  t.match(broken.text, /3 stale of 100 checked: promise broken/);
  t.equal(judgeReadPromise({ readPromise: fresh, verdict: verdict({ checked: 100, stale: 0 }) }).verdict, 'kept');
});

t.test('stale reads where none were promised are counted, not judged; nothing checked is said so', async (t) => {
  const local = { fresh: false, why: 'served locally' };
  const r = judgeReadPromise({ readPromise: local, verdict: verdict({ checked: 50, stale: 20 }) });
  t.equal(r.verdict, 'not promised');
  t.match(r.text, /not promised fresh \(served locally\); 20 stale of 50 checked$/);
  t.equal(judgeReadPromise({ readPromise: { fresh: true, why: 'x' }, verdict: verdict() }).verdict, 'not checked');
  t.equal(judgeReadPromise({ verdict: verdict({ checked: 5, stale: 5 }) }).verdict, 'not stated', 'an engine that states nothing is never judged broken');
});

t.test('each engine promises according to the cell\'s read mode and routing', async (t) => {
  t.equal(etcd().freshReads({ readMode: 'linearizable' }, 'all').fresh, true);
  t.equal(etcd().freshReads({ readMode: 'serializable' }, 'all').fresh, false);
  t.equal(postgresReplicas().freshReads({}, 'one').fresh, true, 'every read to the primary');
  t.equal(postgresReplicas().freshReads({}, 'all').fresh, false, 'reads through the replicas');
  t.equal(ydb().freshReads({ readMode: 'serializable' }, 'all').fresh, true);
  t.equal(ydb().freshReads({ readMode: 'stale' }, 'all').fresh, false);
  t.equal(galera().freshReads({}, 'all').fresh, true);
});

t.test('the report\'s table names each cell\'s promise, the counts and the judgement', async (t) => {
  const cell = (name: string, readPromise: { fresh: boolean; why: string } | undefined, realtime?: { checked: number; stale: number }) =>
    ({ name, verdict: verdict(realtime), ...(readPromise ? { readPromise } : {}) }) as unknown as import('../lib/report/model.ts').CellReport;
  const md = readPromiseTable([
    cell('steady', { fresh: true, why: 'linearizable reads' }, { checked: 1200, stale: 0 }),
    cell('isolate n1', { fresh: true, why: 'linearizable reads' }, { checked: 80, stale: 2 }),
    cell('serializable', { fresh: false, why: 'served locally' }, { checked: 90, stale: 35 }),
    cell('byo', undefined, { checked: 10, stale: 0 }),
  ]);
  t.match(md, /\| steady \| fresh: linearizable reads \| 0 \/ 1,200 \| ✅ kept \|/);
  t.match(md, /\| isolate n1 \| fresh: linearizable reads \| 2 \/ 80 \| ❌ broken \|/);
  t.match(md, /\| serializable \| may be stale: served locally \| 35 \/ 90 \| not promised \|/);
  t.match(md, /\| byo \| — \| 0 \/ 10 \| not stated \|/);
});

t.test('the report names a broken promise under the headline and lists every cell\'s promise', async (t) => {
  const run = runFixture();
  const [first, ...rest] = run.cells;
  const cells = [
    { ...first!, readPromise: { fresh: true, why: 'one node serves every read' }, verdict: { ...first!.verdict, realtime: { checked: 40, stale: 2 } } },
    ...rest.map((c) => ({ ...c, readPromise: { fresh: false, why: 'replicas' }, verdict: { ...c.verdict, realtime: { checked: 10, stale: 4 } } })),
  ];
  const md = renderMarkdown({ ...run, cells }, []);
  t.match(md, new RegExp(`Fresh reads were promised and stale reads served\\*\\* in "${first!.name}"`));
  t.match(md, /## Realtime reads[^]*\| cell \| the engine promises \| stale \/ checked \| promise \|/);
  const kept = renderMarkdown({ ...run, cells: cells.map((c) => ({ ...c, readPromise: { fresh: false, why: 'replicas' } })) }, []);
  t.notMatch(kept, /Fresh reads were promised and stale reads served/, 'stale reads nobody promised against are not a broken promise');
});
