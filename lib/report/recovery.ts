// How a cell went through each of its faults, in a few figures a reader compares across runs:
// when throughput dropped, how long nothing was answered, when it came back, how many errors the
// fault caused, and the tail latency inside the fault against outside it.
//
// Definitions (the report states them too; times are ms since the cell started):
// - window: from the fault's start (applied, else planned) to its heal (else the planned end, or
//   the cell's end for an applied fault never healed).
// - baseline: the median ok transfers/s of the whole seconds before the window that no applied
//   fault overlaps; with none, of every whole second no applied fault overlaps.
// - drop: the first 100 ms bucket from the window's start, starting before the heal, whose ok
//   rate and that of the second from it are both below half the baseline.
// - recovery: the first 100 ms bucket from the heal whose ok rate and that of the second from it
//   (cut at the cell's end) are both at least 90 % of the baseline; null when none in the cell.
// - unavailable: the longest stretch with no transfer answered (ok or insufficient funds) that
//   overlaps the window or the recovery after it (to the recovery, else to the cell's end);
//   0 when none lasted MIN_GAP_MS.
// - error burst: failed + indeterminate transfers due from the window's start to that same end.
// - p99 inside: the transfers due in the seconds the window overlaps; outside: those due in the
//   baseline's seconds (steady, not the backlog a fault leaves behind). Merged from the
//   per-second histograms, so exact.
// Data saved before the finer series existed falls back to whole seconds (burst by completion,
// unavailability as whole seconds without an answer) and gives no p99s.
import { MIN_GAP_MS } from '../metrics/summary.ts';
import type { CellMetrics, SecondStats, Span } from '../metrics/summary.ts';
import { mergeEncoded } from '../metrics/hdr.ts';
import { faultLabel } from './charts.ts';
import type { CellReport, FaultRecord } from './model.ts';

export interface RecoveryFigures {
  /** The fault as the report names it, e.g. "kill n1". */
  fault: string;
  applied: boolean;
  /** Steady ok transfers/s before the fault (the baseline the other figures compare with). */
  baselineOkPerS: number;
  /** ms from the fault's start until ok throughput fell below half the baseline; null if it never did. */
  dropAfterMs: number | null;
  /** The longest stretch with no successful transfer, around the fault (ms): the unavailability. */
  unavailableMs: number;
  /** ms from the heal until ok throughput was back to 90 % of the baseline; null if not within the cell. */
  recoveredAfterMs: number | null;
  /** Failed + indeterminate transfers from the fault's start until recovery. */
  errorBurst: number;
  /** p99 latency (µs) of the transfers due inside the fault window, and outside it; null where none. */
  p99InsideUs: number | null;
  p99OutsideUs: number | null;
}

/** The figures and where they sit in the cell, for the marks on the charts. */
export interface RecoveryAnalysis {
  figures: RecoveryFigures;
  window: Span;
  /** ms since the cell started; null where the figure is null. */
  droppedAtMs: number | null;
  recoveredAtMs: number | null;
  /** The longest stretch without an answer; null when none lasted MIN_GAP_MS. */
  unavailable: Span | null;
}

export const DROP_FRACTION = 0.5;
export const RECOVERED_FRACTION = 0.9;
/** The rate a drop or a recovery must hold for, from the bucket that starts it. */
const SUSTAIN_MS = 1000;

export function recoveryFigures(cell: CellReport): RecoveryFigures[] {
  return recoveryAnalysis(cell).map((a) => a.figures);
}

export function recoveryAnalysis(cell: CellReport): RecoveryAnalysis[] {
  const m = cell.metrics;
  const appliedWindows = cell.faults.filter(isApplied).map((f) => faultWindow(f, m.durationMs));
  const okSeries = okRateSeries(m);
  return cell.faults.map((f) => {
    const window = faultWindow(f, m.durationMs);
    const calm = calmSeconds(m, window, appliedWindows);
    const baseline = median(calm.map((s) => s.transfers.ok));
    const droppedAtMs = baseline > 0 ? firstSustained(okSeries, window.fromMs, window.toMs, (r) => r < DROP_FRACTION * baseline) : null;
    const recoveredAtMs = baseline > 0 ? firstSustained(okSeries, window.toMs, m.durationMs, (r) => r >= RECOVERED_FRACTION * baseline) : null;
    const aroundFault = { fromMs: window.fromMs, toMs: Math.max(window.toMs, recoveredAtMs ?? m.durationMs) };
    const unavailable = longestGap(m, aroundFault);
    const [p99InsideUs, p99OutsideUs] = p99InsideOutside(m, window, calm);
    return {
      figures: {
        fault: faultLabel(f),
        applied: isApplied(f),
        baselineOkPerS: baseline,
        dropAfterMs: droppedAtMs === null ? null : Math.round(droppedAtMs - window.fromMs),
        unavailableMs: unavailable ? Math.round(unavailable.toMs - unavailable.fromMs) : 0,
        recoveredAfterMs: recoveredAtMs === null ? null : Math.round(recoveredAtMs - window.toMs),
        errorBurst: errorBurst(m, aroundFault),
        p99InsideUs,
        p99OutsideUs,
      },
      window,
      droppedAtMs,
      recoveredAtMs,
      unavailable,
    };
  });
}

function isApplied(f: FaultRecord): boolean {
  return f.status === 'applied' && f.appliedAtMs !== undefined;
}

