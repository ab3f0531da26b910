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
}
