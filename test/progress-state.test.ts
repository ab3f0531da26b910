// The live display's figures from a known sequence of history events: rates and latencies of the
// last second, operations in flight, fault countdowns and node states.
import t from 'tap';
import { target } from '../lib/faults/targets.ts';
import type { Op } from '../lib/history/op.ts';
import { ProgressState, type CellView } from '../lib/progress/state.ts';

const S = 1e9;
const MS = 1e6;
const START = 10 * S;
const calm = { anomalies: 0, stopped: false };

const cell: CellView = {
  name: 'kill n1',
  durationMs: 12_000,
  startNs: START,
  nodes: ['n1', 'n2', 'n3'],
  faults: [
    { kind: 'latency', target: target.node(1), atMs: 1_000, forMs: 2_000 },
    { kind: 'kill', target: target.node(1), atMs: 3_500, forMs: 5_000 },
    { kind: 'pause', target: target.node(2), atMs: 9_000, forMs: 2_000 },
  ],
};

/** Feeds ops with consecutive indexes; each is [type, f, process, time, extra]. */
function feed(state: ProgressState, ops: [Op['type'], string, Op['process'], number, Partial<Op>?][]): void {
  for (const [type, f, process, time, extra] of ops) {
    state.observe({ index: 0, type, f, process, node: process === 'nemesis' ? null : 'n1', time, value: null, ...extra });
  }
}

/** A transfer due at `dueNs`, invoked then, completed at `doneNs`. */
const transfer = (process: number, dueNs: number, doneNs: number, type: Op['type'], error?: string): [Op['type'], string, Op['process'], number, Partial<Op>?][] => [
  ['invoke', 'transfer', process, dueNs, { intended: dueNs }],
  [type, 'transfer', process, doneNs, error ? { error } : {}],
];
const nemesis = (type: Op['type'], f: string, timeNs: number, value: object, error?: string): [Op['type'], string, Op['process'], number, Partial<Op>?] =>
  [type, f, 'nemesis', timeNs, { value, ...(error ? { error } : {}) }];

function busySecond(): ProgressState {
  const state = new ProgressState();
  const now = START + 5 * S;
  feed(state, [
    // Before the window (it ends at now - 1 s): not counted.
    ...transfer(1, START + 3 * S, START + 3.5 * S, 'ok'),
    nemesis('fail', 'latency', START + 0.1 * S, { targets: ['n1'], phase: 'start' }, 'unsupported: no netem here'),
    nemesis('invoke', 'kill', START + 3.5 * S, { targets: ['n1'], phase: 'start' }),
    nemesis('ok', 'kill', START + 3.6 * S, { targets: ['n1'], phase: 'start', verified: 'none left' }),
    // Due 2 s ago and still open: a stall.
    ['invoke', 'transfer', 9, START + 2 * S, { intended: START + 2 * S }],
    // In the window: latency from when each was due.
    ...transfer(1, now - 600 * MS, now - 590 * MS, 'ok'),
    ...transfer(2, now - 600 * MS, now - 580 * MS, 'ok'),
    ...transfer(3, now - 600 * MS, now - 570 * MS, 'ok'),
    ...transfer(4, now - 600 * MS, now - 595 * MS, 'fail', 'insufficient'),
    ...transfer(5, now - 500 * MS, now - 499 * MS, 'fail', 'connection refused'),
    ...transfer(6, now - 500 * MS, now - 499 * MS, 'fail', 'connection refused'),
    ...transfer(7, now - 950 * MS, now - 50 * MS, 'info', 'timeout'),
    ['invoke', 'read', 20, now - 300 * MS], ['ok', 'read', 20, now - 290 * MS],
    ['invoke', 'read', 21, now - 300 * MS], ['ok', 'read', 21, now - 280 * MS],
    ['invoke', 'read', 22, now - 300 * MS], ['fail', 'read', 22, now - 200 * MS],
    // Setup and audits are not load.
    ['invoke', 'audit', 0, now - 100 * MS], ['ok', 'audit', 0, now - 90 * MS],
  ]);
  return state;
}

t.test('rates and latency of the last second, by outcome', async (t) => {
  const s = busySecond().snapshot(cell, START + 5 * S, 1000, calm);
  t.same(s.transfersPerS, { ok: 3, insufficient: 1, fail: 2, info: 1 });
  t.equal(s.readsPerS, 3);
  t.equal(s.readsOkPerS, 2);
  // Latencies 1, 1, 5, 10, 20, 30, 900 ms: the median is the 4th, p99 the slowest (HDR: within 1 %).
  t.ok(Math.abs(s.latency!.p50Us - 10_000) <= 100, `p50 ${s.latency!.p50Us} µs`);
  t.ok(Math.abs(s.latency!.p99Us - 900_000) <= 9_000, `p99 ${s.latency!.p99Us} µs`);
  t.equal(s.inFlight, 1);
  t.equal(s.oldestInFlightMs, 3000, 'due at 2 s, now 5 s');
  t.equal(s.elapsedMs, 5000);
  t.equal(s.windowMs, 1000);
});

t.test('early in a cell the rates cover what has passed, not a whole second', async (t) => {
  const state = new ProgressState();
  feed(state, [...transfer(1, START + 100 * MS, START + 200 * MS, 'ok'), ...transfer(2, START + 300 * MS, START + 400 * MS, 'ok')]);
  const s = state.snapshot(cell, START + 500 * MS, 1000, calm);
  t.equal(s.windowMs, 500);
  t.equal(s.transfersPerS.ok, 4, '2 transfers in half a second');
  t.equal(s.latency!.p50Us >= 99_000 && s.latency!.p50Us <= 101_000, true, `p50 ${s.latency!.p50Us} µs`);
  t.equal(s.oldestInFlightMs, null);
});

