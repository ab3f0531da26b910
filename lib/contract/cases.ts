// The contract every adapter must keep, checked against a live cluster through its API nodes (so
// it tests the adapter as it is deployed, whatever the database). Each case sets the bank up
// afresh, acts, and judges by the audit: balances, ledger and money must agree exactly.
//   setup is idempotent · transfers conserve money · insufficient funds is a definite failure ·
//   concurrent transfers out of one account never overdraw it · a transfer sent again (as after
//   an indeterminate outcome) is applied at most once · every API node's read and audit agree
import type { ApiClient } from '../api/client.ts';
import type { Audit, Balances, Transfer } from '../store.ts';
import { sleep } from '../clock.ts';

export interface CaseResult {
  name: string;
  ok: boolean;
  /** What was seen, or why the case failed. */
  detail: string;
}

/** A broken promise of the contract, with what was seen. */
class Broken extends Error {}

interface Bank {
  /** Every API node of the cluster; api[0] takes the writes (a primary/replica cluster writes through n1 only). */
  api: readonly ApiClient[];
}

type Case = { name: string; run(bank: Bank): Promise<string> };

export const CASES: readonly Case[] = [
  {
    name: 'setup is idempotent: the same input twice gives the same state',
    async run({ api }) {
      const balances = accountsOf(5, 100);
      await setup(api[0]!, balances);
      await transferOk(api[0]!, { id: 'c-idem-1', from: 'a0', to: 'a1', amount: 7 });
      await setup(api[0]!, balances);
      await setup(api[0]!, balances);
      // A replica may lag behind the node that took the setup: wait a little for it.
      const audits = await auditAll(api, (a) => same(a.balances, balances) && a.transfers.length === 0);
      for (const [name, a] of audits) {
        expect(same(a.balances, balances), `${name}: balances after setup twice are ${show(a.balances)}, not ${show(balances)}`);
        expect(a.transfers.length === 0, `${name}: the ledger after setup still holds ${show(a.transfers)}`);
      }
      return `balances and an empty ledger on ${audits.length} API node(s)`;
    },
  },
  {
    name: 'transfers conserve money, and the ledger holds exactly the acknowledged ones',
    async run({ api }) {
      const initial = accountsOf(6, 50);
      await setup(api[0]!, initial);
      const ids = new Map<string, Transfer>();
      const acknowledged: string[] = [];
      for (let i = 0; i < 60; i++) {
        const t = { id: `c-cons-${i}`, from: `a${i % 6}`, to: `a${(i * 5 + 1) % 6}`, amount: 1 + ((i * 7) % 30) };
        if (t.from === t.to) continue;
        ids.set(t.id, t);
        const r = await api[0]!.transfer(t);
        if (r.type === 'ok') acknowledged.push(t.id);
        else expect(r.type === 'fail' && r.error === 'insufficient', `transfer ${t.id} answered ${r.type} (${r.error ?? ''}) with the cluster healthy`);
      }
      const audit = await auditOne(api[0]!);
      checkLedger(audit, initial, ids);
      expect(same(new Set(audit.transfers), new Set(acknowledged)), `ledger ${show(audit.transfers)} is not the acknowledged ${show(acknowledged)}`);
      return `${acknowledged.length} of ${ids.size} applied, total ${total(audit.balances)} = ${total(initial)}`;
    },
  },
  {
    name: 'insufficient funds is a definite failure that changes nothing',
    async run({ api }) {
      const initial = { a0: 10, a1: 0 };
      await setup(api[0]!, initial);
      const r = await api[0]!.transfer({ id: 'c-insuf-1', from: 'a0', to: 'a1', amount: 11 });
      expect(r.type === 'fail' && r.error === 'insufficient', `11 out of 10 answered ${r.type} (${r.error ?? ''}), not a definite "insufficient"`);
      const audit = await auditOne(api[0]!);
      expect(same(audit.balances, initial) && audit.transfers.length === 0, `after the refusal: ${show(audit)}`);
      await transferOk(api[0]!, { id: 'c-insuf-2', from: 'a0', to: 'a1', amount: 10 });
      return 'refused 11 of 10, then moved all 10';
    },
  },
  {
    name: 'concurrent transfers out of one account never overdraw it',
    async run({ api }) {
      const initial: Balances = { src: 100, ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`d${i}`, 0])) };
      await setup(api[0]!, initial);
      const ids = new Map<string, Transfer>();
      const sent = Array.from({ length: 40 }, (_, i) => ({ id: `c-conc-${i}`, from: 'src', to: `d${i % 10}`, amount: 30 }));
      for (const t of sent) ids.set(t.id, t);
      // Through every API node at once: a cluster must not let two nodes spend the same money.
      const answers = await Promise.all(sent.map((t, i) => api[i % api.length]!.transfer(t)));
      const ok = sent.filter((_, i) => answers[i]!.type === 'ok').map((t) => t.id);
      expect(ok.length <= 3, `${ok.length} transfers of 30 out of 100 were acknowledged`);
      const audit = await settledAudit(api[0]!);
      checkLedger(audit, initial, ids);
      expect(audit.balances.src! >= 0, `src overdrawn: ${audit.balances.src}`);
      expect(ok.every((id) => audit.transfers.includes(id)), 'an acknowledged transfer is missing from the ledger');
      const failed = sent.filter((_, i) => answers[i]!.type === 'fail').map((t) => t.id);
      const applied = failed.filter((id) => audit.transfers.includes(id));
      expect(applied.length === 0, `transfers answered "certainly not applied" are in the ledger: ${show(applied)}`);
      const unsure = answers.filter((a) => a.type === 'info').length;
      return `${ok.length} acknowledged, ${audit.transfers.length} in the ledger, src ${audit.balances.src}` + (unsure ? `, ${unsure} indeterminate resolved by the ledger` : '');
    },
  },
  {
    name: 'a transfer sent again is applied at most once; its id cannot move other money',
    async run({ api }) {
      const initial = accountsOf(3, 100);
      await setup(api[0]!, initial);
      const t = { id: 'c-again-1', from: 'a0', to: 'a1', amount: 5 };
      await transferOk(api[0]!, t);
      // What a client does after an indeterminate answer: send the very same transfer again.
      const again = await api[0]!.transfer(t);
      // Applied once already: "ok" is the only true answer (a "failed" would tell a client retrying
      // after an indeterminate outcome that an applied transfer was not).
      expect(again.type === 'ok', `the same transfer again answered ${again.type} (${again.error ?? ''}), not ok: it was applied`);
      const other = await api[0]!.transfer({ ...t, amount: 6 });
      expect(other.type === 'fail', `the same id with another amount answered ${other.type}`);
      const audit = await auditOne(api[0]!);
      expect(audit.transfers.filter((id) => id === t.id).length === 1, `ledger ${show(audit.transfers)}`);
      expect(same(audit.balances, { a0: 95, a1: 105, a2: 100 }), `balances ${show(audit.balances)} after one transfer of 5 sent twice`);
      return `sent twice: ${again.type}; other money under the id: refused (${other.error ?? ''})`;
    },
  },
  {
    name: 'every API node reads and audits the same bank',
    async run({ api }) {
      const initial = accountsOf(4, 25);
      await setup(api[0]!, initial);
      await transferOk(api[0]!, { id: 'c-read-1', from: 'a0', to: 'a3', amount: 20 });
      const want = { a0: 5, a1: 25, a2: 25, a3: 45 };
      // A replica or a follower may lag: wait a little for it, never accept a wrong total.
      const audits = await auditAll(api, (a) => same(a.balances, want));
      for (const [name, a] of audits) {
        expect(same(a.balances, want), `${name} audits ${show(a.balances)}, not ${show(want)}`);
        expect(same(a.transfers, ['c-read-1']), `${name}'s ledger is ${show(a.transfers)}`);
      }
      for (const node of api) {
        const r = await node.read();
        expect(r.type === 'ok' && total(r.value!.balances) === total(initial), `${node.name} reads ${show(r.value ?? r.error)}`);
      }
      return `${api.length} API node(s) agree`;
    },
  },
];

