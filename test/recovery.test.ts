// Recovery figures of hand-built cells whose answers are worked out below, one second at a time.
import t from 'tap';
import { encodeHistogram, newSecondHistogram, recordUs } from '../lib/metrics/hdr.ts';
import type { CellMetrics, Outcome, SecondStats } from '../lib/metrics/summary.ts';
import { CellRecorder } from '../lib/metrics/cell-recorder.ts';
import type { CellReport, FaultRecord } from '../lib/report/model.ts';
import { recoveryAnalysis, recoveryFigures } from '../lib/report/recovery.ts';

const S = 1e9;
const MS = 1e6;

/** A second's due-latency histogram: `n` transfers at each of the given µs values (< 256 µs: exact at 2 digits). */
function hdr(values: [us: number, n: number][]): string {
  const h = newSecondHistogram();
  for (const [us, n] of values) for (let i = 0; i < n; i++) recordUs(h, us);
  return encodeHistogram(h);
}

// 20 s at 100 ok/s; n1 killed at 8.0 s, healed at 12.0 s.
//  second:      0-7   8    9    10   11   12   13   14-19
//  ok           100   30   0    0    0    40   95   100
//  insufficient 5     2    0    0    0    1    5    5
//  failed       0     60   100  100  100  50   2    0
//  indeterminate 0    5    0    0    0    0    0    0
// due latency: outside the fault 98 × 20 µs + 2 × 120 µs a second; seconds 8-11 90 × 30 µs + 10 × 250 µs.
const OK = [100, 100, 100, 100, 100, 100, 100, 100, 30, 0, 0, 0, 40, 95, 100, 100, 100, 100, 100, 100];
const INSUFFICIENT = [5, 5, 5, 5, 5, 5, 5, 5, 2, 0, 0, 0, 1, 5, 5, 5, 5, 5, 5, 5];
const FAILED = [0, 0, 0, 0, 0, 0, 0, 0, 60, 100, 100, 100, 50, 2, 0, 0, 0, 0, 0, 0];
const INDETERMINATE = [0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const INSIDE_HDR = hdr([[30, 90], [250, 10]]);
const OUTSIDE_HDR = hdr([[20, 98], [120, 2]]);

function handSeconds(withHistograms: boolean): SecondStats[] {
  return OK.map((ok, second) => {
    const inside = second >= 8 && second <= 11;
    return {
      second,
      transfers: { ok, insufficient: INSUFFICIENT[second]!, fail: FAILED[second]!, info: INDETERMINATE[second]! },
      reads: 0,
      latency: inside ? { p50Us: 30, p99Us: 250, maxUs: 250 } : { p50Us: 20, p99Us: 120, maxUs: 120 },
      ...(withHistograms ? { latencyHdr: inside ? INSIDE_HDR : OUTSIDE_HDR } : {}),
    };
  });
}

const noQuantiles = { count: 0, meanUs: 0, p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 };
const byOutcome = <T>(v: T): Record<Outcome, T> => ({ ok: v, insufficient: v, fail: v, info: v });

function metricsOf(perSecond: SecondStats[], extra: Partial<CellMetrics> = {}): CellMetrics {
  return {
    durationMs: perSecond.length * 1000,
    allTransfers: noQuantiles,
    transfers: byOutcome(noQuantiles),
    reads: byOutcome(noQuantiles),
    perSecond,
    retries: 0,
    dropped: 0,
    okPerSecond: 0,
    ...extra,
  };
}

const kill = (extra: Partial<FaultRecord> = {}): FaultRecord => ({
  kind: 'kill', targets: ['n1'], plannedAtMs: 8000, plannedForMs: 4000, appliedAtMs: 8000, healedAtMs: 12000, status: 'applied', verified: true, ...extra,
});

function cellOf(metrics: CellMetrics, faults: FaultRecord[]): CellReport {
  return {
    name: 'kill n1',
    settings: { loop: 'open', routing: 'all' },
    startNs: 0,
    endNs: metrics.durationMs * 1e6,
    faults,
    metrics,
    verdict: { valid: true, anomalies: {}, transfers: { ok: 0, fail: 0, info: 0 }, reads: { ok: 0, fail: 0, info: 0 }, indeterminate: { total: 0, applied: 0, notApplied: 0, unresolved: 0 } },
  };
}

t.test('a per-second series with a kill: the figures worked out by hand', async (t) => {
  const cell = cellOf(metricsOf(handSeconds(true)), [kill()]);
  t.same(recoveryFigures(cell), [
    {
      fault: 'kill n1',
      applied: true,
      baselineOkPerS: 100, // seconds 0-7, all 100
      dropAfterMs: 0, // second 8 ran 30/s, below 50, from the fault's start
      unavailableMs: 3000, // seconds 9-11: nothing ok, nothing refused
      recoveredAfterMs: 1000, // second 12 ran 40/s; second 13, 95/s ≥ 90
      errorBurst: 415, // due 8.0-13.0 s, counted by the second they completed in: 60+100+100+100+50 failed, 5 indeterminate
      p99InsideUs: 250, // seconds 8-11: 360 × 30 µs, 40 × 250 µs
      p99OutsideUs: 120, // the baseline's seconds 0-7: 784 × 20 µs, 16 × 120 µs
    },
  ]);
  // every time: the same figures from the same cell
  t.same(recoveryFigures(cell), recoveryFigures(structuredClone(cell)));
  const [a] = recoveryAnalysis(cell);
  t.same([a!.window, a!.droppedAtMs, a!.recoveredAtMs, a!.unavailable], [{ fromMs: 8000, toMs: 12000 }, 8000, 13000, { fromMs: 9000, toMs: 12000 }]);
});

t.test('saved without histograms: no p99s rather than a guess', async (t) => {
  const [f] = recoveryFigures(cellOf(metricsOf(handSeconds(false)), [kill()]));
  t.equal(f!.p99InsideUs, null);
  t.equal(f!.p99OutsideUs, null);
  t.equal(f!.unavailableMs, 3000, 'the rest is unchanged');
});

t.test('a fault that never healed within the cell, and one that had no effect', async (t) => {
  const never = handSeconds(true).map((s) => (s.second >= 12 ? { ...s, transfers: { ok: 0, insufficient: 0, fail: 100, info: 0 } } : s));
  const [f] = recoveryFigures(cellOf(metricsOf(never), [kill({ healedAtMs: 14000 })]));
  t.equal(f!.recoveredAfterMs, null, 'no recovery in the cell');
  t.equal(f!.unavailableMs, 11_000, 'seconds 9-19 without an answer');
  t.equal(f!.errorBurst, 60 + 5 + 100 * 11, 'errors up to the cell end');

  const calm = handSeconds(true).map((s) => ({ ...s, transfers: { ok: 100, insufficient: 5, fail: 0, info: 0 } }));
  const [g] = recoveryFigures(cellOf(metricsOf(calm), [kill()]));
  t.match(g, { dropAfterMs: null, unavailableMs: 0, recoveredAfterMs: 0, errorBurst: 0 });
});

t.test('a fault that was not applied is measured over its planned window and says so', async (t) => {
  const planned: FaultRecord = { kind: 'latency', targets: ['n2'], plannedAtMs: 8000, plannedForMs: 4000, status: 'unsupported', verified: false };
  const [f] = recoveryFigures(cellOf(metricsOf(handSeconds(true)), [planned]));
  t.match(f, { fault: 'latency n2', applied: false, baselineOkPerS: 100, dropAfterMs: 0, recoveredAfterMs: 1000 });
  t.equal(f!.p99InsideUs, 250, 'the planned window is inside');
  t.equal(f!.p99OutsideUs, 120, 'and the seconds before it are the baseline');
});

// The finer data, through the recorder: a transfer due every 10 ms on n1 and n2 in turn, ok after
// 2 ms, except those due from 8.00 to 11.49 s, which fail after 1 ms. Fault 7.95 s to 11.0 s.
function recordedCell(): CellReport {
  const r = new CellRecorder(0);
  for (let i = 0; i < 2000; i++) {
    const due = i * 10 * MS;
    const failing = due >= 8 * S && due < 11.5 * S;
    r.record('transfer', failing ? 'fail' : 'ok', due, due + (failing ? 1 : 2) * MS, i % 2 ? 'n2' : 'n1');
  }
  return cellOf(r.summary(20 * S, 0), [kill({ appliedAtMs: 7950, healedAtMs: 11_000 })]);
}

t.test('100 ms buckets and the gaps between answers time the outage to the millisecond', async (t) => {
  const cell = recordedCell();
  const [f] = recoveryFigures(cell);
  t.match(f, {
    baselineOkPerS: 100, // seconds 0-6 (second 7 holds the fault's start)
    dropAfterMs: 50, // 7.9-8.0 s still 10 ok; 8.0-8.1 s none
    unavailableMs: 3510, // last ok at 7.992 s, next at 11.502 s
    recoveredAfterMs: 500, // 11.5-11.6 s: 10 ok, and the second from there 100
    errorBurst: 350, // due 8.00-11.49 s
  });
  t.same(recoveryAnalysis(cell)[0]!.unavailable, { fromMs: 7992, toMs: 11_502 });
  // seconds 7-10 inside: 100 × 2 ms + 300 × 1 ms; outside, the baseline's seconds 0-6: all 2 ms;
  // at 2 significant digits, 2 ms reads as 2.007
  t.ok(Math.abs(f!.p99InsideUs! - 2000) <= 8, `p99 inside ${f!.p99InsideUs}`);
  t.ok(Math.abs(f!.p99OutsideUs! - 2000) <= 8, `p99 outside ${f!.p99OutsideUs}`);
});
