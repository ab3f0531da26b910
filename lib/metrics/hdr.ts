// HDR histograms, configured in one place: microseconds, 1 µs to 10 min, 3 significant digits.
import { build, type Histogram } from 'hdr-histogram-js';
import type { Quantiles } from './summary.ts';

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
