import t from 'tap';
import { CellRecorder } from '../lib/metrics/cell-recorder.ts';

const S = 1e9;
const MS = 1e6;

t.test('completions are counted in the second they finished, latency in the second they were due', async (t) => {
  const r = new CellRecorder(0);
  // Second 0: two quick ok transfers. Second 2: one due then, answered in second 4 (a stall).
  r.record('transfer', 'ok', 0.1 * S, 0.1 * S + 2 * MS);
  r.record('transfer', 'ok', 0.5 * S, 0.5 * S + 4 * MS);
  r.record('transfer', 'info', 2.2 * S, 4.2 * S);
  r.record('read', 'ok', 1.1 * S, 1.1 * S + 1 * MS);
  for (const retries of [0, 3, 0]) r.recordRetries(retries);
  const m = r.summary(5 * S, 3);
  t.equal(m.perSecond.length, 5);
  t.same(m.perSecond[0]!.transfers, { ok: 2, insufficient: 0, fail: 0, info: 0 });
  t.same(m.perSecond[4]!.transfers, { ok: 0, insufficient: 0, fail: 0, info: 1 });
  t.equal(m.perSecond[1]!.reads, 1);
  t.equal(m.perSecond[3]!.latency, null, 'nothing was due in second 3');
  const stall = m.perSecond[2]!.latency!;
  t.ok(Math.abs(stall.maxUs - 2_000_000) / 2_000_000 < 0.001, `the stall shows as ~2 s in the second it was due (${stall.maxUs} µs)`);
  t.ok(Math.abs(m.perSecond[0]!.latency!.maxUs - 4000) <= 4, 'max of second 0 is the 4 ms transfer');
  t.equal(m.transfers.ok.count, 2);
  t.equal(m.transfers.info.count, 1);
  t.equal(m.allTransfers.count, 3, 'the headline counts every transfer, the timed-out one too');
  t.ok(m.allTransfers.maxUs >= 1_990_000, 'and its latency');
  t.equal(m.reads.ok.count, 1);
  t.equal(m.retries, 3);
  t.same(m.retriesPerTransfer, { 0: 2, 3: 1 }, 'retries per transfer: a histogram of exact counts');
  t.ok(Math.abs(m.okPerSecond - 2 / 5) < 1e-9, 'ok per second over the whole cell');
});

t.test('quantiles are HDR-accurate to 3 significant digits', async (t) => {
  const r = new CellRecorder(0);
  for (let i = 1; i <= 1000; i++) r.record('transfer', 'ok', 0, i * 1000 * 1000); // 1..1000 ms
  const q = r.summary(2 * S, 0).transfers.ok;
  const near = (a: number, b: number) => Math.abs(a - b) / b < 0.002;
  t.ok(near(q.p50Us, 500_000), `p50 ${q.p50Us}`);
  t.ok(near(q.p99Us, 990_000), `p99 ${q.p99Us}`);
  t.ok(near(q.p999Us, 999_000), `p99.9 ${q.p999Us}`);
  t.ok(near(q.maxUs, 1_000_000), `max ${q.maxUs}`);
});

t.test('an empty cell reports zeros and one bucket per second of its duration', async (t) => {
  const m = new CellRecorder(10 * S).summary(13 * S, 0);
  t.equal(m.perSecond.length, 3);
  t.equal(m.transfers.ok.count, 0);
  t.equal(m.okPerSecond, 0);
});
