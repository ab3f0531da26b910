// Vega-Lite specs for the report: pure functions of the report model, so they can be tested and
// re-rendered without a disk or a browser. Rendering lives in render-svg.ts.
import type { TopLevelSpec } from 'vega-lite';
import type { SecondStats } from '../metrics/summary.ts';
import type { CellReport, FaultRecord, RunReport } from './model.ts';
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

const BASE_CONFIG = {
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
  const y = {
    field: 'value',
    type: 'quantitative',
    title: 'operations / s',
    scale: { domain: [0, maxValue * 1.22], nice: true }, // headroom for the band labels
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
  return cellChart(cell, 'Throughput: transfers/s by outcome, reads/s', lines);
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
      y: {
        field: 'ms',
        type: 'quantitative',
        title: 'latency (ms, log scale)',
        scale: { type: 'log', domain: [lo, hi], nice: false },
        axis: { values: logTicks(lo, hi), format: ',~r', grid: true },
      },
      color: seriesColour(LATENCY_SERIES),
    },
  };
  return cellChart(cell, 'Transfer latency by intended start: p50, p99, max', lines);
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

/** All the specs of a run, keyed the way write.ts names the files. */
export function chartSpecs(run: RunReport): { cell: string; throughput: TopLevelSpec; latency: TopLevelSpec }[] {
  return run.cells.map((c) => ({ cell: c.name, throughput: throughputSpec(c), latency: latencySpec(c) }));
}

// ---- shared pieces

function cellChart(cell: CellReport, subtitle: string, lines: object): TopLevelSpec {
  const bands = faultBands(cell);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: cell.name, subtitle: bands.length ? `${subtitle} · shaded: faults` : subtitle },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    layer: [...bandLayers(cell, bands), lines],
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
