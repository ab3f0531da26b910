// scripts/report.ts: a run's report rebuilt from its folder gives the same verdict and the same
// figures as the live run; a folder that is not a run is refused with what is missing.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { cell, faults, notebook } from '../lib/notebook.ts';
import { rebuildRun, RebuildError, rerender } from '../lib/report/rebuild.ts';
import { embeddedMemory } from '../lib/runtime/embedded.ts';

const out = mkdtempSync(join(tmpdir(), 'bankrun-rebuild-'));
t.teardown(() => rmSync(out, { recursive: true, force: true }));

/** The report without the line that says when and how it was re-rendered. */
const withoutRerenderLine = (markdown: string) => markdown.split('\n').filter((l) => !l.startsWith('- **re-rendered:**')).join('\n');

t.test('a short memory run, re-rendered, has the verdict, counts and quantiles of the original', async (t) => {
  const nb = await notebook('rebuild', { argv: ['--duration', '2s', '--rate', '300', '--fault-for', '1s', '--seed', '11', '--out', out] });
  await nb.up(embeddedMemory());
  await nb.run(cell('steady'));
  await nb.run(cell('closed loop', { loop: 'closed', workers: 4 }));
  await nb.run(cell('pause n1', { fault: faults.pause() }));
  const original = await nb.report();
  process.exitCode = 0;
  const liveReport = readFileSync(join(original.dir, 'report.md'), 'utf8');

  const { run, gaps } = await rebuildRun(original.dir);
  t.same(gaps, [], 'nothing had to be approximated');
  t.equal(run.check.valid, original.check.valid, `verdict ${original.check.valid}`);
  t.same(run.check, original.check, 'the same check result, per cell too');
  t.equal(run.cells.length, 3);
  for (const [i, c] of run.cells.entries()) {
    const live = original.run.cells[i]!;
    t.ok(live.metrics.allTransfers.count > 0, `${live.name}: the live run recorded transfers`);
    t.same(c.metrics, live.metrics, `${c.name}: every count, quantile and per-second figure as live`);
    t.same({ ...c, metrics: null }, { ...live, metrics: null }, `${c.name}: settings, times, faults and verdict as live`);
  }

  await rerender(original.dir, { html: true });
  t.equal(withoutRerenderLine(readFileSync(join(original.dir, 'report.md'), 'utf8')), liveReport, 'report.md is the live one, plus the line that says it was re-rendered');
  t.match(readFileSync(join(original.dir, 'report.md'), 'utf8'), /- \*\*re-rendered:\*\* \d{4}-\d\d-\d\d \d\d:\d\d UTC from the saved history\n/);
  const html = readFileSync(join(original.dir, 'report.html'), 'utf8');
  t.match(html, /^<!DOCTYPE html>/);
  t.equal((html.match(/<div class="chart" id="chart-\d+"/g) ?? []).length, (liveReport.match(/!\[[^\]]*\]\(charts\/[^)]+\.svg\)/g) ?? []).length, 'every chart of report.md is an interactive chart');
});

t.test('a run saved before cell records still re-renders, and says what it approximated', async (t) => {
  const dir = join(out, 'old');
  cpSync('results/quickstart/2026-11-25T231521Z', dir, { recursive: true });
  const { run, gaps } = await rebuildRun(dir);
  t.equal(run.check.valid, true);
  t.same(run.cells.map((c) => c.name), ['steady', 'kill -9 n1 and restart', 'pause n1']);
  t.match(gaps.join('\n'), /cell start and end taken from each cell's first and last operation/);
  t.match(String(run.environment['re-rendered']), /this run did not save everything, so: cell start and end/);
  t.equal(run.cells[1]!.faults[0]!.kind, 'kill', 'faults from schedule.json');
  const committed = readFileSync(join(dir, 'report.md'), 'utf8');
  const okCounts = [...committed.matchAll(/^\| transfer \| ok \| ([\d,]+) \|/gm)].map((m) => Number(m[1]!.replace(/,/g, '')));
  t.same(run.cells.map((c) => c.metrics.transfers.ok.count), okCounts, 'each cell\'s ok transfers as the committed report counted them');
});

t.test('a folder without a history is refused with what to give instead', async (t) => {
  const empty = mkdtempSync(join(out, 'empty-'));
  await t.rejects(rebuildRun(empty), new RebuildError(`${empty} has no history.jsonl.gz or history.jsonl: give the folder of one run, as a notebook writes it (results/<notebook>/<timestamp>/)`));
  const r = await promisify(execFile)('npx', ['tsx', 'scripts/report.ts', empty]).catch((e: { code: number; stderr: string }) => e);
  t.equal((r as { code: number }).code, 2, 'exit 2');
  t.match((r as { stderr: string }).stderr, /has no history\.jsonl\.gz or history\.jsonl/);
  t.notOk(existsSync(join(empty, 'report.md')), 'nothing written');
});
