// Vega-Lite specs for the report: pure functions of the report model, so they can be tested and
// re-rendered without a disk or a browser. Rendering lives in render-svg.ts.
import type { TopLevelSpec } from 'vega-lite';
import { percentileLine } from '../metrics/hdr.ts';
import { OUTCOMES } from '../metrics/summary.ts';
import type { Outcome, PercentilePoint, Quantiles, SecondStats } from '../metrics/summary.ts';
import type { CellReport, FaultRecord, RunReport } from './model.ts';
import { rate, seconds } from './format.ts';
import { recoveryAnalysis, RECOVERED_FRACTION } from './recovery.ts';
import type { RecoveryAnalysis } from './recovery.ts';
import { textWidthPx } from './text-width.ts';

export const CHART_WIDTH = 720;
export const CHART_HEIGHT = 220;

/** Renders on GitHub (the SVG shown as <img> uses the viewer's fonts) and with resvg (DejaVu). */
export const CHART_FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** Fixed series colours, so a colour means the same outcome in every chart of every run. */
export const THROUGHPUT_SERIES = [
  { key: 'ok', name: 'ok transfers', colour: '#2a9d3f', dash: [1, 0] },
  { key: 'insufficient', name: 'insufficient funds', colour: '#8d99ae', dash: [1, 0] },
  { key: 'fail', name: 'failed transfers', colour: '#f28e2b', dash: [1, 0] },
  { key: 'info', name: 'indeterminate transfers', colour: '#c2185b', dash: [1, 0] },
  { key: 'reads', name: 'reads', colour: '#5b7fa6', dash: [5, 3] },
] as const;

/** Darker = further into the tail. */
export const LATENCY_SERIES = [
  { key: 'p50Us', name: 'p50', colour: '#7fb3d5' },
  { key: 'p99Us', name: 'p99', colour: '#2e6da4' },
  { key: 'maxUs', name: 'max', colour: '#0b2545' },
] as const;

/** A fault's band colour; kinds not listed get the default. The faults package may extend it. */
export const FAULT_COLOURS: Record<string, string> = {
  kill: '#e15759',
  pause: '#edc948',
  partition: '#b07aa1',
  isolate: '#b07aa1',
  latency: '#76b7b2',
  'clock-skew': '#ff9da7',
};
const DEFAULT_FAULT_COLOUR = '#9c755f';
const NOT_APPLIED_COLOUR = '#9e9e9e';

/** The look every bankrun chart shares (the comparison's too). */
export const BASE_CONFIG = {
  font: CHART_FONT,
  background: 'white', // GitHub dark mode would otherwise show black text on black
  view: { stroke: '#d0d0d0' },
  title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: '#555555', anchor: 'start', offset: 6 },
  axis: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#ececec', labelColor: '#333333', titleColor: '#333333' },
  legend: { labelFontSize: 12, symbolStrokeWidth: 3, symbolSize: 180, orient: 'top', direction: 'horizontal', title: null, columnPadding: 18, symbolType: 'stroke', labelLimit: 400, gridAlign: 'none' },
} as const;

/** One shaded interval on a chart, in seconds since the cell started. */
export interface FaultBand {
  startS: number;
  endS: number;
  label: string;
  /** The label as drawn: kind and target, then why it is grey. */
  lines: string[];
  /** Label drawn right-aligned at the band's end: it would run off the chart from the start. */
  anchorEnd: boolean;
  applied: boolean;
  colour: string;
  /** Label row, so the labels of nearby faults do not overlap. */
  row: number;
}

/** A fault's band: applied..healed when it was applied, the planned window (greyed) when not. */
export function faultBands(cell: CellReport): FaultBand[] {
  const cellEndS = cellDurationS(cell);
  const bands = cell.faults.map((f) => {
    const applied = f.status === 'applied' && f.appliedAtMs !== undefined;
    const startMs = applied ? f.appliedAtMs! : f.plannedAtMs;
    const endMs = applied ? (f.healedAtMs ?? cell.metrics.durationMs) : f.plannedAtMs + f.plannedForMs;
    const startS = clamp(startMs / 1000, 0, cellEndS);
    const lines = applied ? [faultLabel(f)] : [faultLabel(f), `not applied: ${f.status}`];
    return {
      startS,
      endS: clamp(endMs / 1000, 0, cellEndS),
      label: lines.join(' · '),
      lines,
      anchorEnd: (startS / cellEndS) * CHART_WIDTH + labelWidthPx(lines) > CHART_WIDTH,
      applied,
      colour: applied ? (FAULT_COLOURS[f.kind] ?? DEFAULT_FAULT_COLOUR) : NOT_APPLIED_COLOUR,
      row: 0,
    };
  });
  return assignLabelRows(bands, cellEndS);
}

