// The coordinated-omission chart: the latency distribution of the open and the closed loop of the
// same schedule (HDR percentile plot: latency against 1 − p, both on log scales), so the share of
// transfers that carried the pause shows. A pure spec; rendering is lib/report/render-svg.ts.
import type { TopLevelSpec } from 'vega-lite';
import { BASE_CONFIG, CHART_HEIGHT, CHART_WIDTH, logDomain, logTicks, tailTicks } from '../../lib/report/charts.ts';
import type { PercentilePoint } from '../../lib/metrics/summary.ts';

export interface OmissionSeries {
  name: string;
  colour: string;
  points: PercentilePoint[];
}

export function omissionSpec(series: OmissionSeries[], subtitle: string): TopLevelSpec {
  const rows = series.flatMap((s) => s.points.map((p) => ({ series: s.name, tail: 1 - p.percentile / 100, ms: Math.max(p.us / 1000, 0.001) })))
    .filter((r) => r.tail > 0);
  const [lo, hi] = logDomain(rows.map((r) => r.ms));
  const minTail = Math.min(0.01, ...rows.map((r) => r.tail));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'The same 2-s pause of the database, measured two ways', subtitle },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 2, point: { size: 18, filled: true }, clip: true },
    encoding: {
      x: {
        field: 'tail', type: 'quantitative', title: 'percentile (log scale of 1 − p)',
        scale: { type: 'log', domain: [0.5, minTail * 0.8], nice: false }, // 0.8: the last point is not cut
        axis: { values: tailTicks(minTail), labelExpr: "format(100 * (1 - datum.value), '.6~r') + ' %'", grid: true },
      },
      y: {
        field: 'ms', type: 'quantitative', title: 'latency (ms, log scale)',
        scale: { type: 'log', domain: [lo, hi], nice: false }, axis: { values: logTicks(lo, hi), format: ',~r', grid: true },
      },
      color: { field: 'series', type: 'nominal', sort: series.map((s) => s.name), scale: { domain: series.map((s) => s.name), range: series.map((s) => s.colour) } },
    },
    config: BASE_CONFIG,
  } as TopLevelSpec;
}
