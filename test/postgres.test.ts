// The Postgres adapter against a real embedded PostgreSQL 18, plus unit cases of its pieces.
import t from 'tap';
import pg from 'pg';
import {
  classify,
  classifyRead,
  create,
  isRetryable,
  PgBankStore,
  sqlState,
  StatementTimeout,
} from '../adapters/postgres.ts';
import { DefiniteError, IndeterminateError } from '../lib/store.ts';
import { startPostgresNode } from '../lib/runtime/embedded-postgres.ts';
import { freePort } from '../lib/runtime/local-processes.ts';
import { accounts, outcomeOf, storeContract } from './helpers/store-contract.ts';
import { retriedConflicts, serverError } from './helpers/pg-wire.ts';

t.test('classification of errors (unit)', async (t) => {
  const kind = (e: Error) => (e as DefiniteError | IndeterminateError).kind;
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  t.equal(kind(classify(refused, false)), 'definite', 'never sent → definite');
  t.equal(kind(classify(new Error('timeout exceeded when trying to connect'), false)), 'definite');
  t.equal(kind(classify(new Error('Connection terminated unexpectedly'), true)), 'indeterminate');
  t.equal(kind(classify(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true)), 'indeterminate');
  t.equal(kind(classify(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), true)), 'indeterminate', 'EPIPE is no SQLSTATE');
  t.equal(kind(classify(new StatementTimeout(10), true)), 'indeterminate');
  for (const code of ['23514', '23505', '42P01', '40001', '40P01', '57014', '53300']) {
    t.equal(kind(classify(serverError(code), true)), 'definite', `${code} → definite`);
  }
  for (const code of ['08006', '08003', '08000', '57P01', '57P02', '57P03', '40003', 'XX000']) {
    t.equal(kind(classify(serverError(code), true)), 'indeterminate', `${code} → indeterminate`);
  }
  t.equal(sqlState(Object.assign(new Error('x'), { code: 'EPIPE' })), undefined);
  t.equal(sqlState({ code: '40001', severity: 'ERROR' }), '40001', 'duck-typed server errors count');
  t.ok(isRetryable(serverError('40001')) && isRetryable(serverError('40P01')));
  t.notOk(isRetryable(serverError('23505')) || isRetryable(new Error('x')));
  t.equal(classifyRead(new StatementTimeout(5)).kind, 'indeterminate', 'a read that got no answer');
  t.equal(classifyRead(serverError('57P01')).kind, 'definite', 'a failed read changed nothing');
  const d = new DefiniteError('already classified');
  t.equal(classify(d, true), d, 'classified errors pass through');
});

t.test('no server: transfers fail definitely, nothing crashes', async (t) => {
  const s = await create({ url: `postgres://postgres:password@127.0.0.1:${await freePort()}/postgres`, connectTimeoutMs: '500' });
  t.equal(await outcomeOf(s.transfer({ id: 'nope', from: 'a', to: 'b', amount: 1 })), 'definite');
  t.equal(await outcomeOf(s.read()), 'definite');
  await s.close();
});

t.test('config is validated', async (t) => {
  t.equal(await outcomeOf(create({})), 'definite', 'url is required');
  t.equal(await outcomeOf(create({ url: 'postgres://x/y', isolation: 'snapshot' })), 'definite');
  t.equal(await outcomeOf(create({ url: 'postgres://x/y', timeoutMs: 'soon' })), 'definite');
});

t.test('against embedded PostgreSQL', async (t) => {
  const node = await startPostgresNode({ name: 'pgtest' });
  t.teardown(() => node.destroy());
  const url = node.url;

  for (const isolation of ['serializable', 'repeatable read', 'read committed']) {
    t.test(`contract under ${isolation}`, (t) => storeContract(t, () => create({ url, isolation })));
  }

  t.test('isolation reaches the session through connection options', async (t) => {
    for (const isolation of ['serializable', 'repeatable read', 'read committed']) {
      const s = (await create({ url, isolation })) as PgBankStore;
      const r = await s.pool.query<{ default_transaction_isolation: string }>('SHOW default_transaction_isolation');
      t.equal(r.rows[0]!.default_transaction_isolation, isolation);
      await s.close();
    }
  });

  t.test('conflicts on the same accounts are retried, counted per call and in total', (t) =>
    retriedConflicts(t, () => create({ url, poolMax: '8' })),
  );

  t.test('a retried transfer id hits the ledger key and is applied once', async (t) => {
    const s = await create({ url });
    await s.setup(accounts(2, 100));
    const tr = { id: 'dup-1', from: 'a0', to: 'a1', amount: 40 };
    t.equal(await s.transfer(tr), 'ok');
    t.equal(await s.transfer(tr), 'ok', 'the same transfer again: already applied, ok');
    // The same id for other money is refused definitely, and applies nothing.
    const err = await s.transfer({ ...tr, amount: 60 }).catch((e) => e);
    t.type(err, DefiniteError);
    t.match(err.message, /already in the ledger for another transfer/);
    t.same(await s.audit(), { balances: { a0: 60, a1: 140 }, transfers: ['dup-1'] });
    await s.close();
  });

  t.test('a statement timeout is indeterminate and the client is not reused', async (t) => {
    const s = (await create({ url, timeoutMs: '300', poolMax: '1' })) as PgBankStore;
    await s.setup(accounts(2, 100));
    // Hold a row lock from another session so the transfer blocks past the timeout.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query("SELECT * FROM accounts WHERE id = 'a0' FOR UPDATE");
    const err = await s.transfer({ id: 'slow-1', from: 'a0', to: 'a1', amount: 1 }).catch((e) => e);
    t.type(err, IndeterminateError);
    await locker.query('ROLLBACK');
    await locker.end();
    t.equal(await s.transfer({ id: 'after-1', from: 'a0', to: 'a1', amount: 1 }), 'ok', 'a fresh connection works');
    await s.close();
  });
});
