import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { faultBands, hatchLines, latencySpec, logTicks, runThroughputSpec, throughputSpec } from '../lib/report/charts.ts';
import { ms, rate, seconds } from '../lib/report/format.ts';
import { githubAnchor, renderMarkdown } from '../lib/report/markdown.ts';
import { renderSvg, svgToPng } from '../lib/report/render-svg.ts';
import { slug, uniqueSlugs, writeReport } from '../lib/report/write.ts';
import { runFixture } from './helpers/run-fixture.ts';

const run = runFixture();
const [steady, kill, pause] = run.cells;
const charts = run.cells.map((c) => ({ cell: c.name, throughput: `charts/${slug(c.name)}-throughput.svg`, latency: `charts/${slug(c.name)}-latency.svg` }));

interface Layer {
  name?: string;
  data?: { values?: Record<string, unknown>[] };
}
const layers = (spec: TopLevelSpec) => (spec as unknown as { layer: Layer[] }).layer;
const layer = (spec: TopLevelSpec, name: string) => layers(spec).find((l) => l.name === name);

t.test('cell specs compile and carry the fault bands as data', async (t) => {
  for (const spec of [throughputSpec(kill!), latencySpec(kill!), throughputSpec(pause!), latencySpec(steady!), runThroughputSpec(run)]) {
    t.doesNotThrow(() => compile(spec));
  }
  const bands = layer(throughputSpec(kill!), 'fault-bands')!.data!.values!;
  t.equal(bands.length, 1);
  t.match(bands[0], { label: 'kill n1', applied: true, startS: 10.04, endS: 16.2 });
  t.ok(layer(latencySpec(kill!), 'fault-bands'), 'the latency chart has the band too');
  t.notOk(layer(throughputSpec(steady!), 'fault-bands'), 'a steady cell has no band layer');
});

t.test('a fault that was not applied is drawn at its planned time, hatched and labelled', async (t) => {
  const bands = faultBands(pause!);
  const latency = bands.find((b) => b.label.startsWith('latency'))!;
  t.match(latency, { applied: false, startS: 20, endS: 26, label: 'latency n2 · not applied: unsupported' });
  const hatch = hatchLines(pause!, [latency]);
  t.ok(hatch.length > 10, 'hatched');
  t.ok(hatch.every((h) => h.x1 >= 20 && h.x2 <= 26 && h.y2 <= 1), 'hatch lines stay inside the band');
  t.ok(layer(throughputSpec(pause!), 'fault-hatch'));
});

t.test('series names and colours are fixed, so legends read the same in every chart', async (t) => {
  const spec = JSON.stringify(throughputSpec(kill!));
  for (const name of ['ok transfers', 'failed transfers', 'indeterminate transfers', 'reads']) t.match(spec, `"${name}"`);
  t.match(JSON.stringify(latencySpec(kill!)), '"type":"log"');
  t.same(logTicks(1, 400), [1, 3, 10, 30, 100, 300]);
  t.same(logTicks(0.1, 20_000), [0.1, 1, 10, 100, 1000, 10_000]);
});