/** Moves a label one row down when it would overlap the label before it (greedy, by start). */
function assignLabelRows(bands: FaultBand[], cellEndS: number): FaultBand[] {
  const pxPerS = CHART_WIDTH / cellEndS;
  const rowEndsPx: number[] = [];
  const order = [...bands.keys()].sort((a, b) => bands[a]!.startS - bands[b]!.startS);
  for (const i of order) {
    const b = bands[i]!;
    const w = labelWidthPx(b.lines);
    const fromPx = b.anchorEnd ? b.endS * pxPerS - w : b.startS * pxPerS;
    let row = rowEndsPx.findIndex((end) => end <= fromPx);
    if (row < 0) row = rowEndsPx.length;
    rowEndsPx[row] = fromPx + w;
    b.row = row % 3; // more than three rows would cover the data: accept the overlap instead
  }
  return bands;
}

/** "kill n1", "partition n1,n2": what a person would say. */
export function faultLabel(f: Pick<FaultRecord, 'kind' | 'targets'>): string {
  return f.targets.length ? `${f.kind} ${f.targets.join(',')}` : f.kind;
}

/** Transfers/s by outcome and reads/s, one point per second, with the fault bands behind. */
export function throughputSpec(cell: CellReport): TopLevelSpec {
  const rows = stepRows(cell.metrics.perSecond).flatMap(({ t, s }) =>
    THROUGHPUT_SERIES.map((series) => ({
      t,
      series: series.name,
      value: series.key === 'reads' ? s.reads : s.transfers[series.key],
    })),
  );
  const maxValue = Math.max(1, ...rows.map((r) => r.value));
  const analyses = recoveryAnalysis(cell);
  const bracketed = analyses.some((a) => a.figures.applied && a.unavailable);
  const y = {
    field: 'value',
    type: 'quantitative',
    title: 'operations / s',
    // headroom for the band labels, and for the outage bracket under them
    scale: { domain: [0, maxValue * (bracketed ? 1.4 : 1.22)], nice: true },
    axis: { format: ',d', tickCount: 5 },
  };
  const lines = {
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 2, interpolate: 'step-after', clip: true },
    encoding: {
      x: xSeconds(cell),
      y,
      color: seriesColour(THROUGHPUT_SERIES),
      strokeDash: {
        field: 'series',
        type: 'nominal',
        sort: THROUGHPUT_SERIES.map((s) => s.name),
        scale: { domain: THROUGHPUT_SERIES.map((s) => s.name), range: THROUGHPUT_SERIES.map((s) => [...s.dash]) },
      },
    },
  };
  const bands = faultBands(cell);
  const applied = analyses.filter((a) => a.figures.applied);
  const marks = [...baselineLayers(cell, applied, y), ...recoveredLayers(cell, applied, y)];
  // baseline and recovery share the lines' y scale: one nested layer, resolved shared inside
  const data = marks.length ? { layer: [lines, ...marks] } : lines;
  return cellChart(cell, 'Throughput: transfers/s by outcome, reads/s', data, unavailableLayers(cell, analyses, bands));
}

const MARK_COLOUR = '#222222';
const MARK_LABEL_PX = 12;

