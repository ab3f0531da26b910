// The CockroachDB and YugabyteDB adapters (the PostgreSQL adapter with their dialects) against a
// real embedded PostgreSQL 18 STANDING IN for those databases: it runs the SQL each dialect sends
// and raises real 40001, 23514 and 57P01 errors. What only the real servers raise (40003 "result is
// ambiguous", a 40001 wrapping an RPC timeout) is checked on errors built as `pg` builds them.
import t from 'tap';
import pg from 'pg';
import * as cockroach from '../adapters/cockroach.ts';
import * as yugabyte from '../adapters/yugabyte.ts';
import { classify, isRetryable, PgBankStore, SQL, type Dialect } from '../adapters/postgres.ts';
import { IndeterminateError, type StoreFactory } from '../lib/store.ts';
import { startPostgresNode } from '../lib/runtime/embedded-postgres.ts';
import { accounts, outcomeOf, storeContract, total } from './helpers/store-contract.ts';
import { lockWaiters, retriedConflicts, serverError } from './helpers/pg-wire.ts';

interface Case {
  db: string;
  create: StoreFactory;
  settings: readonly string[];
  dialect: Dialect;
  /** Errors only the real database raises, after which the commit may have happened. */
  ambiguous: Error[];
}

const CASES: Case[] = [
  {
    db: 'CockroachDB',
    create: cockroach.create,
    settings: cockroach.settings,
    dialect: cockroach.cockroachDialect,
    ambiguous: [serverError('40003', {}, 'result is ambiguous: error=rpc error: code = Unavailable [exhausted=false]')],
  },
  {
    db: 'YugabyteDB',
    create: yugabyte.create,
    settings: yugabyte.settings,
    dialect: yugabyte.yugabyteDialect,
    ambiguous: [
      serverError('40001', { where: 'Catalog Version Mismatch: A DDL occurred while processing this query. Try again.' },
        'UpdateTransaction RPC (request call id 19635) to 192.168.122.15:9100 timed out after 5.000s'),
    ],
  },
];

const kind = (e: Error) => (e as { kind?: string }).kind;

for (const c of CASES) {
  t.test(`${c.db} dialect: module and error classification (unit)`, async (t) => {
    t.same(c.settings, ['isolation'], 'a notebook may change isolation between cells');
    t.equal(c.dialect.isolation, 'serializable', 'asks for SERIALIZABLE unless told otherwise');
    for (const code of ['40001', '40P01']) {
      t.ok(isRetryable(serverError(code, {}, 'restart transaction: TransactionRetryWithProtoRefreshError'), c.dialect), `${code} is retried`);
    }
    t.equal(kind(classify(serverError('40001'), true, c.dialect)), 'definite', 'a 40001 given up on applied nothing');
    for (const err of c.ambiguous) {
      t.equal(kind(classify(err, true, c.dialect)), 'indeterminate', `${(err as { code?: string }).code} "${err.message}" → indeterminate`);
      t.notOk(isRetryable(err, c.dialect), 'and is not retried (a retry could apply the transfer twice unseen)');
    }
    for (const code of ['57P01', '08006', 'XX000', '40003']) {
      t.equal(kind(classify(serverError(code), true, c.dialect)), 'indeterminate', `${code} → indeterminate`);
    }
    for (const code of ['23514', '23505', '42P01', '0A000']) {
      t.equal(kind(classify(serverError(code), true, c.dialect)), 'definite', `${code} → definite`);
      t.notOk(isRetryable(serverError(code), c.dialect), `${code} is not retried`);
    }
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    t.equal(kind(classify(reset, true, c.dialect)), 'indeterminate', 'connection lost after sending → indeterminate');
    t.equal(kind(classify(new Error('Connection terminated unexpectedly'), true, c.dialect)), 'indeterminate');
    t.equal(kind(classify(reset, false, c.dialect)), 'definite', 'never sent → definite');
    t.equal(await outcomeOf(c.create({ url: 'postgres://x/y', isolation: 'snapshot' })), 'definite', 'config is validated');
  });
}

t.test('CockroachDB transfer modifies accounts in ONE subquery (two are refused there)', async (t) => {
  const updates = (sql: string) => sql.match(/\bUPDATE\s+accounts\b/gi)?.length ?? 0;
  t.equal(updates(SQL.transfer), 2, 'the PostgreSQL statement debits and credits apart');
  t.equal(updates(cockroach.TRANSFER_SQL), 1, 'the CockroachDB statement moves both rows in one UPDATE');
  t.equal(cockroach.cockroachDialect.transferSql, cockroach.TRANSFER_SQL);
  t.equal(yugabyte.yugabyteDialect.transferSql, undefined, 'YugabyteDB runs the PostgreSQL statement');
});

