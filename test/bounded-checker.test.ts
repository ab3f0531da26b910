// The live check's memory bound (BankChecker's maxTransferRecords): past it the checker records
// no new transfers, still checks every read and the transfers it holds, and says that the ledger
// checks of the rest are left to the check of the history file.
import t from 'tap';
import { BankChecker, type BankCheckerOptions } from '../lib/check/bank-checker.ts';
import type { CheckResult } from '../lib/check/verdict.ts';
import { HistoryBuilder } from './helpers/history-builder.ts';

const START = { a0: 100, a1: 100 };
const CAP = 3;

function observeAll(h: HistoryBuilder, options: BankCheckerOptions): BankChecker {
  const checker = new BankChecker(options);
  for (const op of h.ops) checker.observe(op);
  return checker;
}

/** A bank with `n` ok transfers of 1 from a0 to a1 (t1…tn), one more than the cap holds when n = CAP + 1. */
function bankWith(n: number): HistoryBuilder {
  const h = new HistoryBuilder();
  h.setup(START);
  for (let i = 1; i <= n; i++) h.transfer(`t${i}`, 'a0', 'a1', 1);
  return h;
}

const classes = (r: CheckResult) => Object.keys(r.anomalies);

t.test('past the cap, reads are still checked: a wrong total and a negative balance are flagged', async (t) => {
  const h = bankWith(CAP + 2);
  h.read({ a0: 90, a1: 100 });
  h.read({ a0: -5, a1: 205 });
  const checker = observeAll(h, { maxTransferRecords: CAP });
  t.equal(checker.recordsHeld(), CAP, 'only the first transfers are held');
  t.ok(checker.ledgerChecksLeftToFinal());
  const r = checker.result();
  t.equal(r.valid, false);
  t.same(classes(r).sort(), ['negative', 'wrong-total']);
});

t.test('past the cap, a transfer recorded before it that the audit lacks is still lost', async (t) => {
  const h = bankWith(CAP + 2);
  // t1 (held) is missing; t4 and t5 (not held) are present and must not look like phantoms.
  h.audit({ a0: 96, a1: 104 }, ['t2', 't3', 't4', 't5']);
  const r = observeAll(h, { maxTransferRecords: CAP }).result();
  t.equal(r.valid, false);
  t.same(classes(r), ['lost']);
  t.match(r.anomalies.lost!.first.detail, /transfer t1 .* completed ok/);
});

t.test('a held transfer seen by one audit and gone from the next is lost, past the cap too', async (t) => {
  const h = bankWith(CAP + 1);
  h.audit({ a0: 96, a1: 104 }, ['t1', 't2', 't3', 't4']);
  h.audit({ a0: 97, a1: 103 }, ['t1', 't3', 't4']);
  const r = observeAll(h, { maxTransferRecords: CAP }).result();
  t.same(classes(r), ['lost']);
  t.match(r.anomalies.lost!.first.detail, /transfer t2 .* missing from the audit/);
});

t.test('past the cap, unrecorded transfers raise no ledger anomaly; the verdict is left unknown', async (t) => {
  const h = bankWith(CAP + 2);
  // Wrong for every unrecorded transfer: t4 failed yet applied, t5 ok yet absent, t5 twice… and
  // the balances do not match the ledger. None of it can be judged without their records.
  h.transfer('t6', 'a0', 'a1', 1, 'fail');
  h.audit({ a0: 90, a1: 110 }, ['t1', 't2', 't3', 't4', 't6', 't6', 'x-never-invoked']);
  const capped = observeAll(h, { maxTransferRecords: CAP }).result();
  t.same(capped.anomalies, {}, 'nothing flagged about transfers it did not record');
  t.equal(capped.valid, 'unknown');
  t.match(capped.reason, /3 transfer\(s\) past the bound of 3 records were not recorded; check the history file/);

  // The same history, unbounded: every one of those is found.
  const full = observeAll(h, {}).result();
  t.equal(full.valid, false);
  t.same(classes(full).sort(), ['double-apply', 'failed-but-applied', 'ledger-mismatch', 'lost', 'phantom']);
});

t.test('the records held stay at the cap however long the run, and a new setup starts afresh', async (t) => {
  const cap = 1000;
  const h = bankWith(cap * 10);
  const checker = observeAll(h, { maxTransferRecords: cap });
  t.equal(checker.recordsHeld(), cap);
  h.setup(START);
  h.transfer('after-setup', 'a0', 'a1', 1);
  const next = new BankChecker({ maxTransferRecords: cap });
  for (const op of h.ops) next.observe(op);
  t.equal(next.recordsHeld(), 1, 'a new epoch holds only its own transfers');
  t.notOk(next.ledgerChecksLeftToFinal(), 'and its ledger checks are complete again');
});

t.test('under the cap the bounded checker judges exactly as the unbounded one', async (t) => {
  const h = bankWith(CAP);
  h.read({ a0: 97, a1: 103 });
  h.audit({ a0: 97, a1: 103 }, ['t1', 't2', 't3']);
  const bounded = observeAll(h, { maxTransferRecords: CAP });
  t.notOk(bounded.ledgerChecksLeftToFinal());
  t.same(bounded.result(), observeAll(h, {}).result());
  t.equal(bounded.result().valid, true);
});

t.test('without the option nothing is bounded', async (t) => {
  const checker = observeAll(bankWith(5000), {});
  t.equal(checker.recordsHeld(), 5000);
  t.notOk(checker.ledgerChecksLeftToFinal());
});

t.test('a cap that is not a positive integer is refused, saying what is allowed', async (t) => {
  for (const bad of [0, -1, 2.5, Number.NaN]) {
    t.throws(() => new BankChecker({ maxTransferRecords: bad }), /maxTransferRecords must be a positive integer \(or left out for no bound\)/);
  }
});
