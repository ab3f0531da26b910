import t from 'tap';
import { DefiniteError, IndeterminateError, ledgerDecision } from '../lib/store.ts';

t.test('outcome errors carry their kind, so the API node can map them without instanceof', async (t) => {
  t.equal(new DefiniteError('x').kind, 'definite');
  t.equal(new IndeterminateError('x').kind, 'indeterminate');
  t.ok(new IndeterminateError('y', { cause: new Error('z') }).cause);
});

t.test('one ledger-idempotency rule: the same transfer again is applied once, the id for other money is refused', async (t) => {
  const tr = { id: 'x1', from: 'a0', to: 'a1', amount: 10 };
  t.equal(ledgerDecision(tr, undefined), undefined, 'no entry: go on');
  t.equal(ledgerDecision(tr, { from: 'a0', to: 'a1', amount: 10 }), 'applied', 'this very transfer: applied once already');
  t.equal(ledgerDecision(tr, { from: 'a0', to: 'a1', amount: 10n }), 'applied', 'amounts read back as Int64 (YDB) compare as numbers');
  for (const other of [{ from: 'a0', to: 'a1', amount: 11 }, { from: 'a1', to: 'a0', amount: 10 }, { from: 'a0', to: 'a2', amount: 10n }]) {
    t.throws(() => ledgerDecision(tr, other), { name: 'DefiniteError', message: /transfer id x1 is already in the ledger for another transfer/ }, `other money: ${other.from} → ${other.to} ${other.amount}`);
  }
});
