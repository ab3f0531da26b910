// Throughput and latency of one cell: an HDR histogram per operation kind and outcome for the
// whole cell, and per second a count of completions and a histogram of the transfers that were
// due in that second (latency from the intended start, so stalls land where they began).
import type { Histogram } from 'hdr-histogram-js';
import { newHistogram, newSecondHistogram, quantiles, recordUs } from './hdr.ts';
import { OUTCOMES, type CellMetrics, type Outcome, type SecondStats } from './summary.ts';

interface SecondBucket {
  transfers: Record<Outcome, number>;
  reads: number;
  dueLatency: Histogram | null;
}

export class CellRecorder {
  private readonly transfers = mapOutcomes(() => newHistogram());
  private readonly allTransfers = newHistogram();
  private readonly reads = mapOutcomes(() => newHistogram());
  private readonly seconds: SecondBucket[] = [];
  private dropped = 0;
  /** Transfers by the conflict retries their adapter reported (retries → count). */
  private readonly retryCounts = new Map<number, number>();

  /** @param startNs run time at which the cell's load started */
  constructor(private readonly startNs: number) {}

  /** @param node the API node that served the operation (n1, n2, …) */
  record(f: 'transfer' | 'read', outcome: Outcome, intendedNs: number, completedNs: number, _node?: string): void {
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
      });
    }
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
    };
  }

  /** Live figures for the terminal: counts so far by outcome. */
  counts(): Record<Outcome, number> {
    return mapOutcomes((o) => this.transfers[o].totalCount);
  }

  private bucket(timeNs: number): SecondBucket {
    const second = Math.max(0, Math.floor((timeNs - this.startNs) / 1e9));
    for (let s = this.seconds.length; s <= second; s++) {
      this.seconds.push({ transfers: mapOutcomes(() => 0), reads: 0, dueLatency: null });
    }
    return this.seconds[second]!;
  }
}

function mapOutcomes<T>(f: (o: Outcome) => T): Record<Outcome, T> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, f(o)])) as Record<Outcome, T>;
}