/** Runs every case in order; a case that throws fails with its message, and the others still run. */
export async function runContract(api: readonly ApiClient[], log: (r: CaseResult) => void = () => undefined): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of CASES) {
    let result: CaseResult;
    try {
      result = { name: c.name, ok: true, detail: await c.run({ api }) };
    } catch (err) {
      result = { name: c.name, ok: false, detail: (err as Error).message };
    }
    results.push(result);
    log(result);
  }
  return results;
}

function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Broken(message);
}

function accountsOf(n: number, balance: number): Balances {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, balance]));
}

function total(b: Balances): number {
  return Object.values(b).reduce((s, x) => s + x, 0);
}

function same(a: unknown, b: unknown): boolean {
  return show(a) === show(b);
}

/** Key order and set order do not matter for comparison. */
function show(v: unknown): string {
  if (v instanceof Set) return JSON.stringify([...v].sort());
  if (Array.isArray(v)) return JSON.stringify([...v].sort());
  if (v && typeof v === 'object') return JSON.stringify(Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y))));
  return JSON.stringify(v);
}

async function setup(api: ApiClient, balances: Balances): Promise<void> {
  const r = await api.setup(balances);
  expect(r.type === 'ok', `setup through ${api.name} answered ${r.type} (${r.error ?? ''})`);
}

