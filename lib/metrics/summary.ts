// Plain-data summaries of HDR histograms, as the report and the terminal use them.
// All latencies are microseconds.

/**
 * How an operation ended, for the figures. The history keeps Jepsen's ok / fail / info; here a
 * refused transfer for lack of funds is told apart from a failure: the database answered, and
 * answered right, so it counts as available.
 */
export type Outcome = 'ok' | 'insufficient' | 'fail' | 'info';
export const OUTCOMES: readonly Outcome[] = ['ok', 'insufficient', 'fail', 'info'];

export interface Quantiles {
  count: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

export interface SecondStats {
  /** Seconds since the cell started (0, 1, 2, …). */
  second: number;
  /** Transfers completed in this second, by outcome. */
  transfers: Record<Outcome, number>;
  /** Reads completed in this second (any outcome). */
  reads: number;
  /**
   * Latency of the transfers whose *intended* start fell in this second, all outcomes: a stall
   * shows up where it began, not when the backlog drained. Null when none were due.
   */
  latency: { p50Us: number; p99Us: number; maxUs: number } | null;
  /**
   * The same transfers' latency histogram, HDR compressed base64 (hdr.ts), so the seconds of a
   * fault window merge into exact percentiles. Absent in data saved before it was recorded.
   */
  latencyHdr?: string;
  /**
   * Ok transfers completed in this second per API node; every API node that answered any
   * transfer in the cell has a key, 0 included. Absent in older data.
   */
  okByNode?: Record<string, number>;
}

/** Gaps between answers shorter than this are not kept: at any useful rate they are noise. */
export const MIN_GAP_MS = 100;
/** Width of the finer buckets that time a drop and a recovery. */
export const FINE_BUCKET_MS = 100;
/** Percentiles the latency distribution is kept at: about three points per decade of 1 − p. */
export const DISTRIBUTION_PERCENTILES: readonly number[] = [
  50, 70, 80, 90, 95, 97, 98, 99, 99.5, 99.7, 99.8, 99.9, 99.95, 99.97, 99.98, 99.99,
  99.995, 99.997, 99.998, 99.999, 99.9995, 99.9997, 99.9998, 99.9999,
];

/** A stretch of a cell, in ms since the cell started. */
export interface Span {
  fromMs: number;
  toMs: number;
}

/** The latency at one percentile (0..100). */
export interface PercentilePoint {
  percentile: number;
  us: number;
}

/** Counts per FINE_BUCKET_MS bucket since the cell started (the last bucket may be partial). */
export interface FineSeries {
  bucketMs: number;
  /** Ok transfers by the time they completed. */
  okDone: number[];
  /** Failed and indeterminate transfers by the time they were due, so a timeout counts where it began. */
  errorsDue: number[];
}

export interface CellMetrics {
  durationMs: number;
  /**
   * Every transfer, whatever its outcome: the headline figure. A transfer that timed out counts
   * at the time the tester gave up on it (a lower bound); left out, the worst stalls would vanish.
   */
  allTransfers: Quantiles;
  transfers: Record<Outcome, Quantiles>;
  reads: Record<Outcome, Quantiles>;
  perSecond: SecondStats[];
  /** Conflict retries inside the adapters during the cell. */
  retries: number;
  /** How many transfers took 0, 1, 2, … retries (keys are the retry counts), where reported. */
  retriesPerTransfer?: Record<string, number>;
  /** Open loop only: operations not sent because the in-flight cap was reached. */
  dropped: number;
  /** Transfers acknowledged ok per second over the whole cell. */
  okPerSecond: number;
  /**
   * Every stretch of MIN_GAP_MS or more in which no transfer was answered (ok or insufficient
   * funds: both are answers of a working database), from the cell's start or one answer to the
   * next answer or the cell's end. Absent in older data.
   */
  answerGaps?: Span[];
  /** Finer counts for the recovery figures. Absent in older data. */
  fine?: FineSeries;
  /**
   * Transfer latency by outcome at the DISTRIBUTION_PERCENTILES below the largest value's rank
   * (1 − 1/count), then the maximum at that rank. Absent in older data.
   */
  distribution?: Record<Outcome, PercentilePoint[]>;
}
