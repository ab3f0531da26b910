// The BankStore contract as reusable tap cases: every adapter runs the same ones.
import tap from 'tap';
import type { Balances, BankStore, Transfer } from '../../lib/store.ts';

/** The `t` a subtest callback receives. */
export type Tap = Parameters<Parameters<typeof tap.test>[0]>[0];

export type Outcome = 'ok' | 'insufficient' | 'definite' | 'indeterminate' | 'other';

/** Runs a store call and names its outcome, so tests compare strings instead of catching. */
export async function outcomeOf(p: Promise<unknown>): Promise<Outcome> {
  try {
    const r = await p;
    return r === 'ok' || r === 'insufficient' ? r : 'other';
  } catch (err) {
    const kind = (err as { kind?: unknown }).kind;
    return kind === 'definite' || kind === 'indeterminate' ? kind : 'other';
  }
}

/** Initial balances plus every transfer whose id is in the ledger: what the audit must show. */
export function applyLedger(initial: Balances, ledger: string[], byId: Map<string, Transfer>): Balances {
  const out = { ...initial };
  for (const id of ledger) {
    const t = byId.get(id);
    if (!t) throw new Error(`ledger id ${id} was never invoked`);
    out[t.from] = out[t.from]! - t.amount;
    out[t.to] = out[t.to]! + t.amount;
  }
  return out;
}

export function total(b: Balances): number {
  return Object.values(b).reduce((a, x) => a + x, 0);
}

export function accounts(n: number, balance: number): Balances {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, balance]));
}

/**
 * The contract cases. `make` builds a fresh store connected to a running database; each case
 * closes its store. Cases run one after another (setup resets shared state).
 */
export async function storeContract(t: Tap, make: () => Promise<BankStore>): Promise<void> {
  const withStore = (name: string, body: (t: Tap, s: BankStore) => Promise<void>) =>
    t.test(name, async (t) => {
      const s = await make();
      try {
        await body(t, s);
      } finally {
        await s.close();
      }
    });

  await withStore('ping answers on a live database, before and after setup', async (t, s) => {
    await t.resolves(s.ping());
    await s.setup(accounts(2, 1));
    await t.resolves(s.ping());
  });

  await withStore('setup is idempotent and leaves exactly the given accounts', async (t, s) => {
    const a = accounts(5, 100);
    await s.setup(a);
    await s.setup(a);
    t.same(await s.read(), a);
    t.equal(await s.transfer({ id: 'su-1', from: 'a0', to: 'a1', amount: 5 }), 'ok');
    await s.setup(a);
    t.same(await s.audit(), { balances: a, transfers: [] }, 'setup empties the ledger and resets balances');
    const b = { a0: 7, x9: 3 };
    await s.setup(b);
    t.same(await s.read(), b, 'accounts not given are removed');
  });

  await withStore('transfer moves money, conserves the total and writes the ledger', async (t, s) => {
    const a = accounts(5, 100);
    await s.setup(a);
    t.equal(await s.transfer({ id: 'mv-1', from: 'a0', to: 'a1', amount: 30 }), 'ok');
    t.equal(await s.transfer({ id: 'mv-2', from: 'a1', to: 'a2', amount: 130 }), 'ok', 'may empty an account');
    const read = await s.read();
    t.same(read, { ...a, a0: 70, a1: 0, a2: 230 });
    t.equal(total(read), total(a));
    t.same((await s.audit()).transfers.sort(), ['mv-1', 'mv-2']);
  });

  await withStore('insufficient funds is a definite answer that changes nothing', async (t, s) => {
    const a = accounts(3, 100);
    await s.setup(a);
    t.equal(await s.transfer({ id: 'in-1', from: 'a0', to: 'a1', amount: 101 }), 'insufficient');
    t.same(await s.audit(), { balances: a, transfers: [] });
  });

  await withStore('invalid transfers are rejected as definite errors', async (t, s) => {
    const a = accounts(3, 100);
    await s.setup(a);
    const bad: Transfer[] = [
      { id: 'bad-1', from: 'nobody', to: 'a1', amount: 1 },
      { id: 'bad-2', from: 'a0', to: 'nobody', amount: 1 },
      { id: 'bad-3', from: 'a0', to: 'a0', amount: 1 },
      { id: 'bad-4', from: 'a0', to: 'a1', amount: 0 },
      { id: 'bad-5', from: 'a0', to: 'a1', amount: -5 },
      { id: 'bad-6', from: 'a0', to: 'a1', amount: 1.5 },
    ];
    for (const b of bad) t.equal(await outcomeOf(s.transfer(b)), 'definite', JSON.stringify(b));
    t.same(await s.audit(), { balances: a, transfers: [] });
  });

  await withStore('the same transfer id is applied at most once', async (t, s) => {
    const a = accounts(2, 100);
    await s.setup(a);
    const tr = { id: 'once-1', from: 'a0', to: 'a1', amount: 10 };
    t.equal(await s.transfer(tr), 'ok');
    t.equal(await s.transfer(tr), 'ok', 'a repeat reports the earlier application');
    t.equal(await outcomeOf(s.transfer({ ...tr, amount: 20 })), 'definite', 'the id used for other money is refused');
    t.same(await s.audit(), { balances: { a0: 90, a1: 110 }, transfers: ['once-1'] });
  });

  await withStore('concurrent transfers out of one account never overdraw it', async (t, s) => {
    const a = accounts(5, 100);
    await s.setup(a);
    const trs = Array.from({ length: 20 }, (_, i) => ({ id: `od-${i}`, from: 'a0', to: `a${1 + (i % 4)}`, amount: 10 }));
    const outs = await Promise.all(trs.map((tr) => outcomeOf(s.transfer(tr))));
    t.equal(outs.filter((o) => o === 'ok').length, 10, 'exactly the money there was');
    t.equal(outs.filter((o) => o === 'insufficient').length, 10);
    const audit = await s.audit();
    t.equal(audit.balances.a0, 0);
    t.equal(total(audit.balances), total(a));
    t.same(audit.balances, applyLedger(a, audit.transfers, new Map(trs.map((x) => [x.id, x]))));
  });

  await withStore('audit matches the ledger after a concurrent mixed workload', async (t, s) => {
    const a = accounts(6, 50);
    await s.setup(a);
    const trs = Array.from({ length: 60 }, (_, i) => ({
      id: `mix-${i}`,
      from: `a${i % 6}`,
      to: `a${((i % 6) + 1 + (i % 5)) % 6}`, // offset 1..5: never the source
      amount: 1 + ((i * 13) % 40),
    }));
    const outs = await Promise.all(trs.map((tr) => outcomeOf(s.transfer(tr))));
    const audit = await s.audit();
    const ledger = new Set(audit.transfers);
    t.equal(ledger.size, audit.transfers.length, 'no id twice in the ledger');
    trs.forEach((tr, i) => {
      if (outs[i] === 'ok' && !ledger.has(tr.id)) t.fail(`ok transfer ${tr.id} missing from ledger`);
      if (outs[i] !== 'ok' && ledger.has(tr.id)) t.fail(`${outs[i]} transfer ${tr.id} in ledger`);
    });
    t.same(audit.balances, applyLedger(a, audit.transfers, new Map(trs.map((x) => [x.id, x]))));
    t.ok(Object.values(audit.balances).every((b) => b >= 0), 'no negative balance');
    t.same(await s.read(), audit.balances, 'read agrees with audit at rest');
  });
}
