// Shared by the tests of the PostgreSQL-wire adapters (postgres, cockroach, yugabyte): server
// errors as `pg` builds them, a wait for a session blocked on a row lock, and the case where
// serialization conflicts really happen on the running server.
import pg from 'pg';
import { sleep } from '../../lib/clock.ts';
import { isCountingStore, type BankStore, type Transfer } from '../../lib/store.ts';
import { applyLedger, total, type Tap } from './store-contract.ts';

/** A server error as `pg` builds it (severity + SQLSTATE). */
export function serverError(code: string, extra: Record<string, unknown> = {}, message = `fake ${code}`): Error {
  return Object.assign(new pg.DatabaseError(message, 0, 'error'), { severity: 'ERROR', code }, extra);
}

/** Pids of sessions waiting for a lock, once there is at least one (or throws after timeoutMs). */
export async function lockWaiters(url: string, timeoutMs = 5_000): Promise<number[]> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
      );
      if (r.rows.length > 0) return r.rows.map((x) => x.pid);
      await sleep(10);
    }
    throw new Error(`no session waited for a lock within ${timeoutMs} ms`);
  } finally {
    await admin.end();
  }
}

/**
 * Opposite transfers on two accounts at once, under the store's isolation: the server aborts
 * some with 40001/40P01, the adapter retries and counts them, and every transfer applies once.
 */
export async function retriedConflicts(t: Tap, make: () => Promise<BankStore>): Promise<void> {
  const s = await make();
  try {
    const a = { a: 1000, b: 1000 };
    await s.setup(a);
    t.ok(isCountingStore(s), 'the store counts retries per call');
    if (!isCountingStore(s)) return;
    const trs: Transfer[] = Array.from({ length: 80 }, (_, i) => ({ id: `c-${i}`, from: i % 2 ? 'a' : 'b', to: i % 2 ? 'b' : 'a', amount: 1 + (i % 3) }));
    const outs = await Promise.all(trs.map((tr) => s.transferCounted(tr)));
    const perCall = outs.reduce((n, o) => n + o.retries, 0);
    t.ok(outs.every((o) => o.result === 'ok'), 'every transfer eventually applied');
    t.ok(s.retries() > 0, `40001/40P01 retries happened (${s.retries()})`);
    t.equal(perCall, s.retries(), 'per-call counts add up to the total');
    const audit = await s.audit();
    t.equal(audit.transfers.length, trs.length);
    t.same(audit.balances, applyLedger(a, audit.transfers, new Map(trs.map((x) => [x.id, x]))));
    t.equal(total(audit.balances), 2000);
  } finally {
    await s.close();
  }
}