/** The baseline the recovery figures compare with: dotted, in the ok colour, up to the fault. */
function baselineLayers(cell: CellReport, analyses: RecoveryAnalysis[], y: object): object[] {
  const x = xSeconds(cell);
  const values = analyses.filter((a) => a.figures.baselineOkPerS > 0).map((a) => ({
    t: 0,
    t2: a.window.fromMs / 1000,
    value: a.figures.baselineOkPerS,
    label: `baseline ${rate(a.figures.baselineOkPerS)}/s`,
  }));
  if (!values.length) return [];
  return [
    { name: 'baseline', data: { values }, mark: { type: 'rule', color: THROUGHPUT_SERIES[0].colour, strokeDash: [2, 3], strokeWidth: 1.5 }, encoding: { x, x2: { field: 't2' }, y } },
    ...haloText('baseline-label', values, { align: 'right', baseline: 'bottom', dx: -3, dy: -3, fontSize: 11, color: '#1d6b2b' }, { x: { ...x, field: 't2' }, y, text: { field: 'label' } }),
  ];
}

/**
 * The moment throughput was back to 90 % of the baseline: a dashed rule from the axis to just
 * above the baseline, labelled with the time since the heal.
 */
function recoveredLayers(cell: CellReport, analyses: RecoveryAnalysis[], y: object): object[] {
  const x = xSeconds(cell);
  const pxPerS = CHART_WIDTH / cellDurationS(cell);
  const values = analyses.flatMap((a) => {
    if (a.recoveredAtMs === null || a.figures.recoveredAfterMs === null) return [];
    const label = `${Math.round(RECOVERED_FRACTION * 100)} % back ${seconds(a.figures.recoveredAfterMs)} after heal`;
    const t = a.recoveredAtMs / 1000;
    // right of the rule, or left of it where the label would leave the chart
    const atLeft = t * pxPerS + 6 + textWidthPx(label, MARK_LABEL_PX) > CHART_WIDTH;
    return [{ t, value: 0, value2: Math.max(a.figures.baselineOkPerS, 1) * 1.05, label, atLeft }];
  });
  if (!values.length) return [];
  const layers: object[] = [{ name: 'recovered', data: { values }, mark: { type: 'rule', color: MARK_COLOUR, strokeDash: [6, 3], strokeWidth: 1.5 }, encoding: { x, y, y2: { field: 'value2' } } }];
  for (const atLeft of [false, true]) {
    const side = values.filter((r) => r.atLeft === atLeft);
    if (!side.length) continue;
    const mark = { align: atLeft ? 'right' : 'left', baseline: 'bottom', dx: atLeft ? -4 : 4, fontSize: MARK_LABEL_PX, color: MARK_COLOUR };
    layers.push(...haloText(atLeft ? 'recovered-label-left' : 'recovered-label', side, mark, { x, y: { ...y, field: 'value2' }, text: { field: 'label' } }));
  }
  return layers;
}

/**
 * The longest stretch without an answer, as a bracket with its length, in the headroom under
 * the fault's label (pixels from the top), so it never hides in the lines.
 */
function unavailableLayers(cell: CellReport, analyses: RecoveryAnalysis[], bands: FaultBand[]): object[] {
  const x = xSeconds(cell);
  const values = analyses.flatMap((a, i) => {
    if (!a.figures.applied || !a.unavailable) return [];
    const yPx = 5 + bands[i]!.row * LABEL_ROW_PX + BRACKET_BELOW_LABEL_PX;
    const { fromMs, toMs } = a.unavailable;
    return [{ t: fromMs / 1000, t2: toMs / 1000, mid: (fromMs + toMs) / 2000, yPx, top: yPx - 6, bottom: yPx + 6, label: `no answer for ${seconds(a.figures.unavailableMs)}` }];
  });
  if (!values.length) return [];
  const px = (field: string) => ({ field, type: 'quantitative', scale: null });
  const rule = { type: 'rule', color: MARK_COLOUR, strokeWidth: 2 };
  return [
    { name: 'unavailable', data: { values }, mark: rule, encoding: { x, x2: { field: 't2' }, y: px('yPx') } },
    { name: 'unavailable-start', data: { values }, mark: rule, encoding: { x, y: px('top'), y2: { field: 'bottom' } } },
    { name: 'unavailable-end', data: { values }, mark: rule, encoding: { x: { ...x, field: 't2' }, y: px('top'), y2: { field: 'bottom' } } },
    ...haloText('unavailable-label', values, { baseline: 'bottom', dy: -4, fontSize: MARK_LABEL_PX, fontWeight: 'bold', color: MARK_COLOUR }, { x: { ...x, field: 'mid' }, y: px('yPx'), text: { field: 'label' } }),
  ];
}

