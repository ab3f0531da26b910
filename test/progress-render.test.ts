// The status block and the plain line for a known state: the exact text a person sees.
import t from 'tap';
import { renderBlock, renderPlainLine } from '../lib/progress/render.ts';
import type { CheckerStatus, ProgressSnapshot } from '../lib/progress/state.ts';

const CONTROL = /[\x00-\x09\x0b-\x1f\x7f]/;
const SGR = /\x1b\[[0-9;]*m/g;

const state: ProgressSnapshot = {
  cell: 'kill -9 n1 and restart',
  elapsedMs: 6200,
  durationMs: 12_000,
  windowMs: 1000,
  transfersPerS: { ok: 152, insufficient: 9, fail: 31, info: 2 },
  readsPerS: 41,
  readsOkPerS: 38,
  latency: { p50Us: 4120, p99Us: 38_200 },
  inFlight: 312,
  oldestInFlightMs: 2400,
  faults: [
    { kind: 'latency', targets: 'n2', phase: 'not-applied', atMs: 1000, forMs: 2000, reason: 'unsupported here (the kernel has no netem)' },
    { kind: 'kill', targets: 'n1', phase: 'active', atMs: 3500, forMs: 5000, countdownMs: 2300 },
    { kind: 'pause', targets: 'random', phase: 'planned', atMs: 9000, forMs: 2000, countdownMs: 2800 },
  ],
  nodes: [{ name: 'n1', state: 'killed' }, { name: 'n2', state: 'up' }, { name: 'n3', state: 'up' }],
  checker: { anomalies: 0, stopped: false },
};

t.test('the block for a known state, without colour', async (t) => {
  t.equal(renderBlock(state, { width: 79, colour: false }).join('\n'), [
    '  kill -9 n1 and restart          ━━━━━━━━────────    6.2 s of 12 s, 5.8 s left',
    '  transfers/s  ok 152  insufficient 9  failed 31  indeterminate 2',
    '  reads/s      41 (3 not ok)   in flight 312, oldest due 2.4 s ago',
    '  latency      p50 4.12 ms   p99 38.2 ms   (last second, from when due)',
    '  faults       latency n2    NOT APPLIED: unsupported here (the kernel has no …',
    '               kill n1       ACTIVE since 3.5 s, heals in 2.3 s',
    '               pause random  starts in 2.8 s, lasts 2 s',
    '  nodes        n1 killed   n2 up   n3 up',
    '  checker      no anomalies so far',
  ].join('\n'));
});

t.test('colour marks only what needs attention, and changes no text', async (t) => {
  const plain = renderBlock(state, { width: 79, colour: false });
  const coloured = renderBlock(state, { width: 79, colour: true });
  t.same(coloured.map((l) => l.replace(SGR, '')), plain);
  t.match(coloured[1], '\x1b[31mfailed 31\x1b[0m');
  t.match(coloured[1], '\x1b[33mindeterminate 2\x1b[0m');
  t.notMatch(coloured[1], /\x1b\[\d+mok/, 'ok transfers are not coloured');
  t.match(coloured[4], '\x1b[31mNOT APPLIED');
  t.match(coloured[5], '\x1b[33mACTIVE');
  t.match(coloured[7], 'n1 \x1b[31mkilled\x1b[0m   n2 up   n3 up');
  const calm = renderBlock({ ...state, transfersPerS: { ok: 150, insufficient: 5, fail: 0, info: 0 } }, { width: 79, colour: true });
  t.notMatch(calm[1], SGR, 'no failures, no colour on the rates');
});

t.test('every line fits the width, 80 columns at most, and a long name is cut with an ellipsis', async (t) => {
  const long = { ...state, cell: 'a very long cell name that goes on and on about what it does to the cluster' };
  for (const width of [79, 60, 200]) {
    const lines = renderBlock(long, { width, colour: true }).map((l) => l.replace(SGR, ''));
    for (const l of lines) t.ok([...l].length <= Math.min(width, 80), `${[...l].length} ≤ ${width}: ${l}`);
    t.match(lines[0], /^ {2}a very lon[a-z ]*…  ━/);
  }
});

t.test('the checker line: anomalies found, or the live check stopped', async (t) => {
  const last = (s: Partial<ProgressSnapshot>) => renderBlock({ ...state, ...s }, { width: 79, colour: false }).at(-1);
  t.equal(last({ checker: { anomalies: 3, stopped: false } }), '  checker      3 anomalies so far — see the report');
  t.equal(last({ checker: { anomalies: 1, stopped: true } }), '  checker      stopped at 1 anomaly; the history is checked at the end');
});

t.test('a stall: nothing completed, operations waiting', async (t) => {
  const stalled = renderBlock({ ...state, latency: null, transfersPerS: { ok: 0, insufficient: 0, fail: 0, info: 0 }, faults: [] }, { width: 79, colour: false });
  t.equal(stalled[3], '  latency      no transfer completed in the last second');
  t.equal(stalled[4], '  faults       none in this cell');
});

t.test('many faults: what happens now is shown first, the rest counted', async (t) => {
  const planned = (i: number) => ({ kind: 'pause', targets: `n${i}`, phase: 'planned' as const, atMs: 1000 * i, forMs: 500, countdownMs: 1000 * i });
  const faults = [planned(1), planned(2), planned(3), planned(4), { kind: 'kill', targets: 'n5', phase: 'healing' as const, atMs: 100, forMs: 500, countdownMs: -1500 }];
  const lines = renderBlock({ ...state, faults }, { width: 79, colour: false });
  t.equal(lines[4], '  faults       kill n5       restarting for 1.5 s');
  t.equal(lines[7], '               and 2 more');
});

t.test('the plain line: no control codes, within 80 columns when nothing is happening', async (t) => {
  const steady: ProgressSnapshot = { ...state, elapsedMs: 5000, windowMs: 5000, transfersPerS: { ok: 150, insufficient: 11, fail: 0, info: 0 }, oldestInFlightMs: 40, inFlight: 3, faults: [] };
  const line = renderPlainLine(steady);
  t.equal(line, '    5s  ok 150/s  insufficient 11/s  failed 0/s  indeterminate 0/s  p99 38.2 ms');
  t.ok(line.length <= 80);
  const busy = renderPlainLine({ ...state, checker: { anomalies: 2, stopped: false } });
  t.equal(busy, '    6s  ok 152/s  insufficient 9/s  failed 31/s  indeterminate 2/s  p99 38.2 ms · 312 in flight, oldest due 2.4 s ago · kill n1 heals in 2.3 s · 2 anomalies so far');
  t.notMatch(busy, CONTROL);
});

// The checker line once the live check reached its memory bound: it says the ledger checks wait
// for the final check, and fits an 80-column terminal.
const checkerLine = (checker: CheckerStatus) => renderBlock({ ...state, checker }, { width: 79, colour: false }).at(-1)!;

t.test('past the bound the checker line says the ledger is checked at the end', async (t) => {
  t.equal(checkerLine({ anomalies: 0, stopped: false, ledgerLeftToFinal: true }), '  checker      no anomalies so far · ledger checks at the end');
  const found = checkerLine({ anomalies: 12, stopped: false, ledgerLeftToFinal: true });
  t.equal(found, '  checker      12 anomalies so far — see the report · ledger checks at the end');
  t.ok(found.length <= 79, `${found.length} columns`);
});

t.test('under the bound the line is as before', async (t) => {
  t.equal(checkerLine({ anomalies: 0, stopped: false, ledgerLeftToFinal: false }), '  checker      no anomalies so far');
  t.equal(checkerLine({ anomalies: 0, stopped: false }), '  checker      no anomalies so far');
});

t.test('a stopped live check says so, bound or not', async (t) => {
  t.equal(checkerLine({ anomalies: 1, stopped: true, ledgerLeftToFinal: true }), '  checker      stopped at 1 anomaly; the history is checked at the end');
});