t.test('on embedded PostgreSQL standing in for CockroachDB and YugabyteDB', async (t) => {
  const node = await startPostgresNode({ name: 'pgdialects' });
  t.teardown(() => node.destroy());
  const url = node.url;
  const config = (isolation?: string): Record<string, string> => (isolation ? { url, isolation } : { url });

  for (const c of CASES) {
    t.test(`${c.db} adapter on PostgreSQL`, async (t) => {
      for (const isolation of [undefined, 'repeatable read', 'read committed']) {
        t.test(`contract under ${isolation ?? 'the default isolation'}`, (t) => storeContract(t, () => c.create(config(isolation))));
      }

      t.test('isolation reaches the session through connection options, SERIALIZABLE by default', async (t) => {
        const expected: [string | undefined, string][] = [[undefined, 'serializable'], ['read committed', 'read committed'], ['repeatable read', 'repeatable read']];
        for (const [isolation, want] of expected) {
          const s = (await c.create(config(isolation))) as PgBankStore;
          const r = await s.pool.query<{ default_transaction_isolation: string }>('SHOW default_transaction_isolation');
          t.equal(r.rows[0]!.default_transaction_isolation, want, `isolation ${isolation ?? '(not given)'}`);
          await s.close();
        }
      });

      t.test('serializable conflicts really happen: retried, counted per call and in total', (t) =>
        retriedConflicts(t, () => c.create({ url, poolMax: '8' })),
      );

      t.test('a 40001 from a concurrent update is retried and counted, and the transfer applies once', async (t) => {
        const s = (await c.create({ url, poolMax: '2' })) as PgBankStore;
        await s.setup({ a: 100, b: 100 });
        const other = new pg.Client({ connectionString: url });
        await other.connect();
        await other.query('BEGIN');
        await other.query("UPDATE accounts SET balance = balance WHERE id = 'a'"); // a new row version
        const pending = s.transferCounted({ id: 'r-1', from: 'a', to: 'b', amount: 10 });
        await lockWaiters(url); // the transfer has its snapshot and waits for the row
        await other.query('COMMIT');
        await other.end();
        const out = await pending;
        t.equal(out.result, 'ok');
        t.ok(out.retries >= 1, `the serialization failure was retried (${out.retries})`);
        t.equal(s.retries(), out.retries, 'and counted in the total');
        t.same(await s.audit(), { balances: { a: 90, b: 110 }, transfers: ['r-1'] });
        await s.close();
      });

      t.test('a CHECK violation (23514) is definite', async (t) => {
        const s = (await c.create({ url })) as PgBankStore;
        await s.setup(accounts(2, 5));
        const err = await s.pool.query("UPDATE accounts SET balance = balance - 6 WHERE id = 'a0'").catch((e: unknown) => e);
        t.equal((err as { code?: string }).code, '23514', 'balance >= 0 refused by the server');
        t.equal(kind(classify(err, true, c.dialect)), 'definite');
        t.notOk(isRetryable(err, c.dialect));
        t.equal(await s.transfer({ id: 'in-1', from: 'a0', to: 'a1', amount: 6 }), 'insufficient', 'a transfer never gets that far');
        t.same(await s.read(), accounts(2, 5));
        await s.close();
      });

      t.test('the connection lost during a transfer is indeterminate; the ledger decides', async (t) => {
        const s = (await c.create({ url, timeoutMs: '10000' })) as PgBankStore;
        await s.setup(accounts(2, 100));
        const locker = new pg.Client({ connectionString: url });
        await locker.connect();
        await locker.query('BEGIN');
        await locker.query("SELECT * FROM accounts WHERE id = 'a0' FOR UPDATE");
        const pending = s.transfer({ id: 'lost-1', from: 'a0', to: 'a1', amount: 1 }).catch((e: unknown) => e);
        const [pid] = await lockWaiters(url);
        await locker.query('SELECT pg_terminate_backend($1)', [pid]); // 57P01 to the transfer's session
        const err = await pending;
        t.type(err, IndeterminateError);
        await locker.query('ROLLBACK');
        await locker.end();
        const audit = await s.audit();
        t.notOk(audit.transfers.includes('lost-1'), 'this one was in fact not applied');
        t.equal(total(audit.balances), 200);
        t.equal(await s.transfer({ id: 'after-1', from: 'a0', to: 'a1', amount: 1 }), 'ok', 'the pool recovers');
        await s.close();
      });
    });
  }
});
