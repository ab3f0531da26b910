import t from 'tap';
import { create } from '../adapters/memory.ts';
import { isCountingStore } from '../lib/store.ts';
import { outcomeOf, storeContract } from './helpers/store-contract.ts';

t.test('memory store meets the BankStore contract', (t) => storeContract(t, () => create({})));

t.test('memory store counts no retries and reports per-call counts', async (t) => {
  const s = await create({});
  await s.setup({ a: 10, b: 0 });
  t.ok(isCountingStore(s));
  if (isCountingStore(s)) {
    t.same(await s.transferCounted({ id: 'x', from: 'a', to: 'b', amount: 10 }), { result: 'ok', retries: 0, versions: { a: 1, b: 1 } }, 'applied: with the versions it left');
    t.same(await s.transferCounted({ id: 'x', from: 'a', to: 'b', amount: 10 }), { result: 'ok', retries: 0 }, 'sent again: ok, and no versions (applied before)');
  }
  t.equal(s.retries(), 0);
  await s.close();
  t.equal(await outcomeOf(s.read()), 'definite', 'a closed store refuses definitely');
});
