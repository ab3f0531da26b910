// A realistic RunReport built by code with simple deterministic patterns (no randomness): three
// 30 s cells of a 3-node cluster — steady; kill n1 at 10 s for 5 s (throughput to zero, latency
// spike); pause n1 at 12 s for 5 s plus a 'latency' fault the runtime does not support.
import type { Anomaly, AnomalyClass, CheckResult, OutcomeCounts, SegmentVerdict } from '../../lib/check/verdict.ts';
import type { CellMetrics, Outcome, Quantiles, SecondStats } from '../../lib/metrics/summary.ts';
import type { CellReport, FaultRecord, RunReport } from '../../lib/report/model.ts';

export interface FixtureOptions {
  /** Adds 3 lost transfers in the kill cell and 1 wrong-total read in the pause cell. */
  anomalies?: boolean;
  /** Makes the verdict unknown with this reason (no anomalies). */
  unknownReason?: string;
}

const CELL_S = 30;
const RATE = 500;
const MS = 1000; // µs per ms

type Shape = (s: number) => SecondStats;

function steady(s: number): SecondStats {
  return {
    second: s,
    transfers: { ok: 480 + ((s * 7) % 11) - 5, insufficient: 12 + (s % 5), fail: 0, info: 0 },
    reads: 100 - (s % 3),
    latency: { p50Us: (2.1 + (s % 4) * 0.15) * MS, p99Us: (9 + (s % 5)) * MS, maxUs: (18 + ((s * 13) % 17)) * MS },
  };
}

/** n1 was the leader: nothing commits until a new one is elected and the backlog drains. */
function killShape(s: number): SecondStats {
  const base = steady(s);
  if (s < 10 || s > 16) return base;
  const ok = [0, 0, 0, 120, 320, 690, 560][s - 10]!;
  const fail = [310, 355, 340, 150, 40, 14, 12][s - 10]!;
  const info = s === 10 ? 42 : s === 11 ? 6 : 0;
  const stallS = Math.max(13.6 - s, 0.02); // ops due in the outage wait until about 13.6 s
  return {
    second: s,
    transfers: { ok, insufficient: 0, fail, info },
    reads: s < 13 ? 0 : base.reads,
    latency: { p50Us: stallS * 800 * MS, p99Us: stallS * 1000 * MS + 40 * MS, maxUs: stallS * 1000 * MS + 900 * MS },
  };
}

/** One node of three stops: a third of the ops hang, the rest go on; the hung ones time out. */
function pauseShape(s: number): SecondStats {
  const base = steady(s);
  if (s < 12 || s > 17) return base;
  const hungS = 17 - s;
  return {
    second: s,
    transfers: { ok: s === 17 ? 610 : 322 + (s % 3), insufficient: 8, fail: 0, info: s === 17 ? 25 : 0 },
    reads: s === 17 ? 130 : 66,
    latency: { p50Us: base.latency!.p50Us * 1.4, p99Us: Math.max(hungS, 0.3) * 1000 * MS, maxUs: Math.max(hungS, 0.4) * 1000 * MS + 60 * MS },
  };
}

function perSecond(shape: Shape): SecondStats[] {
  return Array.from({ length: CELL_S }, (_, s) => shape(s));
}

function sum(rows: SecondStats[], f: (r: SecondStats) => number): number {
  return rows.reduce((acc, r) => acc + f(r), 0);
}

/** Whole-cell quantiles shaped like the per-second ones, good enough for a report fixture. */
function quantiles(count: number, p50Ms: number, p99Ms: number, maxMs: number): Quantiles {
  if (count === 0) return { count: 0, meanUs: 0, p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 };
  return {
    count,
    meanUs: Math.round(Math.min(p50Ms * 1.3, p99Ms) * MS),
    p50Us: Math.round(p50Ms * MS),
    p90Us: Math.round(Math.min(p50Ms * 2.2, p99Ms) * MS),
    p99Us: Math.round(p99Ms * MS),
    p999Us: Math.round(((p99Ms + maxMs) / 2) * MS),
    maxUs: Math.round(maxMs * MS),
  };
}

function metrics(rows: SecondStats[]): CellMetrics {
  const count = (o: Outcome) => sum(rows, (r) => r.transfers[o]);
  const worstMaxMs = Math.max(...rows.map((r) => r.latency?.maxUs ?? 0)) / MS;
  const worstP99Ms = Math.max(...rows.map((r) => r.latency?.p99Us ?? 0)) / MS;
  const reads = sum(rows, (r) => r.reads);
  const everyTransfer = count('ok') + count('insufficient') + count('fail') + count('info');
  return {
    durationMs: CELL_S * 1000,
    allTransfers: quantiles(everyTransfer, 2.3, worstP99Ms, worstMaxMs),
    transfers: {
      ok: quantiles(count('ok'), 2.3, Math.min(worstP99Ms, 12.4), worstMaxMs),
      insufficient: quantiles(count('insufficient'), 2.2, 9.1, 20),
      fail: quantiles(count('fail'), 1.1, 6.5, worstMaxMs > 1000 ? 2100 : 24),
      info: quantiles(count('info'), 5000, 5000, 5012),
    },
    reads: {
      ok: quantiles(reads, 1.8, 8.2, Math.min(worstMaxMs, 31)),
      insufficient: quantiles(0, 0, 0, 0),
      fail: quantiles(0, 0, 0, 0),
      info: quantiles(0, 0, 0, 0),
    },
    perSecond: rows,
    retries: sum(rows, (r) => r.transfers.fail) > 2000 ? 37 : 4,
    dropped: Math.max(0, RATE * CELL_S - sum(rows, (r) => r.transfers.ok + r.transfers.insufficient + r.transfers.fail + r.transfers.info)),
    okPerSecond: count('ok') / CELL_S,
  };
}