/** From a band label's top to the bracket: the label's line, then room for the bracket's own. */
const BRACKET_BELOW_LABEL_PX = 38;

/** Text with a white outline under it, so it stays readable where it crosses a line. */
function haloText(name: string, values: object[], mark: object, encoding: object): object[] {
  return [
    { name: `${name}-halo`, data: { values }, mark: { type: 'text', ...mark, color: 'white', stroke: 'white', strokeWidth: 4, strokeJoin: 'round' }, encoding },
    { name, data: { values }, mark: { type: 'text', ...mark }, encoding },
  ];
}

/** p50, p99 and max latency per second of intended start, on a log scale in ms. */
export function latencySpec(cell: CellReport): TopLevelSpec {
  // Each second with transfers due is a flat step from t to t+1; a second with none breaks the
  // line (null), so the step before a gap, and the last one, still get their full width.
  const rows = cell.metrics.perSecond.flatMap((s) =>
    LATENCY_SERIES.flatMap((series): { t: number; series: string; ms: number | null }[] => {
      if (!s.latency) return [{ t: s.second, series: series.name, ms: null }];
      const ms = Math.max(s.latency[series.key] / 1000, 0.001);
      return [{ t: s.second, series: series.name, ms }, { t: s.second + 0.999, series: series.name, ms }];
    }),
  );
  const values = rows.flatMap((r) => (r.ms === null ? [] : [r.ms]));
  const [lo, hi] = logDomain(values);
  const lines = {
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 2, interpolate: 'step-after', clip: true },
    encoding: {
      x: xSeconds(cell),
      y: latencyLogY(lo, hi),
      color: seriesColour(LATENCY_SERIES),
    },
  };
  return cellChart(cell, 'Transfer latency by intended start: p50, p99, max', lines);
}

/** The latency axis every latency chart shares: ms on a log scale over [lo, hi]. */
function latencyLogY(lo: number, hi: number) {
  return {
    field: 'ms',
    type: 'quantitative' as const,
    title: 'latency (ms, log scale)',
    scale: { type: 'log' as const, domain: [lo, hi], nice: false },
    axis: { values: logTicks(lo, hi), format: ',~r', grid: true },
  };
}

/** Outcomes in the order and colours of the throughput chart. */
const OUTCOME_SERIES = THROUGHPUT_SERIES.filter((s) => s.key !== 'reads') as readonly { key: Outcome; name: string; colour: string }[];

/**
 * HDR percentile plot: latency (log) against the percentile, spread on a log scale of 1 − p so
 * the tail gets the room; one line per outcome.
 */
export function distributionSpec(cell: CellReport): TopLevelSpec {
  const m = cell.metrics;
  const rows = OUTCOME_SERIES.flatMap((series) =>
    (m.distribution?.[series.key] ?? pointsFromQuantiles(m.transfers[series.key])).map((p) => ({
      series: series.name,
      tail: 1 - p.percentile / 100,
      ms: Math.max(p.us / 1000, 0.001),
    })),
  );
  const [lo, hi] = logDomain(rows.map((r) => r.ms));
  const minTail = Math.min(0.01, ...rows.map((r) => r.tail).filter((t) => t > 0));
  const ticks = tailTicks(minTail);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: cell.name, subtitle: 'Transfer latency distribution by outcome (HDR percentile plot, from intended start)' },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values: rows.filter((r) => r.tail > 0) },
    mark: { type: 'line', strokeWidth: 2, point: { size: 18, filled: true }, clip: true },
    encoding: {
      x: {
        field: 'tail',
        type: 'quantitative',
        title: 'percentile (log scale of 1 − p)',
        scale: { type: 'log', domain: [0.5, minTail * 0.8], nice: false }, // 0.8: the last point is not cut
        axis: { values: ticks, labelExpr: "format(100 * (1 - datum.value), '.6~r') + ' %'", grid: true },
      },
      y: latencyLogY(lo, hi),
      color: seriesColour(OUTCOME_SERIES),
    },
    config: BASE_CONFIG,
  } as TopLevelSpec;
}

