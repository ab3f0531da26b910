// Throughput and latency of one cell: an HDR histogram per operation kind and outcome for the
// whole cell, and per second a count of completions and a histogram of the transfers that were
// due in that second (latency from the intended start, so stalls land where they began).
// For the recovery figures it also keeps the gaps between answers, finer counts per 100 ms and
// ok transfers per API node.
import type { Histogram } from 'hdr-histogram-js';
import { encodeHistogram, newHistogram, newSecondHistogram, percentilePoints, quantiles, recordUs } from './hdr.ts';
import { DISTRIBUTION_PERCENTILES, FINE_BUCKET_MS, MIN_GAP_MS, OUTCOMES } from './summary.ts';
import type { CellMetrics, Outcome, SecondStats, Span } from './summary.ts';

interface SecondBucket {
  transfers: Record<Outcome, number>;
  reads: number;
  dueLatency: Histogram | null;
  okByNode: Map<string, number>;
}

export class CellRecorder {
  private readonly transfers = mapOutcomes(() => newHistogram());
  private readonly allTransfers = newHistogram();
  private readonly reads = mapOutcomes(() => newHistogram());
  private readonly seconds: SecondBucket[] = [];
  private dropped = 0;
  /** Transfers by the conflict retries their adapter reported (retries → count). */
  private readonly retryCounts = new Map<number, number>();
  /** API nodes that answered a transfer, in the order first seen. */
  private readonly nodes = new Set<string>();
  private readonly answerGaps: Span[] = [];
  /** Completion of the latest answered transfer (ok or insufficient); the cell's start before any. */
  private lastAnswerNs: number;
  private readonly okDone: number[] = [];
  private readonly errorsDue: number[] = [];

  /** @param startNs run time at which the cell's load started */
  constructor(private readonly startNs: number) {
    this.lastAnswerNs = startNs;
  }

  /** @param node the API node that served the operation (n1, n2, …) */
  record(f: 'transfer' | 'read', outcome: Outcome, intendedNs: number, completedNs: number, node?: string): void {
    const latencyUs = (completedNs - intendedNs) / 1000;
    const done = this.bucket(completedNs);
    if (f === 'read') {
      recordUs(this.reads[outcome], latencyUs);
      done.reads++;
      return;
    }
    recordUs(this.transfers[outcome], latencyUs);
    recordUs(this.allTransfers, latencyUs);
    done.transfers[outcome]++;
    if (node !== undefined) {
      this.nodes.add(node);
      if (outcome === 'ok') done.okByNode.set(node, (done.okByNode.get(node) ?? 0) + 1);
    }
    if (outcome === 'ok' || outcome === 'insufficient') this.answered(completedNs);
    if (outcome === 'ok') addAt(this.okDone, this.fineIndex(completedNs));
    else if (outcome !== 'insufficient') addAt(this.errorsDue, this.fineIndex(intendedNs));
    const due = this.bucket(intendedNs);
    due.dueLatency ??= newSecondHistogram();
    recordUs(due.dueLatency, latencyUs);
  }

  /** The conflict retries one transfer took inside its adapter, where the API node reported them. */
  recordRetries(retries: number): void {
    this.retryCounts.set(retries, (this.retryCounts.get(retries) ?? 0) + 1);
  }

  /** Open loop: an operation that was due but not sent because too many were in flight. */
  recordDropped(): void {
    this.dropped++;
  }

  summary(endNs: number, retries: number): CellMetrics {
    const durationMs = (endNs - this.startNs) / 1e6;
    const perSecond: SecondStats[] = [];
    const lastSecond = Math.max(this.seconds.length, Math.ceil(durationMs / 1000)) - 1;
    for (let second = 0; second <= lastSecond; second++) {
      const b = this.seconds[second];
      perSecond.push({
        second,
        transfers: b ? { ...b.transfers } : mapOutcomes(() => 0),
        reads: b?.reads ?? 0,
        latency: b?.dueLatency
          ? { p50Us: b.dueLatency.getValueAtPercentile(50), p99Us: b.dueLatency.getValueAtPercentile(99), maxUs: b.dueLatency.maxValue }
          : null,
        ...(b?.dueLatency ? { latencyHdr: encodeHistogram(b.dueLatency) } : {}),
        okByNode: Object.fromEntries([...this.nodes].map((n) => [n, b?.okByNode.get(n) ?? 0])),
      });
    }
    const fineBuckets = Math.max(this.okDone.length, this.errorsDue.length, Math.ceil(durationMs / FINE_BUCKET_MS));
    const trailingGap = endNs - this.lastAnswerNs >= MIN_GAP_MS * 1e6 ? [this.span(this.lastAnswerNs, endNs)] : [];
    const okCount = this.transfers.ok.totalCount;
    return {
      durationMs,
      allTransfers: quantiles(this.allTransfers),
      transfers: mapOutcomes((o) => quantiles(this.transfers[o])),
      reads: mapOutcomes((o) => quantiles(this.reads[o])),
      perSecond,
      retries,
      retriesPerTransfer: Object.fromEntries([...this.retryCounts].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v])),
      dropped: this.dropped,
      okPerSecond: durationMs > 0 ? okCount / (durationMs / 1000) : 0,
      answerGaps: [...this.answerGaps, ...trailingGap],
      fine: { bucketMs: FINE_BUCKET_MS, okDone: padded(this.okDone, fineBuckets), errorsDue: padded(this.errorsDue, fineBuckets) },
      distribution: mapOutcomes((o) => percentilePoints(this.transfers[o], DISTRIBUTION_PERCENTILES)),
    };
  }

  private bucket(timeNs: number): SecondBucket {
    const second = Math.max(0, Math.floor((timeNs - this.startNs) / 1e9));
    for (let s = this.seconds.length; s <= second; s++) {
      this.seconds.push({ transfers: mapOutcomes(() => 0), reads: 0, dueLatency: null, okByNode: new Map() });
    }
    return this.seconds[second]!;
  }

  /** Keeps the gap before this answer when it is long enough to matter. */
  private answered(completedNs: number): void {
    if (completedNs - this.lastAnswerNs >= MIN_GAP_MS * 1e6) this.answerGaps.push(this.span(this.lastAnswerNs, completedNs));
    // completions arrive in time order; max() keeps one that does not from opening a false gap
    this.lastAnswerNs = Math.max(this.lastAnswerNs, completedNs);
  }

  private span(fromNs: number, toNs: number): Span {
    return { fromMs: (fromNs - this.startNs) / 1e6, toMs: (toNs - this.startNs) / 1e6 };
  }

  private fineIndex(timeNs: number): number {
    return Math.max(0, Math.floor((timeNs - this.startNs) / (FINE_BUCKET_MS * 1e6)));
  }
}

function addAt(counts: number[], i: number): void {
  while (counts.length <= i) counts.push(0);
  counts[i]!++;
}

function padded(counts: number[], length: number): number[] {
  return [...counts, ...new Array<number>(Math.max(0, length - counts.length)).fill(0)];
}

function mapOutcomes<T>(f: (o: Outcome) => T): Record<Outcome, T> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, f(o)])) as Record<Outcome, T>;
}
