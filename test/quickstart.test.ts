// The quickstart notebook end to end, as a user runs it: a real embedded PostgreSQL, a real API
// node process, kill -9 and pause faults, the report and the files beside it.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkFile } from '../lib/check/check-file.ts';
import { runNotebook } from './helpers/run-notebook.ts';

const run = promisify(execFile);
const QUICKSTART = 'notebooks/quickstart.ts';

// Deno runs it exactly as the README says: npx deno run -A notebooks/quickstart.ts --duration 5s
for (const [runtime, command, duration] of [['tsx', ['tsx'], '6s'], ['Deno', ['deno', 'run', '-A'], '5s']] as const) {
  t.test(`quickstart under ${runtime}: valid verdict, faults applied and shown, files complete`, async (t) => {
    const r = await runNotebook('quickstart', ['--duration', duration, '--fault-for', '2s', '--seed', '7'], 240_000, command);
    t.equal(r.code, 0, `exit 0\n${r.stdout}\n${r.stderr}`);
    t.match(r.stdout, /⚡ .* kill n1 — applied/);
    t.match(r.stdout, /⚡ .* pause n1 — applied/);
    t.match(r.stdout, /✅ valid/);
    const dir = r.dir;
    for (const f of ['report.md', 'history.jsonl.gz', 'params.json', 'schedule.json']) t.ok(existsSync(join(dir, f)), f);

    const report = readFileSync(join(dir, 'report.md'), 'utf8');
    t.match(report, /✅ valid/);
    t.match(report, /kill -9 n1 and restart/);

    const svgs = readdirSync(join(dir, 'charts')).filter((f) => f.endsWith('.svg'));
    t.ok(svgs.length >= 2, `${svgs.length} SVG charts`);
    const killChart = readFileSync(join(dir, 'charts', svgs.find((f) => f.startsWith('kill') && f.includes('throughput'))!), 'utf8');
    t.match(killChart, /kill n1/, 'the kill is a labelled band on its chart');
    const pauseChart = readFileSync(join(dir, 'charts', svgs.find((f) => f.startsWith('pause') && f.includes('latency'))!), 'utf8');
    t.match(pauseChart, /pause n1/, 'the pause is a labelled band on its chart');

    const schedule = JSON.parse(readFileSync(join(dir, 'schedule.json'), 'utf8')) as { cell: string; faults: { status: string; verified: boolean }[] }[];
    const applied = schedule.flatMap((c) => c.faults);
    t.equal(applied.length, 2);
    t.ok(applied.every((f) => f.status === 'applied' && f.verified), 'both faults applied and verified');

    const params = JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8'));
    t.equal(params.params.seed, 7);

    // The archived history checks out on its own, independently of the run's own verdict.
    const check = await checkFile(join(dir, 'history.jsonl.gz'));
    t.equal(check.valid, true);
    t.equal(check.audits, 3, 'one audit per cell');
    t.ok(check.transfers.ok > 100, `${check.transfers.ok} ok transfers`);
    if (runtime === 'tsx') {
      // The command-line checker re-checks the archive, cell by cell, from params.json.
      const cli = await run('npx', ['tsx', 'scripts/check.ts', join(dir, 'history.jsonl.gz'), '--segments-file', join(dir, 'params.json')]);
      const verdict = JSON.parse(cli.stdout);
      t.equal(verdict.valid, true);
      t.same(Object.keys(verdict.segments), ['steady', 'kill -9 n1 and restart', 'pause n1']);
    }
  });
}

t.test('a wrong flag stops the notebook before anything starts', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bankrun-quickstart-'));
  const r = await run('npx', ['tsx', QUICKSTART, '--out', out, '--rate', 'fast']).catch((e) => e);
  t.equal(r.code, 2);
  t.match(r.stderr, /--rate: 'fast' is not a number/);
  const nodes = await run('npx', ['tsx', QUICKSTART, '--out', out, '--nodes', '3']).catch((e) => e);
  t.equal(nodes.code, 2);
  t.match(nodes.stderr, /--nodes 3: embedded PostgreSQL runs a single node/);
  const unknown = await run('npx', ['tsx', QUICKSTART, '--out', out, '--bogus', '1']).catch((e) => e);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown option --bogus \(this engine's settings: --isolation, --synchronous-commit\)/);
  const setting = await run('npx', ['tsx', QUICKSTART, '--out', out, '--isolation', 'snapshot']).catch((e) => e);
  t.equal(setting.code, 2);
  t.match(setting.stderr, /--isolation: 'snapshot' is not one of serializable, repeatable-read, read-committed/);
  t.notOk(existsSync(join(out, 'quickstart')), 'no results folder was made');
});

t.test('--help lists bankrun\'s flags and the engine\'s settings', async (t) => {
  const r = await run('npx', ['tsx', QUICKSTART, '--help']);
  t.match(r.stdout, /--duration/);
  t.match(r.stdout, /Settings of this engine[^]*--isolation .*serializable \| repeatable-read \| read-committed/);
});