/** Data saved before the distribution was kept: the quantiles it has. */
function pointsFromQuantiles(q: Quantiles): PercentilePoint[] {
  const at: Record<number, number> = { 50: q.p50Us, 90: q.p90Us, 99: q.p99Us, 99.9: q.p999Us };
  return percentileLine(q.count, q.maxUs, [50, 90, 99, 99.9], (p) => at[p]!);
}

/** 0.5 (50 %), 0.1 (90 %), 0.01 (99 %) … down to the smallest tail drawn. */
export function tailTicks(minTail: number): number[] {
  const ticks = [0.5];
  for (let t = 0.1; t >= minTail * 0.999; t /= 10) ticks.push(Number(t.toPrecision(1)));
  return ticks;
}

/** Distinct from the outcome colours: a node is not an outcome. */
const NODE_COLOURS = ['#2e6da4', '#17a2b8', '#7b4ea3', '#a0522d', '#d16ba5', '#5f6b6d', '#a0a31c', '#0b2545'];

/** Ok transfers/s per API node: where the load went, and which node stopped answering. */
export function nodeThroughputSpec(cell: CellReport): TopLevelSpec | undefined {
  const perSecond = cell.metrics.perSecond;
  const nodes = [...new Set(perSecond.flatMap((s) => Object.keys(s.okByNode ?? {})))].sort(byNodeName);
  if (!nodes.length) return undefined; // older data, or no transfer answered
  const rows = stepRows(perSecond).flatMap(({ t, s }) => nodes.map((node) => ({ t, series: node, value: s.okByNode?.[node] ?? 0 })));
  const series = nodes.map((name, i) => ({ name, colour: NODE_COLOURS[i % NODE_COLOURS.length]! }));
  const lines = {
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 2, interpolate: 'step-after', clip: true },
    encoding: {
      x: xSeconds(cell),
      y: {
        field: 'value',
        type: 'quantitative',
        title: 'ok transfers / s',
        scale: { domain: [0, Math.max(1, ...rows.map((r) => r.value)) * 1.22], nice: true },
        axis: { format: ',d', tickCount: 5 },
      },
      color: { ...seriesColour(series), title: null },
    },
  };
  const routing = cell.settings.routing !== undefined ? ` (routing ${cell.settings.routing})` : '';
  return cellChart(cell, `Ok transfers/s per API node${routing}`, lines);
}

