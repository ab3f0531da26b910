// Named stretches of the history (a notebook's cells) and what happened in each.
// A finding belongs to the latest segment whose fromIndex <= the index it is about; ops before
// the first segment belong to none (they still count in the overall verdict).

import type { Settlement } from './settlement.ts';
import type {
  AnomalyClass,
  OutcomeCounts,
  Segment,
  SegmentVerdict,
} from './verdict.ts';

export type Outcome = keyof OutcomeCounts;

interface SegmentStats {
  name: string;
  fromIndex: number;
  anomalies: Partial<Record<AnomalyClass, number>>;
  anomalyCount: number;
  transfers: OutcomeCounts;
  reads: OutcomeCounts;
  /** Reads checked for staleness, and those found stale (lib/check/realtime.ts). */
  realtime: { checked: number; stale: number };
}

export class SegmentTally {
  private readonly list: SegmentStats[] = [];
  private readonly names = new Set<string>();

  constructor(segments: readonly Segment[] = []) {
    for (const s of [...segments].sort((a, b) => a.fromIndex - b.fromIndex)) this.start(s);
  }

  get size(): number {
    return this.list.length;
  }

  /** Segments only grow forward, so findings already attributed never move. */
  start(segment: Segment): void {
    const last = this.list.at(-1);
    if (last && segment.fromIndex < last.fromIndex) {
      throw new RangeError(
        `segment "${segment.name}" starts at index ${segment.fromIndex}, before "${last.name}" (${last.fromIndex})`,
      );
    }
    this.list.push({
      name: this.uniqueName(segment.name),
      fromIndex: segment.fromIndex,
      anomalies: {},
      anomalyCount: 0,
      transfers: { ok: 0, fail: 0, info: 0 },
      reads: { ok: 0, fail: 0, info: 0 },
      realtime: { checked: 0, stale: 0 },
    });
  }

  /** The latest segment starting at or before `index`, or -1 when it precedes them all. */
  at(index: number): number {
    let lo = 0;
    let hi = this.list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid]!.fromIndex <= index) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  countAnomaly(index: number, cls: AnomalyClass): void {
    const s = this.list[this.at(index)];
    if (!s) return;
    s.anomalies[cls] = (s.anomalies[cls] ?? 0) + 1;
    s.anomalyCount++;
  }

  countRealtime(segment: number, stale: boolean): void {
    const s = this.list[segment];
    if (!s) return;
    s.realtime.checked++;
    if (stale) s.realtime.stale++;
  }

  countOutcome(segment: number, kind: 'transfers' | 'reads', outcome: Outcome): void {
    const s = this.list[segment];
    if (s) s[kind][outcome]++;
  }

  /** `checkable` is false when there was no setup, so nothing in any segment could be settled. */
  verdicts(settlement: Settlement, checkable: boolean): Record<string, SegmentVerdict> {
    const out: Record<string, SegmentVerdict> = {};
    this.list.forEach((s, i) => {
      const settled = settlement.segment(i);
      const unknown = !checkable || settled.unsettled > 0;
      out[s.name] = {
        valid: s.anomalyCount > 0 ? false : unknown ? 'unknown' : true,
        anomalies: { ...s.anomalies },
        transfers: { ...s.transfers },
        reads: { ...s.reads },
        realtime: { ...s.realtime },
        indeterminate: settled.indeterminate,
      };
    });
    return out;
  }

  /** Output is keyed by name, so a repeated name gets a suffix instead of merging two cells. */
  private uniqueName(name: string): string {
    let unique = name;
    for (let n = 2; this.names.has(unique); n++) unique = `${name} (${n})`;
    this.names.add(unique);
    return unique;
  }
}
