// The recovery figures as the report shows them: a table per cell with faults, the definitions
// once, and the marks on the throughput chart.
import t from 'tap';
import type { TopLevelSpec } from 'vega-lite';
import { CellRecorder } from '../lib/metrics/cell-recorder.ts';
import { chartSpecs, throughputSpec } from '../lib/report/charts.ts';
import { renderMarkdown } from '../lib/report/markdown.ts';
import type { CellReport } from '../lib/report/model.ts';
import { runFixture } from './helpers/run-fixture.ts';

const run = runFixture();
const charts = run.cells.map((c) => ({ cell: c.name, throughput: 't.svg', latency: 'l.svg', distribution: `${c.name}-d.svg`, mix: `${c.name}-m.svg` }));
const layerNames = (spec: TopLevelSpec): string[] =>
  ((spec as unknown as { layer: { name?: string; layer?: { name?: string }[] }[] }).layer).flatMap((l) => [l.name ?? '', ...(l.layer ?? []).map((n) => n.name ?? '')]);

t.test('a recovery table for each cell with faults, in whole seconds for data saved without the finer series', async (t) => {
  const md = renderMarkdown(run, charts);
  // kill n1, 10.04 s to 16.2 s: baseline the median of seconds 0-9 (480, 481 → 480.5); second 10
  // has no ok transfer; seconds 10-12 no answer; second 16 already at 560/s; failures in 10-16.
  t.match(md, '| kill n1 | 481 | 0.0 s | 3.0 s | 0.0 s | 1,269 | — | — |');
  t.match(md, '| latency n2 (not applied) |', 'a fault not applied says so in its row');
  t.equal(md.split('| fault | baseline ok/s |').length - 1, 2, 'no table for the steady cell');
  t.equal(md.split('**Recovery figures**').length - 1, 1, 'the definitions once');
  t.match(md, '![kill n1: outcome mix](kill%20n1-m.svg)');
  t.match(md, '![kill n1: latency distribution](kill%20n1-d.svg)');
});

/** The fixture's kill cell, its metrics recorded: everything stops 10.0-11.5 s, fault 10.0-11.0 s. */
function recordedKill(): CellReport {
  const kill = run.cells[1]!;
  const r = new CellRecorder(0);
  for (let i = 0; i < 3000; i++) {
    const due = i * 10e6;
    const stopped = due >= 10e9 && due < 11.5e9;
    r.record('transfer', stopped ? 'fail' : 'ok', due, due + 2e6, `n${(i % 2) + 1}`);
  }
  return { ...kill, faults: [{ ...kill.faults[0]!, appliedAtMs: 10_000, healedAtMs: 11_000 }], metrics: r.summary(30e9, 0) };
}

t.test('the throughput chart marks the outage, the baseline and the recovery', async (t) => {
  const names = layerNames(throughputSpec(recordedKill()));
  for (const n of ['unavailable', 'unavailable-label', 'baseline', 'recovered', 'recovered-label']) t.ok(names.includes(n), n);
  const spec = JSON.stringify(throughputSpec(recordedKill()));
  t.match(spec, '"no answer for 1.51 s"', 'last ok at 9.992 s, next at 11.502 s');
  t.match(spec, '"90 % back 0.5 s after heal"');
  t.notOk(layerNames(throughputSpec(run.cells[0]!)).includes('unavailable'), 'no marks without a fault');
});

t.test('the per-node chart needs the recorded nodes; the other new charts render from any data', async (t) => {
  const [steady] = chartSpecs(run);
  t.equal(steady!.nodes, undefined, 'saved data without nodes: no per-node chart');
  t.ok(steady!.distribution && steady!.mix);
  const [recorded] = chartSpecs({ ...run, cells: [recordedKill()] });
  const nodes = JSON.stringify(recorded!.nodes);
  t.match(nodes, '"n1"');
  t.match(nodes, '"n2"');
});
