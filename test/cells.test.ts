import t from 'tap';
import { cell, faults, planCell } from '../lib/cells.ts';
import { target } from '../lib/faults/targets.ts';
import { DEFAULTS } from '../lib/params.ts';
import { SeededRandom } from '../lib/random.ts';

const params = { ...DEFAULTS, durationMs: 30_000, faultMs: 5_000, seed: 7 };
const nemesis = () => new SeededRandom(7, 'nemesis');

t.test('a fault is centred in its cell by default, and never longer than half of it', async (t) => {
  const plan = planCell(cell('kill', { fault: faults.kill(target.node(2)) }), params, nemesis());
  t.same(plan.faults, [{ kind: 'kill', target: target.node(2), atMs: 12_500, forMs: 5_000 }]);
  const short = planCell(cell('pause', { fault: faults.pause(), duration: '6s', for: '10s' }), params, nemesis());
  t.equal(short.faults[0]!.forMs, 3_000, 'clamped to half the cell');
  t.equal(short.durationMs, 6_000);
});

t.test('a random cell: same seed, same faults; one per slot, no overlap, room to recover', async (t) => {
  const spec = cell('random', { fault: faults.random({ kinds: ['kill', 'pause', 'partition'], count: 4 }) });
  const a = planCell(spec, params, nemesis());
  const b = planCell(spec, params, nemesis());
  t.same(a.faults, b.faults, 'deterministic from the seed');
  t.notSame(a.faults, planCell(spec, params, new SeededRandom(8, 'nemesis')).faults, 'another seed, other faults');
  t.equal(a.faults.length, 4);
  const slot = params.durationMs / 4;
  a.faults.forEach((f, i) => {
    t.ok(['kill', 'pause', 'partition'].includes(f.kind), `kind ${f.kind}`);
    t.same(f.target, target.random());
    t.ok(f.atMs >= i * slot && f.atMs + f.forMs <= i * slot + slot * 0.75 + 1, `fault ${i} inside the first three quarters of its slot`);
    t.ok(f.forMs >= slot * 0.25 - 1 && f.forMs <= slot * 0.5 + 1, `fault ${i} lasts a quarter to a half of its slot`);
  });
});

t.test('a random cell with nothing to draw is refused', async (t) => {
  t.throws(() => planCell(cell('r', { fault: faults.random({ kinds: [] }) }), params, nemesis()), /at least one fault and one kind/);
});