t.test('SVG renders with the chart font and the band labels; PNG is a PNG', async (t) => {
  const svg = await renderSvg(throughputSpec(pause!));
  t.ok(svg.startsWith('<svg'), 'an SVG document');
  t.match(svg, 'pause n1');
  t.match(svg, 'not applied: unsupported');
  t.match(svg, 'DejaVu Sans');
  const png = await svgToPng(svg, 1);
  t.same([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
  t.ok(png.length > 5_000, 'not empty');
});

t.test('markdown: headline, environment, a summary row per cell', async (t) => {
  const md = renderMarkdown(run, charts);
  t.match(md, /^# postgres-3node — 2025-11-25 18:50:12 UTC/);
  t.match(md, '**✅ valid — no money created, lost or overspent**');
  t.match(md, '- **database:** postgres 18.1 (embedded)');
  t.match(md, '```sh\nnpx tsx notebooks/postgres-3node.ts --seed 7');
  for (const [i, c] of run.cells.entries()) {
    const anchor = githubAnchor(`Cell ${i + 1}: ${c.name}`);
    t.match(md, `| [${c.name}](#${anchor}) | ${rate(c.metrics.okPerSecond)} |`, `summary row for ${c.name}`);
    t.match(md, `## Cell ${i + 1}: ${c.name}`);
  }
  t.match(md, '| 17 / 31 |', 'indeterminate applied / not in the kill row');
  t.match(md, '![kill n1: throughput](charts/kill-n1-throughput.svg)');
  t.match(md, '![kill n1: latency](charts/kill-n1-latency.svg)');
  t.match(md, 'No anomalies.');
  t.match(md, '`wrong-total`');
  t.match(md, '[history.jsonl.gz](history.jsonl.gz)');
  t.match(md, 'intended start');
});

t.test('markdown: faults as they happened, never an unsupported one as applied', async (t) => {
  const md = renderMarkdown(run, charts);
  t.match(md, '| kill | n1 | 10.0 s | 5.0 s | 10.04 s | 16.2 s | applied, verified |');
  const latencyRow = md.split('\n').find((l) => l.startsWith('| latency | n2 |'))!;
  t.match(latencyRow, '| 20.0 s | 6.0 s | — | — | ⚪ **unsupported** (not applied) |');
  t.notMatch(latencyRow, 'applied, verified');
  t.match(md, '_No faults in this cell: steady state._');
});

t.test('markdown: anomalies with counts and example details', async (t) => {
  const bad = runFixture({ anomalies: true });
  const md = renderMarkdown(bad, charts);
  t.match(md, '**❌ invalid — 1 read with the wrong total, 3 lost transfers**');
  t.match(md, '### ❌ `lost` — 3 lost transfers');
  t.match(md, '| first (also worst) | 31877 | kill n1 | 9.98 s | n1 | transfer t-16021');
  t.match(md, '| last | 31940 |');
  t.match(md, 'read sums to 9,975, expected 10,000');
  t.match(md, '❌ 3 lost transfers |', 'the kill cell row says what went wrong');
  t.notMatch(md, 'No anomalies.');
});

t.test('markdown: an unknown verdict says why', async (t) => {
  const md = renderMarkdown(runFixture({ unknownReason: 'no audit in the history' }), charts);
  t.match(md, '**⚠️ unknown — no audit in the history**');
  t.match(md, 'No anomalies found, but the verdict is unknown');
});

t.test('numbers read well', async (t) => {
  t.equal(ms(412), '0.412');
  t.equal(ms(4_123), '4.12');
  t.equal(ms(41_234), '41.2');
  t.equal(ms(4_123_456), '4,123');
  t.equal(rate(480.13), '480');
  t.equal(rate(12.34), '12.3');
  t.equal(seconds(10_040), '10.04 s');
  t.equal(seconds(5_000), '5.0 s');
  t.same(uniqueSlugs(['kill n1', 'Kill n1!', '']), ['kill-n1', 'kill-n1-2', 'cell']);
  t.equal(githubAnchor('Cell 3: pause n1 + latency n2'), 'cell-3-pause-n1--latency-n2');
});

t.test('writeReport writes specs, SVGs, PNGs and report.md', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bankrun-report-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const files = await writeReport(dir, run);
  for (const s of ['steady', 'kill-n1', 'pause-n1-latency-n2']) {
    for (const kind of ['throughput', 'latency']) {
      for (const ext of ['vl.json', 'svg', 'png']) t.ok(files.includes(join(dir, 'charts', `${s}-${kind}.${ext}`)), `${s}-${kind}.${ext}`);
    }
  }
  t.ok(files.includes(join(dir, 'report.md')));
  for (const f of files) t.ok((await stat(f)).size > 0, `${f} is not empty`);
  const md = await readFile(join(dir, 'report.md'), 'utf8');
  t.match(md, '![pause n1 + latency n2: latency](charts/pause-n1-latency-n2-latency.svg)');
  t.match(md, '(charts/summary-throughput.svg)');
  const spec = JSON.parse(await readFile(join(dir, 'charts', 'kill-n1-throughput.vl.json'), 'utf8'));
  t.doesNotThrow(() => compile(spec), 'the written spec compiles');
});
