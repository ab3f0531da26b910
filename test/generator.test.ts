import t from 'tap';
import { OpGenerator } from '../lib/workload/generator.ts';

const opts = { seed: 7, accounts: 10, maxAmount: 20, readShare: 0.2 };
const take = (g: OpGenerator, n: number) => Array.from({ length: n }, () => g.next());

t.test('the same seed gives the same operations', async (t) => {
  t.same(take(new OpGenerator(opts), 500), take(new OpGenerator(opts), 500));
});

t.test('another seed gives other operations', async (t) => {
  t.notSame(take(new OpGenerator(opts), 50), take(new OpGenerator({ ...opts, seed: 8 }), 50));
});

t.test('transfers: distinct known accounts, amounts in 1..max, unique ids; reads near the share', async (t) => {
  const ops = take(new OpGenerator(opts), 20_000);
  const ids = new Set<string>();
  const wrong: unknown[] = [];
  let reads = 0;
  for (const op of ops) {
    if (op.f === 'read') { reads++; continue; }
    const { id, from, to, amount } = op.value;
    const ok = from !== to && /^a[0-9]$/.test(from) && /^a[0-9]$/.test(to) && Number.isInteger(amount) && amount >= 1 && amount <= 20;
    if (!ok) wrong.push(op.value);
    ids.add(id);
  }
  t.same(wrong, [], 'no transfer with equal, unknown or out-of-range fields');
  t.equal(ids.size, ops.length - reads, 'every transfer id is unique');
  t.ok(Math.abs(reads / ops.length - 0.2) < 0.02, `read share ${reads / ops.length} is about 0.2`);
});

t.test('every ordered pair of accounts occurs', async (t) => {
  const g = new OpGenerator({ ...opts, accounts: 3, readShare: 0 });
  const pairs = new Set(take(g, 2000).map((op) => (op.f === 'transfer' ? `${op.value.from}>${op.value.to}` : '')));
  t.same([...pairs].sort(), ['a0>a1', 'a0>a2', 'a1>a0', 'a1>a2', 'a2>a0', 'a2>a1']);
});

t.test('a bank of one account is refused with a reason', async (t) => {
  t.throws(() => new OpGenerator({ ...opts, accounts: 1 }), /at least 2 accounts/);
});
