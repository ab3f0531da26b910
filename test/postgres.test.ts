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
import { DefiniteError, IndeterminateError, retriesOf } from '../lib/store.ts';
import { sleep } from '../lib/clock.ts';
import { startPostgresNode } from '../lib/runtime/embedded-postgres.ts';
import { freePort } from '../lib/runtime/local-processes.ts';
import { accounts, outcomeOf, storeContract } from './helpers/store-contract.ts';
import { lockWaiters, retriedConflicts, serverError } from './helpers/pg-wire.ts';

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

  // YSQL DDL often takes seconds (each DDL bumps the catalog version on every node), far beyond a
  // transfer's 4 s: here a lock held by another session slows setup's ALTER TABLE instead.
  t.test('setup has its own deadline: DDL held up longer than timeoutMs still completes', async (t) => {
    const s = (await create({ url, timeoutMs: '300' })) as PgBankStore;
    await s.setup(accounts(2, 100));
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
    const pending = s.setup(accounts(3, 50)).then(() => 'done', (e: unknown) => e);
    await lockWaiters(url); // setup's ALTER TABLE waits for the lock
    await sleep(900); // three times timeoutMs
    await locker.query('COMMIT');
    await locker.end();
    t.equal(await pending, 'done', 'setup waited past timeoutMs');
    t.same(await s.audit(), { balances: accounts(3, 50), transfers: [] });
    await s.close();
  });

  t.test('setup still has a deadline: setupTimeoutMs', async (t) => {
    const s = (await create({ url, timeoutMs: '300', setupTimeoutMs: '800' })) as PgBankStore;
    await s.setup(accounts(2, 100));
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
    const started = Date.now();
    const err = await s.setup(accounts(2, 100)).catch((e: unknown) => e);
    t.type(err, IndeterminateError, 'no answer: it may or may not have happened');
    t.match((err as Error).message, /no answer within 800 ms/);
    t.ok(Date.now() - started >= 750, 'gave up at setupTimeoutMs, not timeoutMs');
    await locker.query('ROLLBACK');
    await locker.end();
    await s.close();
  });

  // YugabyteDB answers a read that must restart past a concurrent write with 40001 "Restart read
  // required" (https://docs.yugabyte.com/stable/architecture/transactions/read-restart-error/).
  // PostgreSQL raises the same SQLSTATE here: in a database whose search_path puts a view in front
  // of `accounts`, the view's gate raises 40001 while the test holds an advisory lock.
  t.test('reads and audits retry 40001, counted; a read that keeps failing gives up definitely', async (t) => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('CREATE DATABASE restarts');
    await admin.end();
    const dbUrl = url.replace(/\/postgres$/, '/restarts');
    const db = new pg.Client({ connectionString: dbUrl });
    await db.connect();
    t.teardown(() => db.end());
    await db.query(`
      CREATE TABLE public.accounts (id text PRIMARY KEY, balance bigint NOT NULL, version bigint NOT NULL DEFAULT 0);
      CREATE TABLE public.ledger (id text PRIMARY KEY, src text, dst text, amount bigint);
      INSERT INTO public.accounts (id, balance) VALUES ('a0', 7), ('a1', 3);
      CREATE SCHEMA gated;
      CREATE FUNCTION gated.gate() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        IF NOT pg_try_advisory_xact_lock_shared(4242) THEN
          RAISE EXCEPTION 'Restart read required' USING ERRCODE = 'serialization_failure';
        END IF;
        RETURN true;
      END $$;
      CREATE VIEW gated.accounts AS SELECT * FROM public.accounts WHERE gated.gate();
      ALTER DATABASE restarts SET search_path = gated, public;`);
    const s = (await create({ url: dbUrl })) as PgBankStore;

    await db.query('SELECT pg_advisory_lock(4242)');
    const read = s.read();
    const audit = s.audit();
    await sleep(200); // both have failed at least once by now
    await db.query('SELECT pg_advisory_unlock(4242)');
    t.same(await read, { a0: 7, a1: 3 }, 'the read succeeded once the restarts stopped');
    t.same(await audit, { balances: { a0: 7, a1: 3 }, transfers: [] }, 'and so did the audit');
    const retried = s.retries();
    t.ok(retried >= 2, `each was retried and counted (${retried})`);

    s.opts.retry = { maxRetries: 3, maxMs: 5_000, baseMs: 1, capMs: 5 };
    await db.query('SELECT pg_advisory_lock(4242)');
    const err = await s.readVersioned().catch((e: unknown) => e);
    await db.query('SELECT pg_advisory_unlock(4242)');
    t.type(err, DefiniteError, 'a read changed nothing: definite');
    t.match((err as Error).message, /Restart read required \[40001\]/);
    t.equal(retriesOf(err), 3, 'it carries its retries');
    t.equal(s.retries(), retried + 3, 'which the total counts');
    await s.close();
  });
});
