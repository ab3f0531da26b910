// notebooks/compare.ts: the same cells on two engines and one side-by-side report, which never
// shows a fault that one engine could not take as if it had.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

t.test('memory and embedded PostgreSQL side by side', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bankrun-compare-'));
  // No --seed: compare draws one and gives it to every engine.
  const r = await run('npx', ['tsx', 'notebooks/compare.ts', '--engines', 'memory,postgres', '--duration', '2s', '--fault-for', '1s', '--out', out], { timeout: 240_000 });
  t.match(r.stdout, /comparison: .*compare\/.*\/report\.md/);
  const dir = join(out, 'compare', readdirSync(join(out, 'compare'))[0]!);
  const report = readFileSync(join(dir, 'report.md'), 'utf8');
  const section = (name: string) => report.split('\n## ').find((s) => s.startsWith(name)) ?? '';
  for (const name of ['steady', 'kill -9 n1 and restart', 'pause n1', 'isolate n1', 'minority | majority split']) {
    t.match(section(name), /\| memory \|[^\n]*\n\| postgres \|/, `${name}: one row per engine`);
  }
  t.match(section('kill -9 n1 and restart'), /\| memory \| 1 \| kill n1: ⚪ \*\*unsupported\*\* \(not applied\)/, 'the memory store cannot be killed, and the row says so');
  t.match(section('kill -9 n1 and restart'), /\| postgres \| 1 \| kill n1: applied, verified/);
  t.match(section('isolate n1'), /\| postgres \| 1 \| partition n1: ⚪ \*\*unsupported\*\* \(not applied\)/, 'no network faults without Docker');
  for (const engine of ['memory', 'postgres']) {
    const link = new RegExp(`\\[report\\]\\((\\.\\./\\.\\./compare-${engine}/[^)]+/report\\.md)\\)`).exec(report)?.[1];
    t.ok(link && existsSync(join(dir, link)), `${engine}: the link leads to its own run's report`);
  }
  t.match(report, /\*\*Money:\*\* ✅ no run created, lost or overspent money/, 'money first');
  t.match(report, /\| kill -9 n1 and restart \| not applied \(unsupported\) \| (down [\d.]+ s|never down) · [^|]+ \|/, 'recovery at a glance: only postgres could be killed');
  for (const chart of report.matchAll(/!\[[^\]]*\]\((charts\/[^)]+)\.svg\)/g)) {
    t.ok(existsSync(join(dir, `${chart[1]}.png`)), `${chart[1]}: overlaid chart written`);
  }
  // The same two runs again, from their folders: scripts/compare.ts.
  const runDirs = ['memory', 'postgres'].map((engine) => join(out, `compare-${engine}`, readdirSync(join(out, `compare-${engine}`))[0]!));
  const again = await run('npx', ['tsx', 'scripts/compare.ts', ...runDirs, '--out', join(out, 'again'), '--html'], { timeout: 120_000 });
  t.match(again.stdout, /comparison: .*again\/compare\/.*\/report\.md/);
  const againDir = join(out, 'again', 'compare', readdirSync(join(out, 'again', 'compare'))[0]!);
  const againReport = readFileSync(join(againDir, 'report.md'), 'utf8');
  const rows = (md: string) => md.split('\n').filter((l) => /^\| (memory|postgres) \| 1 \|/.test(l));
  t.same(rows(againReport), rows(report), 'rebuilt from the folders, every row is the live one');
  t.ok(existsSync(join(againDir, 'report.html')), '--html: report.html');
  const seeds = ['memory', 'postgres'].map((engine) => {
    const root = join(out, `compare-${engine}`);
    return (JSON.parse(readFileSync(join(root, readdirSync(root)[0]!, 'params.json'), 'utf8')) as { params: { seed: number } }).params.seed;
  });
  t.equal(seeds[0], seeds[1], `one seed for every engine (${seeds[0]}): the same operations and fault targets`);
});

t.test('an unknown engine stops before anything starts', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bankrun-compare-'));
  const r = await run('npx', ['tsx', 'notebooks/compare.ts', '--engines', 'memory,tidb', '--out', out]).catch((e) => e);
  t.equal(r.code, 2);
  t.match(r.stderr, /--engines memory,tidb: unknown tidb; name one or more of memory, postgres, etcd/);
  t.same(readdirSync(out), []);
});