t.test('faults: not applied, active with its countdown, planned with its start; node states follow', async (t) => {
  const state = busySecond();
  const s = state.snapshot(cell, START + 5 * S, 1000, calm);
  t.same(s.faults.map((f) => [f.kind, f.targets, f.phase, f.countdownMs]), [
    ['latency', 'n1', 'not-applied', undefined],
    ['kill', 'n1', 'active', 3500],
    ['pause', 'n2', 'planned', 4000],
  ]);
  t.match(s.faults[0]!.reason, /unsupported: no netem here/);
  t.same(s.nodes, [{ name: 'n1', state: 'killed' }, { name: 'n2', state: 'up' }, { name: 'n3', state: 'up' }], 'the unsupported fault leaves n1 as the kill made it');

  feed(state, [nemesis('invoke', 'kill', START + 8.5 * S, { targets: ['n1'], phase: 'heal' })]);
  const healing = state.snapshot(cell, START + 9 * S, 1000, calm);
  t.same([healing.faults[1]!.phase, healing.faults[1]!.countdownMs], ['healing', -500], 'restarting for 0.5 s');
  t.equal(healing.nodes[0]!.state, 'restarting');
  t.same([healing.faults[2]!.phase, healing.faults[2]!.countdownMs], ['planned', 0], 'the pause is due now');

  feed(state, [nemesis('ok', 'kill', START + 10 * S, { targets: ['n1'], phase: 'heal', verified: 'restarted' })]);
  const healed = state.snapshot(cell, START + 10.5 * S, 1000, calm);
  t.same([healed.faults[1]!.phase, healed.faults[1]!.healedAtMs], ['healed', 10_000]);
  t.equal(healed.nodes[0]!.state, 'up');
});

t.test('a fault that failed on some targets shows only where it was applied; a failed apply is never active', async (t) => {
  const split: CellView = { ...cell, faults: [{ kind: 'partition', target: target.minority(), atMs: 1000, forMs: 4000 }, { kind: 'pause', target: target.node(3), atMs: 1000, forMs: 4000 }] };
  const state = new ProgressState();
  feed(state, [
    nemesis('invoke', 'partition', START + 1 * S, { targets: ['n1', 'n2'], phase: 'start' }),
    nemesis('info', 'partition', START + 1.2 * S, { targets: ['n1'], phase: 'start' }, 'n2: nft failed'),
    nemesis('invoke', 'pause', START + 1 * S, { targets: ['n3'], phase: 'start' }),
    nemesis('fail', 'pause', START + 1.1 * S, { targets: ['n3'], phase: 'start' }, 'n3: container not running'),
    // The nemesis heals a failed fault's targets too, to be safe; it stays not applied.
    nemesis('invoke', 'pause', START + 1.2 * S, { targets: ['n3'], phase: 'heal' }),
    nemesis('ok', 'pause', START + 1.3 * S, { targets: ['n3'], phase: 'heal' }),
  ]);
  const s = state.snapshot(split, START + 2 * S, 1000, calm);
  const partition = s.faults.find((f) => f.kind === 'partition')!;
  t.same([partition.phase, partition.targets, partition.countdownMs], ['active', 'n1,n2', 3000]);
  t.match(partition.reason, /n2: nft failed/);
  const pause = s.faults.find((f) => f.kind === 'pause')!;
  t.same([pause.phase, pause.reason], ['not-applied', 'n3: container not running']);
  t.same(s.nodes.map((n) => n.state), ['isolated', 'up', 'up']);
});

t.test('a deteriorating fault shows its level now', async (t) => {
  const lossy: CellView = { ...cell, faults: [{ kind: 'loss', target: target.node(2), atMs: 0, forMs: 4000, levels: [5, 10, 20, 40] }] };
  const state = new ProgressState();
  feed(state, [
    nemesis('invoke', 'loss', START, { targets: ['n2'], phase: 'start' }),
    nemesis('ok', 'loss', START + 0.1 * S, { targets: ['n2'], phase: 'start' }),
  ]);
  t.equal(state.snapshot(lossy, START + 0.5 * S, 1000, calm).faults[0]!.level, 5, 'the first level');
  feed(state, [
    nemesis('invoke', 'loss', START + 1 * S, { targets: ['n2'], phase: 'step', level: 10 }),
    nemesis('ok', 'loss', START + 1.1 * S, { targets: ['n2'], phase: 'step', level: 10 }),
  ]);
  const s = state.snapshot(lossy, START + 1.5 * S, 1000, calm);
  t.same([s.faults[0]!.level, s.faults[0]!.countdownMs], [10, 2500]);
  t.same(s.nodes.map((n) => n.state), ['up', 'lossy', 'up']);
});

t.test("a new cell does not show the last cell's faults", async (t) => {
  const state = busySecond();
  const next: CellView = { ...cell, name: 'steady', startNs: START + 20 * S, faults: [] };
  const s = state.snapshot(next, START + 21 * S, 1000, calm);
  t.same(s.faults, []);
  t.same(s.nodes.map((n) => n.state), ['up', 'up', 'up']);
  t.same(s.transfersPerS, { ok: 0, insufficient: 0, fail: 0, info: 0 });
  t.equal(s.latency, null);
});
