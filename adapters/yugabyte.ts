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
// Config keys: as adapters/postgres.ts (url like postgres://yugabyte@host:5433/yugabyte).
import { createWithDialect, postgresDialect, type Dialect } from './postgres.ts';
import type { StoreFactory } from '../lib/store.ts';

export const yugabyteDialect: Dialect = {
  name: 'yugabyte',
  isolation: 'serializable',
  retryable: new Set(['40001', '40P01']),
  ambiguous: postgresDialect.ambiguous, // as PostgreSQL: shutdown 57P0x, internal error XX000
  ambiguousMessage: /\bRPC\b.*\btimed out\b/i,
};

export const create: StoreFactory = createWithDialect(yugabyteDialect);
/** Config keys a notebook may change between cells (see AdapterModule). */
export const settings = ['isolation'] as const;
