// Vega-Lite specs of the comparison: per cell, one chart with a line per run on the same axes —
// ok transfers/s, and p99 latency per second on a log scale — with the cell's planned fault window
// shaded, so which run dipped deeper and came back sooner shows at a glance.
import type { TopLevelSpec } from 'vega-lite';
import { BASE_CONFIG, CHART_HEIGHT, CHART_WIDTH, logDomain, logTicks } from './charts.ts';
import type { CellReport } from './model.ts';

/** One run's cell in a comparison, under the run's label. */
export interface ComparedCell {
  label: string;
  cell: CellReport;
}

/** Tableau 10: distinct for up to ten runs, and none is the green/orange of the outcome charts' meaning. */
const RUN_COLOURS = ['#4e79a7', '#e15759', '#59a14f', '#f28e2b', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'];
/** Each run its own dash too, so two runs that did exactly the same still show as two lines. */
const RUN_DASHES = [[1, 0], [10, 5], [3, 3], [14, 4, 3, 4]];


/** Ok transfers per second, a step line per run. */
export function comparedThroughputSpec(name: string, runs: readonly ComparedCell[]): TopLevelSpec {
  const rows = runs.flatMap(({ label, cell }) => {
    // Seconds mostly inside the cell: the few completions of a last sliver would read as a collapse.
    const endS = cell.metrics.durationMs / 1000;
    const steps = cell.metrics.perSecond.filter((s) => s.second + 0.5 < endS).map((s) => ({ t: s.second, run: label, value: s.transfers.ok }));
    const last = steps.at(-1);
    return last ? [...steps, { ...last, t: last.t + 1 }] : steps;
  });
  const top = Math.max(1, ...rows.map((r) => r.value));
  // headroom above the highest line for the fault labels
  const y = { field: 'value', type: 'quantitative', title: 'ok transfers / s', scale: { domain: [0, top * 1.2], nice: true }, axis: { format: ',d', tickCount: 5 } };
  return chart(name, 'ok transfers/s, a line per run', runs, rows, y, 'step-after');
}

/** p99 latency of the transfers due in each second (ms, log scale), a line per run; a second with none breaks the line. */
export function comparedP99Spec(name: string, runs: readonly ComparedCell[]): TopLevelSpec {
  const rows = runs.flatMap(({ label, cell }) =>
    cell.metrics.perSecond.flatMap((s) => {
      if (!s.latency) return [{ t: s.second, run: label, value: null as number | null }];
      const ms = Math.max(s.latency.p99Us / 1000, 0.001);
      return [{ t: s.second, run: label, value: ms }, { t: s.second + 0.999, run: label, value: ms }];
    }),
  );
  const [lo, hi] = logDomain(rows.flatMap((r) => (r.value === null ? [] : [r.value])));
  const y = { field: 'value', type: 'quantitative', title: 'p99 latency, ms (log)', scale: { type: 'log', domain: [lo, hi], nice: false }, axis: { values: logTicks(lo, hi), format: '~s' } };
  return chart(name, 'p99 latency per second of intended start, a line per run', runs, rows, y, 'linear');
}

function chart(name: string, subtitle: string, runs: readonly ComparedCell[], rows: object[], y: object, interpolate: string): TopLevelSpec {
  const labels = runs.map((r) => r.label);
  const durationS = Math.max(1, ...runs.map(({ cell }) => cell.metrics.durationMs / 1000));
  const x = { field: 't', type: 'quantitative', title: 'seconds since cell start', scale: { domain: [0, durationS], nice: false, zero: true }, axis: { tickMinStep: 1, format: 'd', grid: false } };
  const bands = plannedWindows(runs);
  const lines = {
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 2.5, strokeOpacity: 0.9, interpolate, clip: true },
    encoding: {
      x,
      y,
      color: { field: 'run', type: 'nominal', sort: labels, scale: { domain: labels, range: labels.map((_, i) => RUN_COLOURS[i % RUN_COLOURS.length]) } },
      strokeDash: { field: 'run', type: 'nominal', sort: labels, scale: { domain: labels, range: labels.map((_, i) => RUN_DASHES[i % RUN_DASHES.length]) } },
    },
  };
  const layers: object[] = [];
  if (bands.length) {
    layers.push(
      { data: { values: bands }, mark: { type: 'rect', color: '#9e9e9e', opacity: 0.18 }, encoding: { x: { ...x, field: 'startS' }, x2: { field: 'endS' } } },
      { data: { values: bands }, mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, dy: 4, fontSize: 12, fontWeight: 'bold', color: '#555555' }, encoding: { x: { ...x, field: 'startS' }, y: { value: 0 }, text: { field: 'label' } } },
    );
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: name, subtitle: bands.length ? `${subtitle} · shaded: the planned fault window` : subtitle },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    layer: [...layers, lines],
    config: BASE_CONFIG,
  } as TopLevelSpec;
}

/** The faults as planned (the same plan in every run of the same cell); drawn once each. */
function plannedWindows(runs: readonly ComparedCell[]): { startS: number; endS: number; label: string }[] {
  const seen = new Map<string, { startS: number; endS: number; label: string }>();
  for (const { cell } of runs) {
    for (const f of cell.faults) {
      const band = { startS: f.plannedAtMs / 1000, endS: (f.plannedAtMs + f.plannedForMs) / 1000, label: `${f.kind} ${f.targets.join(',')}`.trim() };
      seen.set(`${band.startS}/${band.endS}/${f.kind}`, band);
    }
  }
  return [...seen.values()];
}
