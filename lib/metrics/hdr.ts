// HDR histograms, configured in one place: microseconds, 1 µs to 10 min, 3 significant digits.
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { PercentilePoint, Quantiles } from './summary.ts';

const HIGHEST_US = 600_000_000;

/** A cell's histograms: 3 significant digits (0.1 %), ~85 KiB each. */
export function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

/**
 * One second's histogram, for the charts: 2 significant digits (1 %) keep it ~10 KiB, so a
 * 10-minute cell holds 600 of them without its memory growing much.
 */
export function newSecondHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 2, useWebAssembly: false });
}

/** Records a latency, clamped into the trackable range so an absurd value can't throw mid-run. */
export function recordUs(h: Histogram, us: number): void {
  h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(us))));
}

export function quantiles(h: Histogram): Quantiles {
  if (h.totalCount === 0) return { count: 0, meanUs: 0, p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 };
  return {
    count: h.totalCount,
    meanUs: h.mean,
    p50Us: h.getValueAtPercentile(50),
    p90Us: h.getValueAtPercentile(90),
    p99Us: h.getValueAtPercentile(99),
    p999Us: h.getValueAtPercentile(99.9),
    maxUs: h.maxValue,
  };
}

/** A histogram as compressed base64 (HdrHistogram's V2 encoding): a few hundred bytes a second. */
export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

/** Adds encoded histograms into one at the per-second precision: merged percentiles are exact to it. */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  const merged = newSecondHistogram();
  for (const e of encoded) merged.add(decodeFromCompressedBase64(e));
  return merged;
}

/** The percentile plot's points of a histogram (see percentileLine). */
export function percentilePoints(h: Histogram, percentiles: readonly number[]): PercentilePoint[] {
  return percentileLine(h.totalCount, h.maxValue, percentiles, (p) => h.getValueAtPercentile(p));
}

/**
 * The percentiles below the largest value's rank, 1 − 1/count, then the maximum at that rank,
 * so the line ends on the worst value.
 */
export function percentileLine(count: number, maxUs: number, percentiles: readonly number[], valueAt: (percentile: number) => number): PercentilePoint[] {
  if (count === 0) return [];
  const maxAt = 100 * (1 - 1 / count);
  const points = percentiles
    .filter((p) => p < maxAt - 1e-9) // 1e-9: 100 × (1 − 1/1000) is not exactly 99.9
    .map((p) => ({ percentile: p, us: valueAt(p) }));
  return [...points, { percentile: maxAt, us: maxUs }];
}
