// BankStore on YugabyteDB YSQL (2025.2) through `pg`: the PostgreSQL adapter with this dialect.
// One API node talks to one YSQL node (port 5433); the smart driver's load balancing is not
// wanted here. What differs from adapters/postgres.ts, and why:
//
// - Isolation is asked for explicitly. Clusters that yugabyted starts from v2025.2 run real READ
//   COMMITTED, YSQL's default level (older or hand-made clusters map it to Snapshot), so leaving
//   the session default would change the workload's isolation with the version. SERIALIZABLE
//   is sent on every connection (`options=-c default_transaction_isolation=…`, as PostgreSQL).
//   https://docs.yugabyte.com/stable/explore/transactions/isolation-levels/
// - Errors. 40001 (serialization failure, "aborted by a conflict", "Restart read required",
//   "Catalog Version Mismatch") and 40P01 are retried. There is no ambiguous-commit SQLSTATE: a
//   connection lost during the statement is indeterminate (no SQLSTATE, class 08, 57P01), and so
//   is a 40001 whose message is an RPC that "timed out": YugabyteDB can wrap an UpdateTransaction
//   (commit) RPC timeout in a retryable 40001 although the transaction committed
//   (yugabyte-db#29573, found by Jepsen), so retrying it could apply a transfer twice unseen.
//   https://docs.yugabyte.com/stable/develop/learn/transactions/transactions-errorcodes-ysql/
//   https://github.com/yugabyte/yugabyte-db/issues/29573
//
// What runs unchanged: YSQL is PostgreSQL's query layer (PG 15 base), so data-modifying CTEs,
// SELECT … FOR UPDATE, ON CONFLICT, unnest() and the `options` startup parameter behave as in
// PostgreSQL; the audit's REPEATABLE READ READ ONLY is Snapshot isolation, one snapshot.
// https://docs.yugabyte.com/stable/api/ysql/the-sql-language/with-clause/with-clause-syntax-semantics/
// https://docs.yugabyte.com/stable/explore/transactions/explicit-locking/
// Setup's CREATE TABLE runs before its BEGIN: each YSQL DDL is its own transaction unless the
// preview flag ysql_yb_ddl_transaction_block_enabled is set.
// https://docs.yugabyte.com/stable/architecture/transactions/transactional-ddl/
//
// Setup returns only once every tablet of the bank's tables has its full set of replicas. Tables
// made while the universe still had fewer nodes than its replication factor start with fewer
// copies (yugabyted raises the factor to 3 when the third node joins) and get the rest from the
// load balancer later; a fault before then could take the only copy. yb_tablet_metadata lists
// each tablet of a YSQL table with its replicas, cluster-wide.
// https://docs.yugabyte.com/stable/explore/observability/yb-tablet-metadata/
// https://docs.yugabyte.com/stable/reference/configuration/yugabyted/ (replication factor)
//
// Config keys: as adapters/postgres.ts (url like postgres://yugabyte@host:5433/yugabyte), plus
// replicationFactor: the copies each tablet must have before setup returns (absent: no wait).
import { parseConfig, PgBankStore, postgresDialect, type Dialect, type PgStoreOptions } from './postgres.ts';
import { DefiniteError, IndeterminateError, type Balances, type StoreFactory } from '../lib/store.ts';
import { sleep } from '../lib/clock.ts';

export const yugabyteDialect: Dialect = {
  name: 'yugabyte',
  isolation: 'serializable',
  retryable: new Set(['40001', '40P01']),
  ambiguous: postgresDialect.ambiguous, // as PostgreSQL: shutdown 57P0x, internal error XX000
  ambiguousMessage: /\bRPC\b.*\btimed out\b/i,
};

/** The bank's tables: every tablet of each must be fully replicated. */
export const BANK_TABLES = ['accounts', 'ledger'] as const;

/** $1 table names: each tablet of those tables in this database, with its number of replicas (leader included). */
export const TABLET_REPLICAS_SQL =
  'SELECT relname, tablet_id, coalesce(cardinality(replicas), 0) AS replicas FROM yb_tablet_metadata ' +
  'WHERE db_name = current_database() AND relname = ANY($1::text[])';

export interface TabletReplicas {
  relname: string;
  tablet_id: string;
  replicas: number | string;
}

/** What keeps the tables from being fully replicated: a table without tablets, or a tablet short of copies. Empty when none. */
export function replicationGaps(rows: readonly TabletReplicas[], tables: readonly string[], factor: number): string[] {
  const gaps = tables.filter((t) => !rows.some((r) => r.relname === t)).map((t) => `${t}: no tablets listed`);
  for (const r of rows) {
    if (Number(r.replicas) < factor) gaps.push(`${r.relname} tablet ${r.tablet_id}: ${r.replicas} of ${factor} replicas`);
  }
  return gaps;
}

const POLL_MS = 500;

export class YugabyteBankStore extends PgBankStore {
  constructor(opts: PgStoreOptions, private readonly replicationFactor: number | undefined) {
    super(opts);
  }

  /** Setup, then the wait for full replication, both within setupTimeoutMs. */
  async setup(accounts: Balances): Promise<void> {
    const deadline = Date.now() + this.opts.setupTimeoutMs;
    await super.setup(accounts);
    if (this.replicationFactor !== undefined) await this.waitReplicated(this.replicationFactor, deadline);
  }

  /**
   * Polls the tablets of the bank's tables until each has `factor` replicas; fails naming the gaps
   * at the deadline. A poll that fails (a read restart, a node still starting) is one more gap.
   */
  private async waitReplicated(factor: number, deadline: number): Promise<void> {
    for (;;) {
      const gaps = await this.readRows<TabletReplicas>(TABLET_REPLICAS_SQL, [[...BANK_TABLES]]).then(
        (rows) => replicationGaps(rows, BANK_TABLES, factor),
        (err: unknown) => [`yb_tablet_metadata not read: ${(err as Error).message}`],
      );
      if (gaps.length === 0) return;
      // One more poll (its own read deadline included) would end past the deadline: give up now.
      if (Date.now() + POLL_MS + this.opts.timeoutMs >= deadline) {
        // Setup itself was applied; only the copies are missing. It is idempotent: run it again.
        throw new IndeterminateError(`setup applied, but the bank's tables are not fully replicated yet: ${gaps.join('; ')}`);
      }
      await sleep(POLL_MS);
    }
  }
}

export const create: StoreFactory = async (config) => {
  const rf = config.replicationFactor === undefined ? undefined : Number(config.replicationFactor);
  if (rf !== undefined && !(Number.isInteger(rf) && rf > 0)) throw new DefiniteError('config.replicationFactor must be a positive integer');
  return new YugabyteBankStore(parseConfig(config, yugabyteDialect), rf);
};
/** Config keys a notebook may change between cells (see AdapterModule). */
export const settings = ['isolation'] as const;
