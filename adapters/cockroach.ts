// BankStore on CockroachDB (v25/v26) through `pg`: the PostgreSQL adapter with this dialect.
// What differs from adapters/postgres.ts, and why:
//
// - The transfer statement. CockroachDB refuses a statement with two UPDATE subqueries of one
//   table (0A000 "multiple modification subqueries of the same table", sql.multiple_modifications_
//   of_table.enabled / enable_multiple_modifications_of_table off by default: they can corrupt
//   indexes, cockroach#70731), so debit and credit are ONE UPDATE over both locked rows.
//   https://www.cockroachlabs.com/docs/stable/known-limitations (multiple modification subqueries)
// - Errors. 40001 ("restart transaction") is retried; 40003 "result is ambiguous" (COMMIT or an
//   implicit transaction) means the commit may have happened: indeterminate, like a connection
//   lost during the statement (no SQLSTATE, class 08, 57P01 when a draining node closes it).
//   https://www.cockroachlabs.com/docs/stable/transaction-retry-error-reference
//   https://www.cockroachlabs.com/docs/stable/common-errors#result-is-ambiguous
//
// What runs unchanged (checked against the docs and the server source):
// - SERIALIZABLE is the default; READ COMMITTED is on by default since v24.1
//   (sql.txn.read_committed_isolation.enabled). REPEATABLE READ, and so the audit's
//   `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`, silently runs as SERIALIZABLE unless
//   sql.txn.repeatable_read_isolation.enabled is set: either way one snapshot, which is all the
//   audit needs. https://www.cockroachlabs.com/docs/stable/transactions#isolation-levels
// - `options=-c default_transaction_isolation=read\ committed`: the `options` startup parameter
//   takes `-c name=value` with backslash-escaped spaces (CockroachDB's pgurl.ParseExtendedOptions).
//   https://www.cockroachlabs.com/docs/stable/connection-parameters#supported-options-parameters
// - SELECT … FOR UPDATE inside a CTE, INSERT … ON CONFLICT DO UPDATE, multi-array unnest(), and
//   `constraint: "ledger_pkey"` on a duplicate ledger id (primary keys are named <table>_pkey).
// - Setup's CREATE TABLE runs before its BEGIN: with autocommit_before_ddl (on since v25.1) a DDL
//   inside the transaction would commit it early.
//   https://www.cockroachlabs.com/docs/stable/session-variables (autocommit_before_ddl)
//
// leader(): the node holding the lease of the accounts' range (all of a small bank's accounts fit
// in one range): it serves every read and write of them, so it is the node to kill. bankrun starts
// node nK with --locality=node=nK, and SHOW RANGE … FOR ROW names the leaseholder's locality of the
// one range holding that row: it reads crdb_internal.ranges filtered to that range, so the lease is
// looked up for one range only, where SHOW RANGES … WITH DETAILS computes leases and span
// statistics of every range of the table, which the docs call expensive. The API answers /leader
// within 1 s (lib/api/server.ts); a node that cannot is no vote, and without a majority the fault
// aimed at the leader is reported NOT APPLIED (lib/runtime/cluster.ts leaderByMajority,
// lib/faults/targets.ts resolveTarget, lib/faults/nemesis.ts runFault).
// https://www.cockroachlabs.com/docs/stable/show-range-for-row
// https://www.cockroachlabs.com/docs/stable/show-ranges (WITH DETAILS)
// https://github.com/cockroachdb/cockroach/blob/master/pkg/sql/delegate/show_range_for_row.go
//
// Config keys: as adapters/postgres.ts (url like postgres://root@host:26257/defaultdb?sslmode=disable).
import { parseConfig, PgBankStore, postgresDialect, type Dialect } from './postgres.ts';
import type { StoreFactory } from '../lib/store.ts';

/**
 * SQL.transfer with ONE modification of `accounts`: both rows are locked in id order first, then
 * moved by a single UPDATE only if both exist and the source (as locked) has enough; the ledger
 * row goes in only if both rows moved. Same parameters ($1 id, $2 from, $3 to, $4 amount) and
 * result columns. Placeholders carry their types, since CockroachDB types each from its first use.
 */
export const TRANSFER_SQL = `
WITH locked AS (
  SELECT id, balance FROM accounts WHERE id IN ($2::text, $3::text) ORDER BY id FOR UPDATE
), moved AS (
  UPDATE accounts
  SET balance = CASE WHEN id = $2::text THEN balance - $4::bigint ELSE balance + $4::bigint END,
      version = version + 1
  WHERE id IN ($2::text, $3::text)
    AND (SELECT count(*) FROM locked) = 2
    AND (SELECT balance FROM locked WHERE id = $2::text) >= $4::bigint
  RETURNING id, version
), entry AS (
  INSERT INTO ledger (id, src, dst, amount)
  SELECT $1::text, $2::text, $3::text, $4::bigint WHERE (SELECT count(*) FROM moved) = 2
  RETURNING id
)
SELECT EXISTS (SELECT 1 FROM moved WHERE id = $2::text) AS debited,
       EXISTS (SELECT 1 FROM moved WHERE id = $3::text) AS credited,
       EXISTS (SELECT 1 FROM entry) AS entered,
       EXISTS (SELECT 1 FROM locked WHERE id = $2::text) AS src_exists,
       EXISTS (SELECT 1 FROM locked WHERE id = $3::text) AS dst_exists,
       (SELECT version FROM moved WHERE id = $2::text) AS src_version,
       (SELECT version FROM moved WHERE id = $3::text) AS dst_version`;

export const cockroachDialect: Dialect = {
  name: 'cockroach',
  isolation: 'serializable', // CockroachDB's own default, said here so a notebook reads it
  retryable: new Set(['40001', '40P01']), // restart transaction; deadlock (rare: pushes abort instead)
  // 40003 result is ambiguous, plus PostgreSQL's (shutdown 57P0x, internal error XX000).
  ambiguous: new Set([...postgresDialect.ambiguous, '40003']),
  transferSql: TRANSFER_SQL,
};

/**
 * The range of the row with id '' (the primary key's value): '' sorts before every account id, so
 * it is the first range of the primary index, the one holding the accounts. The row need not exist.
 */
export const LEASEHOLDER_SQL = "SELECT lease_holder_locality FROM [SHOW RANGE FROM TABLE accounts FOR ROW ('')]";

/** "node=n3" (possibly among other tiers, "region=x,node=n3") → "n3". */
export function nodeOfLocality(locality: string | null | undefined): string | undefined {
  return /(?:^|,)node=([\w-]+)/.exec(locality ?? '')?.[1];
}

export class CockroachBankStore extends PgBankStore {
  async leader(): Promise<string | undefined> {
    const [row] = await this.readRows<{ lease_holder_locality: string | null }>(LEASEHOLDER_SQL);
    return nodeOfLocality(row?.lease_holder_locality);
  }
}

export const create: StoreFactory = async (config) => new CockroachBankStore(parseConfig(config, cockroachDialect));
/** Config keys a notebook may change between cells (see AdapterModule). */
export const settings = ['isolation'] as const;
