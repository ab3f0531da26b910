// The recorder's figures for the recovery analysis and the extra charts, from a hand-fed cell.
import t from 'tap';
import { CellRecorder } from '../lib/metrics/cell-recorder.ts';
import { mergeEncoded } from '../lib/metrics/hdr.ts';
import { DISTRIBUTION_PERCENTILES } from '../lib/metrics/summary.ts';

const S = 1e9;
const MS = 1e6;

// A cell that starts 10 s into the run and lasts 2 s.
function handFed() {
  const r = new CellRecorder(10 * S);
  r.record('transfer', 'ok', 10.29 * S, 10.3 * S, 'n1'); //          first answer at 300 ms
  r.record('transfer', 'insufficient', 10.36 * S, 10.37 * S, 'n2'); // 70 ms later: too short to keep
  r.record('transfer', 'fail', 10.38 * S, 10.6 * S, 'n1'); //         not an answer
  r.record('read', 'ok', 10.5 * S, 10.51 * S, 'n3'); //               a read is not a transfer
  r.record('transfer', 'info', 10.41 * S, 11.9 * S, 'n3'); //         not an answer either
  r.record('transfer', 'ok', 10.79 * S, 10.8 * S, 'n2'); //           430 ms without an answer
  r.record('transfer', 'ok', 10.84 * S, 10.85 * S, 'n1');
  return r.summary(12 * S, 0); //                                     then nothing for 1,150 ms
}

t.test('gaps between answers: from the start, between answers, to the end', async (t) => {
  t.same(handFed().answerGaps, [
    { fromMs: 0, toMs: 300 },
    { fromMs: 370, toMs: 800 },
    { fromMs: 850, toMs: 2000 },
  ]);
});

t.test('100 ms buckets: ok by completion, failed and indeterminate by intended start', async (t) => {
  const fine = handFed().fine!;
  t.equal(fine.bucketMs, 100);
  const okDone = new Array(20).fill(0);
  okDone[3] = 1; // 10.30 s
  okDone[8] = 2; // 10.80 and 10.85 s
  const errorsDue = new Array(20).fill(0);
  errorsDue[3] = 1; // failed, due 10.38 s
  errorsDue[4] = 1; // indeterminate, due 10.41 s, answered only at 11.9 s
  t.same(fine.okDone, okDone);
  t.same(fine.errorsDue, errorsDue);
});

t.test('ok transfers per API node and second, every node that answered a transfer listed', async (t) => {
  const m = handFed();
  t.same(m.perSecond.map((s) => s.okByNode), [
    { n1: 2, n2: 1, n3: 0 },
    { n1: 0, n2: 0, n3: 0 },
  ]);
  t.same(new CellRecorder(0).summary(S, 0).perSecond[0]!.okByNode, {}, 'no transfer, no node');
});

t.test('per-second histograms are kept encoded and merge back to the same counts', async (t) => {
  const [first, second] = handFed().perSecond;
  const h = mergeEncoded([first!.latencyHdr!]);
  t.equal(h.totalCount, 6, 'the six transfers due in second 0');
  t.ok(Math.abs(h.maxValue - 1_490_000) / 1_490_000 < 0.01, `the slowest is the indeterminate one, 1.49 s (${h.maxValue} µs)`);
  t.equal(second!.latencyHdr, undefined, 'nothing due in second 1');
  t.equal(mergeEncoded([first!.latencyHdr!, first!.latencyHdr!]).totalCount, 12, 'merging adds');
});

t.test('latency distribution: percentiles below the last rank, then the maximum', async (t) => {
  const r = new CellRecorder(0);
  for (let i = 1; i <= 1000; i++) r.record('transfer', 'ok', 0, i * MS); // 1..1000 ms
  r.record('transfer', 'fail', 0, 7 * MS);
  const d = r.summary(2 * S, 0).distribution!;
  t.same(d.ok.map((p) => p.percentile), [...DISTRIBUTION_PERCENTILES.filter((p) => p < 99.9), 99.9]);
  const near = (us: number, expectedUs: number) => Math.abs(us - expectedUs) / expectedUs < 0.002;
  t.ok(near(d.ok[0]!.us, 500_000), `p50 ${d.ok[0]!.us}`);
  t.ok(near(d.ok.find((p) => p.percentile === 99)!.us, 990_000), 'p99');
  t.ok(near(d.ok.at(-1)!.us, 1_000_000), 'ends on the maximum');
  t.equal(d.fail.length, 1, 'one failed transfer: just its value');
  t.ok(near(d.fail[0]!.us, 7000));
  t.same(d.info, [], 'none indeterminate');
});