/** n2 before n10. */
function byNodeName(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Shares of ok / insufficient / failed / indeterminate among the transfers completed each second. */
export function outcomeMixSpec(cell: CellReport): TopLevelSpec {
  const rows = stepRows(cell.metrics.perSecond).flatMap(({ t, s }) => {
    const total = OUTCOMES.reduce((sum, o) => sum + s.transfers[o], 0);
    return OUTCOME_SERIES.map((series, order) => ({ t, series: series.name, order, share: total ? s.transfers[series.key] / total : 0 }));
  });
  const area = {
    data: { values: rows },
    mark: { type: 'area', interpolate: 'step-after', opacity: 0.85, clip: true },
    encoding: {
      x: xSeconds(cell),
      y: {
        field: 'share',
        type: 'quantitative',
        stack: 'zero',
        title: 'share of transfers completed',
        scale: { domain: [0, 1.3], nice: false }, // the top is left to the fault labels
        axis: { values: [0, 0.25, 0.5, 0.75, 1], format: '.0%' },
      },
      color: { ...seriesColour(OUTCOME_SERIES), legend: { symbolType: 'square', symbolStrokeWidth: 0 } },
      order: { field: 'order', type: 'quantitative' },
    },
  };
  return cellChart(cell, 'Outcome mix: share of each outcome among the transfers completed per second (blank: none)', area);
}

/** Run level: ok transfers/s per cell, as bars, so the cells compare at a glance. */
export function runThroughputSpec(run: RunReport): TopLevelSpec {
  const rows = run.cells.map((c) => ({ cell: c.name, ok: round1(c.metrics.okPerSecond) }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: run.notebook, subtitle: 'ok transfers/s per cell, over the whole cell' },
    width: CHART_WIDTH - 160,
    height: { step: 30 },
    data: { values: rows },
    encoding: {
      y: { field: 'cell', type: 'nominal', sort: null, title: null, axis: { labelLimit: 300 } },
      x: {
        field: 'ok',
        type: 'quantitative',
        title: 'ok transfers/s',
        scale: { domain: [0, Math.max(1, ...rows.map((r) => r.ok)) * 1.12], nice: true }, // room for the value labels
        axis: { format: ',d', tickCount: 5 },
      },
    },
    layer: [
      { mark: { type: 'bar', color: THROUGHPUT_SERIES[0].colour, height: { band: 0.7 } } },
      { mark: { type: 'text', align: 'left', dx: 4, fontSize: 12, color: '#333333' }, encoding: { text: { field: 'ok', type: 'quantitative', format: ',.1f' } } },
    ],
    config: BASE_CONFIG,
  } as TopLevelSpec;
}

export interface CellSpecs {
  cell: string;
  throughput: TopLevelSpec;
  latency: TopLevelSpec;
  distribution: TopLevelSpec;
  /** Absent for data saved before the API node was recorded. */
  nodes?: TopLevelSpec;
  mix: TopLevelSpec;
}

/** All the specs of a run, keyed the way write.ts names the files. */
export function chartSpecs(run: RunReport): CellSpecs[] {
  return run.cells.map((c) => {
    const nodes = nodeThroughputSpec(c);
    return {
      cell: c.name,
      throughput: throughputSpec(c),
      latency: latencySpec(c),
      distribution: distributionSpec(c),
      ...(nodes ? { nodes } : {}),
      mix: outcomeMixSpec(c),
    };
  });
}

// ---- shared pieces

/** `overlays` draw above the data, on scales of their own (pixels, like the band labels). */
function cellChart(cell: CellReport, subtitle: string, lines: object, overlays: object[] = []): TopLevelSpec {
  const bands = faultBands(cell);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: cell.name, subtitle: bands.length ? `${subtitle} · shaded: faults` : subtitle },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    layer: [...bandLayers(cell, bands), lines, ...overlays],
    // the hatching draws on its own 0..1 y scale, so it must not share the data's axis
    resolve: { scale: { y: 'independent' } },
    config: BASE_CONFIG,
  } as TopLevelSpec;
}

function bandLayers(cell: CellReport, bands: FaultBand[]): object[] {
  if (!bands.length) return [];
  const x = xSeconds(cell);
  const data = { values: bands };
  const layers: object[] = [
    {
      name: 'fault-bands',
      data,
      mark: { type: 'rect', opacity: 0.22 },
      encoding: {
        x: { ...x, field: 'startS' },
        x2: { field: 'endS' },
        fill: { field: 'colour', type: 'nominal', scale: null, legend: null },
        opacity: { condition: { test: 'datum.applied', value: 0.22 }, value: 0.12 },
      },
    },
  ];
  const hatch = hatchLines(cell, bands.filter((b) => !b.applied));
  if (hatch.length) layers.push(hatchLayer(cell, hatch));
  layers.push(labelLayer(cell, bands, false), labelLayer(cell, bands, true));
  return layers;
}

/** Labels at the band's start, or right-aligned at its end when they would leave the chart. */
function labelLayer(cell: CellReport, bands: FaultBand[], atEnd: boolean): object {
  return {
    name: atEnd ? 'fault-labels-end' : 'fault-labels',
    data: { values: bands.filter((b) => b.anchorEnd === atEnd) },
    transform: [{ calculate: `5 + datum.row * ${LABEL_ROW_PX}`, as: 'labelY' }], // pixels from the top
    mark: { type: 'text', align: atEnd ? 'right' : 'left', baseline: 'top', dx: atEnd ? -4 : 4, fontSize: 12, fontWeight: 'bold', lineHeight: 15 },
    encoding: {
      x: { ...xSeconds(cell), field: atEnd ? 'endS' : 'startS' },
      y: { field: 'labelY', type: 'quantitative', scale: null },
      text: { field: 'lines' },
      color: { condition: { test: 'datum.applied', value: '#333333' }, value: '#6b6b6b' },
    },
  };
}

