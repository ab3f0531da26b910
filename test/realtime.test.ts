// The realtime-read check (lib/check/realtime.ts): exact with account versions, beside the money
// verdict, and silent about reads that carry no versions or overlap the transfer.
import t from 'tap';
import { checkLines } from '../lib/check/check-file.ts';

const balances = { a0: 100, a1: 100 };
let index = 0;
const op = (o: Record<string, unknown>) => JSON.stringify({ index: index++, node: 'n1', time: index * 1000, ...o });
const setup = () => [
  op({ type: 'invoke', f: 'setup', process: 0, value: { balances } }),
  op({ type: 'ok', f: 'setup', process: 0, value: { balances } }),
];
const transfer = (process: number, versions?: Record<string, number>) => {
  const value = { id: `t${index}`, from: 'a0', to: 'a1', amount: 5 };
  return [op({ type: 'invoke', f: 'transfer', process, value }), op({ type: 'ok', f: 'transfer', process, value, ...(versions ? { versions } : {}) })];
};
const readInvoke = (process: number) => op({ type: 'invoke', f: 'read', process, value: null });
const readOk = (process: number, b: Record<string, number>, versions?: Record<string, number>) =>
  op({ type: 'ok', f: 'read', process, value: { balances: b }, ...(versions ? { versions } : {}) });
const audit = (b: Record<string, number>, ids: string[]) => [
  op({ type: 'invoke', f: 'audit', process: 0, value: null }),
  op({ type: 'ok', f: 'audit', process: 0, value: { balances: b, transfers: ids } }),
];

t.beforeEach(() => {
  index = 0;
});

t.test('a read invoked after a transfer was acknowledged, showing an older version, is stale — and the money is still right', async (t) => {
  const lines = setup();
  const xfer = transfer(1, { a0: 1, a1: 1 });
  const id = JSON.parse(xfer[0]!).value.id as string;
  lines.push(...xfer, readInvoke(2), readOk(2, balances, { a0: 0, a1: 0 }), ...audit({ a0: 95, a1: 105 }, [id]));
  const r = await checkLines(lines);
  t.equal(r.valid, true, 'no money anomaly: the total is right');
  t.same([r.realtime?.checked, r.realtime?.stale], [1, 1]);
  t.match(r.realtime?.first?.detail, new RegExp(`a0 at version 0, but transfer ${id} \\(acknowledged at index 3\\) left it at 1`));
});

t.test('a read that sees the transfer is not stale; one that overlaps it is not judged stale', async (t) => {
  const lines = [
    ...setup(),
    readInvoke(3), // invoked before the transfer is acknowledged: may see either state
    ...transfer(1, { a0: 1, a1: 1 }),
    readOk(3, balances, { a0: 0, a1: 0 }),
    readInvoke(2),
    readOk(2, { a0: 95, a1: 105 }, { a0: 1, a1: 1 }),
  ];
  const r = await checkLines(lines);
  t.same([r.realtime?.checked, r.realtime?.stale], [2, 0]);
});

t.test('reads or transfers without versions are not judged: counted as unchecked', async (t) => {
  const lines = [...setup(), ...transfer(1), readInvoke(2), readOk(2, balances), readInvoke(2), readOk(2, balances, { a0: 0, a1: 0 })];
  const r = await checkLines(lines);
  t.same([r.realtime?.checked, r.realtime?.unchecked, r.realtime?.stale], [1, 1, 0], 'a transfer with no versions cannot make a read stale');
});

t.test('a malformed versions field is refused with its line', async (t) => {
  const lines = [...setup(), readInvoke(2), readOk(2, balances, { a0: -1 } as Record<string, number>)];
  await t.rejects(checkLines(lines), /line 4: "versions" must be an object of account → non-negative whole number/);
});

t.test('each cell counts the reads it checked and the stale ones', async (t) => {
  const lines = setup();
  lines.push(...transfer(1, { a0: 1, a1: 1 }), readInvoke(2), readOk(2, { a0: 95, a1: 105 }, { a0: 1, a1: 1 }));
  const second = index;
  lines.push(...transfer(1, { a0: 2, a1: 2 }), readInvoke(2), readOk(2, { a0: 95, a1: 105 }, { a0: 1, a1: 1 }));
  const r = await checkLines(lines, { segments: [{ name: 'fresh', fromIndex: 0 }, { name: 'stale', fromIndex: second }] });
  t.same(r.segments?.fresh?.realtime, { checked: 1, stale: 0 });
  t.same(r.segments?.stale?.realtime, { checked: 1, stale: 1 });
});

t.test('nothing compares across a setup: versions start again', async (t) => {
  const lines = setup();
  lines.push(...transfer(1, { a0: 50, a1: 50 }));
  lines.push(readInvoke(2)); // open across the next setup
  const value = { id: `t${index}`, from: 'a0', to: 'a1', amount: 5 };
  lines.push(op({ type: 'invoke', f: 'transfer', process: 3, value }));
  lines.push(...setup());
  lines.push(op({ type: 'ok', f: 'transfer', process: 3, value, versions: { a0: 40, a1: 40 } })); // acknowledged after the setup
  lines.push(readOk(2, balances, { a0: 0, a1: 0 }));
  lines.push(readInvoke(4), readOk(4, balances, { a0: 0, a1: 0 }));
  const r = await checkLines(lines);
  t.same([r.realtime?.checked, r.realtime?.stale], [1, 0], 'the read spanning the setup is not judged; the old bank\'s transfer does not count');
});
