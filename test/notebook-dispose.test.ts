// `await using nb = await notebook(…)`: a notebook that throws after some cells still writes the
// report of those cells; the error still ends the run non-zero.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

t.test('a notebook that throws after a cell: the report of that cell is written, and the run exits 1', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bankrun-dispose-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = await promisify(execFile)('npx', ['tsx', 'test/fixtures/notebooks/memory-throws.ts', '--duration', '2s', '--seed', '3', '--out', out], { timeout: 120_000 })
    .then((x) => ({ code: 0, ...x }), (e: { code: number; stdout: string; stderr: string }) => e);
  t.equal(r.code, 1, 'the notebook\'s own error ends the run');
  t.match(r.stderr, /the notebook failed after its first cell/);
  t.match(r.stdout, /the notebook stopped before its report: writing the report of the cells so far/);
  t.match(r.stdout, /✅ valid/);
  const runs = join(out, 'memory-throws');
  const dir = join(runs, readdirSync(runs)[0]!);
  t.ok(existsSync(join(dir, 'history.jsonl.gz')), 'the history is saved');
  t.match(readFileSync(join(dir, 'report.md'), 'utf8'), /steady/, 'the report has the cell that ran');
});