function verdict(m: CellMetrics, indeterminateApplied: number, anomalies: Partial<Record<AnomalyClass, number>>): SegmentVerdict {
  const counts = (q: Record<Outcome, Quantiles>): OutcomeCounts => ({ ok: q.ok.count, fail: q.fail.count + q.insufficient.count, info: q.info.count });
  const info = m.transfers.info.count;
  return {
    valid: Object.keys(anomalies).length ? false : true,
    anomalies,
    transfers: counts(m.transfers),
    reads: counts(m.reads),
    indeterminate: { total: info, applied: indeterminateApplied, notApplied: info - indeterminateApplied, unresolved: 0 },
  };
}

function fault(f: Partial<FaultRecord> & Pick<FaultRecord, 'kind' | 'targets' | 'plannedAtMs' | 'plannedForMs' | 'status'>): FaultRecord {
  return { verified: f.status === 'applied', ...f };
}

const SETTINGS = { loop: 'open', rate: '500/s', routing: 'all', accounts: 10, isolation: 'serializable' };

function cell(i: number, name: string, shape: Shape, faults: FaultRecord[], applied: number, anomalies: Partial<Record<AnomalyClass, number>>): CellReport {
  const m = metrics(perSecond(shape));
  const startNs = (2 + i * (CELL_S + 3)) * 1e9;
  return { name, settings: SETTINGS, startNs, endNs: startNs + CELL_S * 1e9, faults, metrics: m, verdict: verdict(m, applied, anomalies) };
}

function example(index: number, timeNs: number, node: string, detail: string, severity: number) {
  return { index, time: timeNs, node, detail, severity };
}

function anomalyFindings(cells: CellReport[]): Partial<Record<AnomalyClass, Anomaly>> {
  const kill = cells[1]!.startNs;
  const pause = cells[2]!.startNs;
  const lost = (i: number, id: number, at: number) => example(i, kill + at * 1e9, 'n1', `transfer t-${id} (a3 → a7, 25) was acknowledged ok but is not in the audit ledger`, 25);
  const wrong = example(48211, pause + 14.2e9, 'n2', 'read sums to 9,975, expected 10,000', 25);
  return {
    lost: { count: 3, first: lost(31877, 16021, 9.98), worst: lost(31877, 16021, 9.98), last: lost(31940, 16052, 10.03) },
    'wrong-total': { count: 1, first: wrong, worst: wrong, last: wrong },
  };
}

function addCounts(a: OutcomeCounts, b: OutcomeCounts): OutcomeCounts {
  return { ok: a.ok + b.ok, fail: a.fail + b.fail, info: a.info + b.info };
}

function checkResult(cells: CellReport[], opts: FixtureOptions): CheckResult {
  const zero = { ok: 0, fail: 0, info: 0 };
  const transfers = cells.reduce((acc, c) => addCounts(acc, c.verdict.transfers), zero);
  const reads = cells.reduce((acc, c) => addCounts(acc, c.verdict.reads), zero);
  const ind = cells.map((c) => c.verdict.indeterminate);
  const anomalies = opts.anomalies ? anomalyFindings(cells) : {};
  const valid = opts.anomalies ? false : opts.unknownReason ? 'unknown' : true;
  return {
    valid,
    ...(opts.unknownReason && !opts.anomalies ? { reason: opts.unknownReason } : {}),
    initialTotal: 10_000,
    anomalies,
    ops: 2 * (transfers.ok + transfers.fail + transfers.info + reads.ok + reads.fail + reads.info) + 4,
    transfers,
    reads,
    audits: opts.unknownReason ? 0 : 1,
    indeterminate: {
      total: ind.reduce((a, r) => a + r.total, 0),
      applied: ind.reduce((a, r) => a + r.applied, 0),
      notApplied: ind.reduce((a, r) => a + r.notApplied, 0),
      unresolved: 0,
    },
    segments: Object.fromEntries(cells.map((c) => [c.name, c.verdict])),
  };
}

export function runFixture(opts: FixtureOptions = {}): RunReport {
  const cells = [
    cell(0, 'steady', steady, [], 0, {}),
    cell(1, 'kill n1', killShape, [
      fault({ kind: 'kill', targets: ['n1'], plannedAtMs: 10_000, plannedForMs: 5_000, appliedAtMs: 10_040, healedAtMs: 16_200, status: 'applied', detail: 'process gone (pid 4121), restarted and healthy' }),
    ], 17, opts.anomalies ? { lost: 3 } : {}),
    cell(2, 'pause n1 + latency n2', pauseShape, [
      fault({ kind: 'pause', targets: ['n1'], plannedAtMs: 12_000, plannedForMs: 5_000, appliedAtMs: 12_020, healedAtMs: 17_050, status: 'applied', detail: 'SIGSTOP, state T checked' }),
      fault({ kind: 'latency', targets: ['n2'], plannedAtMs: 20_000, plannedForMs: 6_000, status: 'unsupported', detail: 'the embedded runtime cannot add network latency (needs tc in a container)' }),
    ], 11, opts.anomalies ? { 'wrong-total': 1 } : {}),
  ];
  return {
    notebook: 'postgres-3node',
    startedAt: '2025-11-25T18:50:12.345Z',
    command: 'npx tsx notebooks/postgres-3node.ts --seed 7 --duration 30s --rate 500',
    params: { seed: 7, durationMs: 30_000, rate: RATE, nodes: 3, accounts: 10 },
    environment: { database: 'postgres 18.1 (embedded)', nodes: 3, runtime: 'embedded', node: 'v20.20.2', machine: 'linux x64, 8 vCPU, 16 GiB' },
    cells,
    check: checkResult(cells, opts),
  };
}
