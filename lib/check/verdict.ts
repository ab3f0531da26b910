// What the bank checker reports. Findings, not booleans: each anomaly class with its count and
// its first, worst and last example.
import type { RealtimeSummary } from './realtime.ts';

export const ANOMALY_CLASSES = [
  'wrong-total',
  'negative',
  'unexpected-key',
  'missing-key',
  'lost',
  'failed-but-applied',
  'phantom',
  'double-apply',
  'ledger-mismatch',
] as const;
export type AnomalyClass = (typeof ANOMALY_CLASSES)[number];

export interface AnomalyExample {
  /** History index of the op the finding is about (the read, the audit, or the transfer's invoke). */
  index: number;
  time: number;
  node: string | null;
  /** One sentence a person can read, e.g. "read sums to 990, expected 1000". */
  detail: string;
  /** How bad it is, for picking the worst example (e.g. |sum - total|). */
  severity: number;
}

export interface Anomaly {
  count: number;
  first: AnomalyExample;
  worst: AnomalyExample;
  last: AnomalyExample;
}

export interface OutcomeCounts {
  ok: number;
  fail: number;
  info: number;
}

export interface IndeterminateResolution {
  /** Transfers that ended `info`. */
  total: number;
  /** Of those, found in the last audit's ledger. */
  applied: number;
  /** Of those, absent from the last audit's ledger. */
  notApplied: number;
  /** Not resolvable: no audit came after them. */
  unresolved: number;
}

/** valid: no anomaly and an audit settled every transfer; unknown: no anomaly, but nothing settled them. */
export type Validity = true | false | 'unknown';

export interface SegmentVerdict {
  valid: Validity;
  anomalies: Partial<Record<AnomalyClass, number>>;
  transfers: OutcomeCounts;
  reads: OutcomeCounts;
  /** Reads checked for staleness in the segment, and how many were stale. */
  realtime?: { checked: number; stale: number };
  indeterminate: IndeterminateResolution;
}

export interface CheckResult {
  valid: Validity;
  /** Why the verdict is unknown (e.g. "no audit in the history"). */
  reason?: string;
  initialTotal: number | null;
  anomalies: Partial<Record<AnomalyClass, Anomaly>>;
  ops: number;
  transfers: OutcomeCounts;
  reads: OutcomeCounts;
  audits: number;
  indeterminate: IndeterminateResolution;
  /** Per named segment (a notebook's cells), when segments were given. */
  segments?: Record<string, SegmentVerdict>;
  /** Realtime reads (strict serializability), beside the money verdict: lib/check/realtime.ts. */
  realtime?: RealtimeSummary;
}

/** A named stretch of the history, from op index `fromIndex` to the next segment's start. */
export interface Segment {
  name: string;
  fromIndex: number;
}