const LABEL_ROW_PX = 32; // two label lines

function labelWidthPx(lines: string[]): number {
  return 8 + Math.max(...lines.map((l) => textWidthPx(l, 12, true)));
}

function hatchLayer(cell: CellReport, hatch: HatchLine[]): object {
  const unit = { type: 'quantitative', scale: { domain: [0, 1] }, axis: null };
  return {
    name: 'fault-hatch',
    data: { values: hatch },
    mark: { type: 'rule', color: NOT_APPLIED_COLOUR, strokeWidth: 1, opacity: 0.7 },
    encoding: {
      x: { ...xSeconds(cell), field: 'x1' },
      x2: { field: 'x2' },
      y: { ...unit, field: 'y1' },
      y2: { field: 'y2' },
    },
  };
}

interface HatchLine {
  x1: number;
  x2: number;
  y1: number;
  y2: number;
}

/**
 * Diagonal lines at 45° on screen, 9 px apart, clipped to each band and kept below its label:
 * Vega has no pattern fills, and a hatch is what says "planned, not done" without a legend.
 */
export function hatchLines(cell: CellReport, bands: FaultBand[]): HatchLine[] {
  const pxPerS = CHART_WIDTH / Math.max(cellDurationS(cell), 1);
  const stepS = 9 / pxPerS;
  return bands.flatMap((b) => {
    const top = 1 - (8 + LABEL_ROW_PX * (b.row + 1)) / CHART_HEIGHT; // the label stays readable
    const riseS = (CHART_HEIGHT * top) / pxPerS; // seconds a line moves right while it climbs
    const out: HatchLine[] = [];
    for (let x0 = b.startS - riseS; x0 < b.endS; x0 += stepS) {
      const u1 = Math.max(0, (b.startS - x0) / riseS);
      const u2 = Math.min(1, (b.endS - x0) / riseS);
      if (u2 > u1) out.push({ x1: x0 + u1 * riseS, x2: x0 + u2 * riseS, y1: u1 * top, y2: u2 * top });
    }
    return out;
  });
}

function xSeconds(cell: CellReport) {
  return {
    field: 't',
    type: 'quantitative',
    title: 'seconds since cell start',
    scale: { domain: [0, cellDurationS(cell)], nice: false, zero: true },
    axis: { tickMinStep: 1, format: 'd', grid: false },
  };
}

/** One row per second at its start, plus one closing row, so step lines cover every bin. */
function stepRows(perSecond: SecondStats[]): { t: number; s: SecondStats }[] {
  const rows = perSecond.map((s) => ({ t: s.second, s }));
  const last = perSecond.at(-1);
  if (last) rows.push({ t: last.second + 1, s: last });
  return rows;
}

function seriesColour(series: readonly { name: string; colour: string }[]) {
  return {
    field: 'series',
    type: 'nominal',
    sort: series.map((s) => s.name),
    scale: { domain: series.map((s) => s.name), range: series.map((s) => s.colour) },
  };
}

function cellDurationS(cell: CellReport): number {
  const fromSeconds = cell.metrics.perSecond.length;
  return Math.max(cell.metrics.durationMs / 1000, fromSeconds, 1);
}

/** From the decade below the data to a bit above it (room for the band labels), ≥ 2 decades. */
export function logDomain(valuesMs: number[]): [number, number] {
  if (!valuesMs.length) return [0.1, 1000];
  const lo = 10 ** Math.floor(Math.log10(Math.min(...valuesMs)));
  const hi = Math.max(...valuesMs) * 4; // the labels sit in the top quarter
  return [lo, Math.max(hi, lo * 100)];
}

/** 1, 10, 100 … and the 3s between them when the range is short, so ticks stay few and round. */
export function logTicks(lo: number, hi: number): number[] {
  const decades = Math.round(Math.log10(hi / lo));
  const ticks: number[] = [];
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    ticks.push(roundTick(d));
    if (decades <= 3 && d * 3 < hi) ticks.push(roundTick(d * 3));
  }
  return ticks;
}

function roundTick(v: number): number {
  return Number(v.toPrecision(3));
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
