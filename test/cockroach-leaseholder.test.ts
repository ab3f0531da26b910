// CockroachDB's leaseholder lookup, which a "kill the leader" cell aims with. The API answers
// /leader within 1 s (lib/api/server.ts), so the lookup must be cheap: SHOW RANGE … FOR ROW reads
// the lease of the one range holding that row, where SHOW RANGES … WITH DETAILS computes leases and
// span statistics of every range of the table, which the docs call expensive. Its result has
// lease_holder_locality (replica_localities[array_position(replicas, lease_holder)] in
// pkg/sql/delegate/show_range_for_row.go, v24.3 on). CockroachDB SQL does not run on the embedded
// PostgreSQL, so the statement's shape and leader()'s reading of its row are checked here; what a
// failed lookup becomes (no vote; no majority: the fault NOT APPLIED) is in test/leader.test.ts and
// test/nemesis.test.ts.
// https://www.cockroachlabs.com/docs/stable/show-range-for-row
// https://www.cockroachlabs.com/docs/stable/show-ranges
import t from 'tap';
import { CockroachBankStore, cockroachDialect, LEASEHOLDER_SQL, nodeOfLocality } from '../adapters/cockroach.ts';
import { parseConfig } from '../adapters/postgres.ts';
import { DefiniteError } from '../lib/store.ts';
import { freePort } from '../lib/runtime/local-processes.ts';

t.test('the lookup asks for one row\'s range, and reads its leaseholder\'s locality', async (t) => {
  t.match(LEASEHOLDER_SQL, /^SELECT lease_holder_locality FROM \[SHOW RANGE FROM TABLE accounts FOR ROW \(''\)\]$/,
    "'' sorts before every account id: the first range of the primary index, where the accounts are");
  t.notMatch(LEASEHOLDER_SQL, /WITH DETAILS|SHOW RANGES/, 'not the per-range details of the whole table');
});

t.test('nodeOfLocality: the node tier bankrun starts each node with (--locality=node=nK)', async (t) => {
  t.equal(nodeOfLocality('node=n3'), 'n3');
  t.equal(nodeOfLocality('region=eu,node=n12'), 'n12');
  t.equal(nodeOfLocality('region=eu,zone=node=x'), undefined, 'a tier whose value merely contains "node=" is not the node tier');
  t.equal(nodeOfLocality(''), undefined);
  t.equal(nodeOfLocality(undefined), undefined);
});

/** The store with its one query answered by `answer`, as the server would; `asked` records the SQL. */
function storeAnswering(answer: unknown[]): { store: CockroachBankStore; asked: string[] } {
  const store = new CockroachBankStore(parseConfig({ url: 'postgres://root@127.0.0.1:1/defaultdb' }, cockroachDialect));
  const asked: string[] = [];
  store.readRows = (async (sql: string) => {
    asked.push(sql);
    return answer;
  }) as CockroachBankStore['readRows'];
  return { store, asked };
}

t.test('leader() names the node from the row, and no node when the range has no known lease', async (t) => {
  const { store, asked } = storeAnswering([{ lease_holder_locality: 'node=n2' }]);
  t.equal(await store.leader(), 'n2');
  t.same(asked, [LEASEHOLDER_SQL]);
  // lease_holder NULL (no lease right now) makes array_position NULL, so the locality is NULL.
  t.equal(await storeAnswering([{ lease_holder_locality: null }]).store.leader(), undefined);
  t.equal(await storeAnswering([]).store.leader(), undefined, 'no row: unknown, not a crash');
});

t.test('a lookup that cannot reach the database fails as a read: definite, never a crash', async (t) => {
  const s = new CockroachBankStore(parseConfig({ url: `postgres://root@127.0.0.1:${await freePort()}/defaultdb`, connectTimeoutMs: '500' }, cockroachDialect));
  const err = await s.leader().catch((e: unknown) => e);
  t.type(err, DefiniteError, 'the API answers it as an error: that node gives no vote');
  await s.close();
});