async function transferOk(api: ApiClient, t: Transfer): Promise<void> {
  const r = await api.transfer(t);
  expect(r.type === 'ok', `transfer ${t.id} through ${api.name} answered ${r.type} (${r.error ?? ''}) with enough money and the cluster healthy`);
}

async function auditOne(api: ApiClient): Promise<Audit> {
  const r = await api.audit();
  expect(r.type === 'ok' && r.value !== undefined, `audit through ${api.name} answered ${r.type} (${r.error ?? ''})`);
  return r.value;
}

/** Audits until two in a row agree: transfers answered indeterminate may still be landing. */
async function settledAudit(api: ApiClient): Promise<Audit> {
  let last = await auditOne(api);
  for (let i = 0; i < 10; i++) {
    await sleep(200);
    const next = await auditOne(api);
    if (same(next, last)) return next;
    last = next;
  }
  return last;
}

/** Each API node's audit; with `settled`, waits up to 5 s for a lagging node to satisfy it. */
async function auditAll(api: readonly ApiClient[], settled?: (a: Audit) => boolean): Promise<[string, Audit][]> {
  return Promise.all(api.map(async (node): Promise<[string, Audit]> => {
    // A replica that has not yet replayed the setup may not even have the tables: while waiting,
    // a failed audit counts as "not there yet"; only the last attempt's answer is final.
    for (let i = 0; settled && i < 25; i++) {
      const r = await node.audit();
      if (r.type === 'ok' && r.value !== undefined && settled(r.value)) return [node.name, r.value];
      await sleep(200);
    }
    return [node.name, await auditOne(node)];
  }));
}

/** Balances are the initial ones plus exactly the ledger's transfers, and nothing is negative. */
function checkLedger(audit: Audit, initial: Balances, byId: Map<string, Transfer>): void {
  const want = { ...initial };
  for (const id of audit.transfers) {
    const t = byId.get(id);
    expect(t !== undefined, `ledger id ${id} was never sent`);
    want[t.from] = want[t.from]! - t.amount;
    want[t.to] = want[t.to]! + t.amount;
  }
  expect(new Set(audit.transfers).size === audit.transfers.length, `a ledger id appears twice: ${show(audit.transfers)}`);
  expect(same(audit.balances, want), `balances ${show(audit.balances)} are not initial + ledger ${show(want)}`);
  expect(Object.values(audit.balances).every((b) => b >= 0), `a negative balance: ${show(audit.balances)}`);
}

