// The transfer's fast path: a named prepared statement (one name per SQL text) run through
// RowQuery, against a real embedded PostgreSQL 18.
import t from 'tap';
import pg from 'pg';
import { TRANSFER_SQL } from '../adapters/cockroach.ts';
import { PgBankStore, SQL, create, prepared } from '../adapters/postgres.ts';
import { RowQuery } from '../adapters/pg/row-query.ts';
import { startPostgresNode } from '../lib/runtime/embedded-postgres.ts';
import { accounts } from './helpers/store-contract.ts';

t.test('statement names come from the SQL text (unit)', async (t) => {
  const pgName = prepared(SQL.transfer).name;
  t.equal(prepared(SQL.transfer).name, pgName, 'the same text, the same name');
  t.not(prepared(TRANSFER_SQL).name, pgName, "CockroachDB's own transfer never shares PostgreSQL's name");
  t.ok(pgName.length <= 63, 'within PostgreSQL identifier length');
});

t.test('against embedded PostgreSQL', async (t) => {
  const node = await startPostgresNode({ name: 'pgrowquery' });
  t.teardown(() => node.destroy());
  const client = new pg.Client({ connectionString: node.url });
  await client.connect();
  t.teardown(() => client.end());
  const one = prepared("SELECT $1::text || '!' AS shout, NULL::bigint AS nothing");
  const none = prepared('SELECT 1 WHERE false');
  const broken = prepared('SELECT 1 / $1::int');

  t.test('a row comes back as the server sent it, the statement stays prepared', async (t) => {
    t.same(await RowQuery.run(client, one, ['hi']), ['hi!', null]);
    t.same(await RowQuery.run(client, one, ['again']), ['again!', null], 'second call: no Parse');
    const names = await client.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
    t.ok(names.rows.some((r) => r.name === one.name), `${one.name} is prepared on the connection`);
  });

  t.test('no row, a server error, and the client still works after it', async (t) => {
    t.equal(await RowQuery.run(client, none, []), undefined);
    const err = (await RowQuery.run(client, broken, ['0']).catch((e: unknown) => e)) as { code?: string };
    t.equal(err.code, '22012', 'division by zero keeps its SQLSTATE');
    t.same(await RowQuery.run(client, broken, ['1']), ['1']);
    const bad = prepared('SELECT * FROM no_such_table');
    const parseErr = (await RowQuery.run(client, bad, []).catch((e: unknown) => e)) as { code?: string };
    t.equal(parseErr.code, '42P01', 'a statement that cannot be parsed fails');
    await client.query('CREATE TABLE no_such_table (x int)');
    t.same(await RowQuery.run(client, bad, []), undefined, 'and is parsed again next time, once it can be');
  });

  t.test('a client that has lost its server fails the call', async (t) => {
    const doomed = new pg.Client({ connectionString: node.url });
    await doomed.connect();
    doomed.on('error', () => undefined);
    const { rows } = await doomed.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await client.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await t.rejects(RowQuery.run(doomed, one, ['x']));
    await doomed.end().catch(() => undefined);
  });

  t.test("the store's transfer runs as its named statement", async (t) => {
    const s = (await create({ url: node.url, poolMax: '1' })) as PgBankStore;
    t.teardown(() => s.close());
    await s.setup(accounts(2, 100));
    t.equal(await s.transfer({ id: 'named-1', from: 'a0', to: 'a1', amount: 5 }), 'ok');
    const names = await s.pool.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
    t.ok(names.rows.some((r) => r.name === prepared(SQL.transfer).name));
  });
});