/** The same interval the charts shade (charts.ts faultBands), in ms. */
function faultWindow(f: FaultRecord, durationMs: number): Span {
  const fromMs = isApplied(f) ? f.appliedAtMs! : f.plannedAtMs;
  const toMs = isApplied(f) ? (f.healedAtMs ?? durationMs) : f.plannedAtMs + f.plannedForMs;
  return { fromMs: clamp(fromMs, 0, durationMs), toMs: clamp(toMs, 0, durationMs) };
}

// ---- baseline

/**
 * The steady seconds a fault is compared with: whole seconds before its window that no applied
 * fault overlaps; with none, every whole second no applied fault overlaps.
 */
function calmSeconds(m: CellMetrics, window: Span, appliedWindows: Span[]): SecondStats[] {
  const whole = m.perSecond.filter((s) => (s.second + 1) * 1000 <= m.durationMs);
  const calm = whole.filter((s) => !appliedWindows.some((w) => overlaps(w, secondSpan(s.second))));
  const before = calm.filter((s) => (s.second + 1) * 1000 <= window.fromMs);
  return before.length ? before : calm;
}

function median(values: number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// ---- drop and recovery

/** Ok completions per bucket: the 100 ms series where recorded, whole seconds otherwise. */
interface RateSeries {
  bucketMs: number;
  counts: number[];
  durationMs: number;
}

function okRateSeries(m: CellMetrics): RateSeries {
  if (m.fine) return { bucketMs: m.fine.bucketMs, counts: m.fine.okDone, durationMs: m.durationMs };
  return { bucketMs: 1000, counts: m.perSecond.map((s) => s.transfers.ok), durationMs: m.durationMs };
}

/** Ok transfers/s over [fromMs, toMs), cut at the cell's end; null when nothing of it is inside. */
function rateOver(series: RateSeries, fromMs: number, toMs: number): number | null {
  const end = Math.min(toMs, series.durationMs, series.counts.length * series.bucketMs);
  if (end <= fromMs) return null;
  let total = 0;
  for (let b = Math.floor(fromMs / series.bucketMs); b * series.bucketMs < end; b++) total += series.counts[b] ?? 0;
  return total / ((end - fromMs) / 1000);
}

/**
 * The first bucket starting before `beforeMs` (and not before the bucket holding `fromMs`) whose
 * own rate and the rate of the SUSTAIN_MS from it both pass `test`; its time, no earlier than
 * `fromMs`.
 */
function firstSustained(series: RateSeries, fromMs: number, beforeMs: number, test: (okPerS: number) => boolean): number | null {
  const w = series.bucketMs;
  for (let b = Math.floor(fromMs / w); b * w < beforeMs; b++) {
    const bucket = rateOver(series, b * w, (b + 1) * w);
    const sustained = rateOver(series, b * w, b * w + SUSTAIN_MS);
    if (bucket === null || sustained === null) return null;
    if (test(bucket) && test(sustained)) return Math.max(b * w, fromMs);
  }
  return null;
}

// ---- unavailability and errors

function longestGap(m: CellMetrics, around: Span): Span | null {
  const gaps = m.answerGaps ?? secondsWithoutAnswer(m);
  let longest: Span | null = null;
  for (const g of gaps) {
    if (!overlaps(g, around) || g.toMs - g.fromMs < MIN_GAP_MS) continue;
    if (!longest || g.toMs - g.fromMs > longest.toMs - longest.fromMs) longest = g;
  }
  return longest;
}

/** Older data: runs of whole seconds in which no transfer was answered. */
function secondsWithoutAnswer(m: CellMetrics): Span[] {
  const spans: Span[] = [];
  for (const s of m.perSecond) {
    if (s.transfers.ok + s.transfers.insufficient > 0) continue;
    const span = { fromMs: s.second * 1000, toMs: Math.min((s.second + 1) * 1000, m.durationMs) };
    const last = spans.at(-1);
    if (last && last.toMs === span.fromMs) last.toMs = span.toMs;
    else spans.push(span);
  }
  return spans;
}

function errorBurst(m: CellMetrics, around: Span): number {
  if (m.fine) {
    const w = m.fine.bucketMs;
    return m.fine.errorsDue.reduce((sum, n, b) => (overlaps({ fromMs: b * w, toMs: (b + 1) * w }, around) ? sum + n : sum), 0);
  }
  return m.perSecond
    .filter((s) => overlaps(secondSpan(s.second), around))
    .reduce((sum, s) => sum + s.transfers.fail + s.transfers.info, 0);
}

// ---- tail latency

function p99InsideOutside(m: CellMetrics, window: Span, calm: SecondStats[]): [number | null, number | null] {
  // Seconds with transfers due but no histogram: saved before histograms were kept.
  if (m.perSecond.some((s) => s.latency && !s.latencyHdr)) return [null, null];
  const inside = m.perSecond.filter((s) => overlaps(secondSpan(s.second), window) || touchesInstant(s.second, window));
  return [p99Of(inside.flatMap((s) => s.latencyHdr ?? [])), p99Of(calm.flatMap((s) => s.latencyHdr ?? []))];
}

function p99Of(encoded: string[]): number | null {
  const merged = mergeEncoded(encoded);
  return merged.totalCount ? merged.getValueAtPercentile(99) : null;
}

// ---- intervals

function secondSpan(second: number): Span {
  return { fromMs: second * 1000, toMs: (second + 1) * 1000 };
}

/** Half-open intervals that share some time. */
function overlaps(a: Span, b: Span): boolean {
  return a.fromMs < b.toMs && b.fromMs < a.toMs;
}

/** A window of no length (healed as soon as applied) still belongs to the second it happened in. */
function touchesInstant(second: number, window: Span): boolean {
  return window.fromMs === window.toMs && Math.floor(window.fromMs / 1000) === second;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}
