// The comparison report (lib/report/compare.ts): which run lost money and which recovered faster
// are answered at the top; per cell one row per run; the overlaid charts carry a line per run,
// are valid Vega-Lite, and are written as SVG, PNG and, on request, an interactive HTML page.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import t from 'tap';
import { comparisonSpecs, renderComparison, writeComparison, type ComparedRun } from '../lib/report/compare.ts';
import type { RunReport } from '../lib/report/model.ts';
import { recoveryFigures } from '../lib/report/recovery.ts';
import { SLIDE_WIDTH_PX } from '../lib/report/render-svg.ts';
import { runFixture } from './helpers/run-fixture.ts';

const schema = JSON.parse(await readFile(new URL('../node_modules/vega-lite/build/vega-lite-schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ strict: false, allErrors: true, logger: false, validateFormats: false }).compile(schema);

/** The fixture with its anomalies, and no transfer answered for 4 s after the kill's heal. */
function slowAndLossy(): RunReport {
  const run = runFixture({ anomalies: true });
  const kill = run.cells[1]!;
  const healedS = Math.floor(kill.faults[0]!.healedAtMs! / 1000);
  for (const s of kill.metrics.perSecond.slice(healedS, healedS + 4)) {
    s.transfers.fail += s.transfers.ok + s.transfers.insufficient;
    s.transfers.ok = 0;
    s.transfers.insufficient = 0;
  }
  return run;
}

const runs: ComparedRun[] = [
  { label: 'quick', dir: '/r/quick', run: runFixture() },
  { label: 'slow', dir: '/r/slow', run: slowAndLossy() },
];

t.test('the first lines say who lost money and who recovered faster', async (t) => {
  const slowKill = recoveryFigures(runs[1]!.run.cells[1]!)[0]!;
  const quickKill = recoveryFigures(runs[0]!.run.cells[1]!)[0]!;
  t.ok(slowKill.recoveredAfterMs === null || slowKill.recoveredAfterMs > quickKill.recoveredAfterMs!, 'the fixture does make "slow" recover later');
  const md = renderComparison(runs, '/r/compare', new Date('2026-11-26T00:00:00Z'));
  const glance = md.split('\n## ')[1]!;
  t.match(glance, /^At a glance/);
  t.match(glance, /\*\*Money:\*\* ❌ \*\*slow\*\*: [^\n]*3 lost transfers/, 'the run that lost money is named, with what it lost');
  t.notMatch(glance, /\*\*quick\*\*:/, 'the valid run is not accused');
  t.ok(slowKill.unavailableMs > quickKill.unavailableMs, 'and stay down longer');
  t.match(glance, /\| kill n1 \| \*\*down [^|*]+ · 90 % back [^|*]+ after heal\*\* \| down [^|*]+ · 90 % back [^|]+ \|/, 'kill: the run down shortest, "quick", in bold, "slow" not');
  t.match(md, /\| quick \| 3 \| kill n1: applied, verified \| [\d.,]+ \| [\d.,]+ \| \d[\d.]* s \| \d[\d.]* s \| [\d.]+ % \(\d+\) \| ✅ valid \|/, 'a row per run: fault, ok/s, p99, unavailable, recovered, indeterminate share, verdict');
  t.match(md, /\[report\]\(\.\.\/slow\/report\.md\)/, 'links lead to each run\'s report');
});

t.test('the overlaid charts: a line per run, valid Vega-Lite', async (t) => {
  const specs = comparisonSpecs(runs);
  t.same(specs.map((s) => s.cell), runs[0]!.run.cells.map((c) => c.name), 'a pair of charts per cell');
  for (const { cell, throughput, p99 } of specs) {
    for (const [kind, spec] of [['throughput', throughput], ['p99', p99]] as const) {
      const ok = validate(spec);
      t.ok(ok, `${cell} ${kind}: valid`, ok ? {} : { errors: validate.errors?.slice(0, 5) });
      const lines = (spec as unknown as { layer: { data: { values: { run: string }[] }; mark: { type: string } }[] }).layer.find((l) => l.mark.type === 'line')!;
      t.same([...new Set(lines.data.values.map((v) => v.run))], ['quick', 'slow'], `${cell} ${kind}: one line per run`);
    }
  }
});

t.test('written: report.md, SVG and PNG per chart, report.html with every chart interactive', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bankrun-compare-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const report = await writeComparison(dir, runs, new Date(), { html: true });
  const md = readFileSync(report, 'utf8');
  const images = [...md.matchAll(/!\[[^\]]*\]\((charts\/[^)]+)\.svg\)/g)].map((m) => m[1]!);
  t.equal(images.length, 2 * runs[0]!.run.cells.length);
  for (const base of images) t.ok(['.svg', '.png', '.vl.json'].every((ext) => existsSync(join(dir, `${base}${ext}`))), `${base}: svg, png and spec`);
  const png = readFileSync(join(dir, `${images[0]!}.png`));
  t.equal(png.readUInt32BE(16), SLIDE_WIDTH_PX, 'PNGs are as wide as a 1080p slide');
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  t.equal((html.match(/<div class="chart" id="chart-\d+"/g) ?? []).length, images.length);
  t.match(html, /<script type="application\/json" id="chart-specs">\[\{"\$schema"/);
});
