import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { search } from '../scripts/bench/harness-ceiling.ts';

const run = promisify(execFile);
const BENCH = new URL('../scripts/bench.ts', import.meta.url).pathname;

t.test('the ceiling search doubles, then bisects to the highest passing rate', async (t) => {
  const tried: number[] = [];
  const best = await search(1000, async (rate) => (tried.push(rate), rate <= 5000));
  t.equal(best, 5000);
  t.same(tried, [1000, 2000, 4000, 8000, 6000, 5000, 5500]);
  t.equal(await search(1000, async () => false), 0, 'nothing passes: 0');
  t.equal(await search(1000, async (rate) => rate <= 400), 375, 'halves while steps fail, then bisects 250..500 three times');
});

t.test('npm run bench -- --quick --only harness,checker writes bench.md and bench.json', { timeout: 120_000 }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bankrun-bench-test-'));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', BENCH, '--quick', '--only', 'harness,checker', '--out', out], { maxBuffer: 1 << 24 });
  t.match(stdout, /== harness[\s\S]*== checker[\s\S]*bench: /);
  const [stamp] = readdirSync(join(out, 'bench'));
  const dir = join(out, 'bench', stamp!);
  const md = readFileSync(join(dir, 'bench.md'), 'utf8');
  t.match(md, /^# bankrun bench — /);
  t.match(md, /Machine: \d+ cores .*GiB, Node\.js v\d+/);
  t.match(md, /Re-run: `npm run bench -- --only harness,checker --quick`/);
  t.match(md, /## Harness ceiling[\s\S]*\| memory store \(1 API node\) \| \d+ \|[\s\S]*\| embedded PostgreSQL \(1 node\) \|/);
  t.match(md, /## Checker throughput[\s\S]*\| 100,000 \| [\d.]+ \| \d+ \| true \|/);
  const json = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as { machine: { cores: number }; sections: { name: string; figures: Record<string, number | string> }[] };
  t.ok(json.machine.cores >= 1);
  t.same(json.sections.map((s) => s.name), ['harness', 'checker']);
  const harness = json.sections[0]!.figures;
  t.ok(Number(harness['memory ceiling (transfers/s)']) > 0, `memory store ceiling ${harness['memory ceiling (transfers/s)']}/s`);
  t.equal(harness['memory history verdict'], 'true', 'the memory store run\'s history checks valid');
  t.equal(harness['postgres history verdict'], 'true', 'the PostgreSQL run\'s history checks valid');
  t.ok(Number(harness['memory tester CPU (µs/op)']) > 0, 'the tester\'s CPU per op is measured');
  t.equal(json.sections[1]!.figures.verdict, 'true');
  t.equal(json.sections[1]!.figures.operations, 100_000);
});

t.test('an unknown section is refused before anything runs', async (t) => {
  const err = await run(process.execPath, ['--import', 'tsx', BENCH, '--only', 'harness,nope']).then(() => undefined, (e: { code: number; stderr: string }) => e);
  t.equal(err?.code, 2);
  t.match(err?.stderr, /no section nope; the sections are harness, pgbench, coordinated-omission, checker, memory, bring-up/);
});
