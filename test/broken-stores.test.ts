// The checker's self-test: stores with one classic bug each (test/fixtures/broken-stores) run
// through the real drivers, API node and checker (notebooks/byo.ts), and each must be flagged
// with the anomaly class its bug produces; the same store without a bug must pass the same run.
// Three cells of 3 s (open loop at 200/s, closed loop with 16 workers, all to one node): enough
// concurrency that the bugs needing it show up every run.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnomalyClass } from '../lib/check/verdict.ts';
import { checkFile } from '../lib/check/check-file.ts';
import { runNotebook } from './helpers/run-notebook.ts';

const FLAWS: [flaw: string, expected: AnomalyClass | null][] = [
  ['none', null],
  ['lost-update', 'ledger-mismatch'],
  ['overdraft', 'negative'],
  ['ack-before-commit', 'lost'],
  ['blind-retry', 'double-apply'],
  ['error-after-commit', 'failed-but-applied'],
  ['read-skew', 'wrong-total'],
  ['phantom-ledger', 'phantom'],
];

t.test('a store whose reads come from a copy refreshed every 50 ms: money right, stale reads caught', async (t) => {
  const adapter = join('test', 'fixtures', 'broken-stores', 'flaws', 'stale-read.ts');
  const r = await runNotebook('byo', ['--adapter', adapter, '--config', '{}', '--duration', '3s', '--reads', '0.3', '--seed', '11'], 120_000);
  const check = await checkFile(join(r.dir, 'history.jsonl.gz'));
  t.equal(check.valid, true, 'no money anomaly: every read adds up');
  t.ok(check.realtime!.stale > 0, `stale reads: ${check.realtime!.stale} of ${check.realtime!.checked}`);
  t.match(r.stdout, /⚠️ \d+ stale read\(s\)/, 'the terminal says so');
  t.match(readFileSync(join(r.dir, 'report.md'), 'utf8'), /## Realtime reads[^]*\*\*[\d,]+ stale reads?\*\*/, 'and the report');
});

for (const [flaw, expected] of FLAWS) {
  t.test(expected ? `a store with ${flaw} is caught as ${expected}` : 'the same store without a bug is valid', async (t) => {
    const adapter = join('test', 'fixtures', 'broken-stores', 'flaws', `${flaw}.ts`);
    const r = await runNotebook('byo', ['--adapter', adapter, '--config', '{}', '--duration', '3s', '--reads', '0.3', '--seed', '11'], 120_000);
    t.ok(r.dir, 'a run was written', { stdout: r.stdout, stderr: r.stderr });
    // The verdict as scripts/check.ts gives it: from the history file alone.
    const check = await checkFile(join(r.dir, 'history.jsonl.gz'));
    if (expected === null) {
      t.equal(check.valid, true, `valid: ${JSON.stringify(check.anomalies)}`);
      t.equal(r.code, 0);
      t.ok(check.realtime!.checked > 100, `its reads carry versions and were checked (${check.realtime!.checked})`);
      t.equal(check.realtime!.stale, 0, 'no stale read');
    } else {
      t.equal(check.valid, false);
      t.ok(check.anomalies[expected]?.count, `${expected} found: ${JSON.stringify(Object.fromEntries(Object.entries(check.anomalies).map(([k, v]) => [k, v!.count])))}`);
      t.equal(r.code, 1, 'the notebook exits 1');
    }
  });
}
