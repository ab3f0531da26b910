// Every YQL statement the adapter sends and the typed parameters each one takes, side by side:
// YDB checks DECLAREd types against what is passed, so the two must change together (the unit
// test compares them).
import { identifier } from '@ydbjs/query';
import type { Value } from '@ydbjs/value';
import { List } from '@ydbjs/value/list';
import { Utf8 } from '@ydbjs/value/primitive';
import { Struct } from '@ydbjs/value/struct';
import type { Balances, Transfer } from '../../lib/store.ts';
import { int64 } from './values.ts';

export function tableNames(run: string): { accounts: string; ledger: string } {
  return run ? { accounts: `${run}_accounts`, ledger: `${run}_ledger` } : { accounts: 'accounts', ledger: 'ledger' };
}

/** Ledger ids listed and deleted per transaction when setup clears the ledger. */
export const LEDGER_CHUNK = 10_000;

/** Every statement; parameters are DECLAREd in the text (struct members in sorted order). */
export function yqlFor(run: string) {
  const names = tableNames(run);
  const accounts = String(identifier(names.accounts));
  const ledger = String(identifier(names.ledger));
  return {
    createAccounts: `CREATE TABLE IF NOT EXISTS ${accounts} (id Utf8, balance Int64, version Int64, PRIMARY KEY (id));`,
    createLedger: `CREATE TABLE IF NOT EXISTS ${ledger} (id Utf8, src Utf8, dst Utf8, amount Int64, PRIMARY KEY (id));`,
    ledgerChunk: `SELECT id FROM ${ledger} LIMIT ${LEDGER_CHUNK};`,
    deleteLedger: [
      'DECLARE $ids AS List<Struct<id:Utf8>>;',
      `DELETE FROM ${ledger} ON SELECT id FROM AS_TABLE($ids);`,
    ].join('\n'),
    resetAccounts: [
      'DECLARE $ids AS List<Utf8>;',
      'DECLARE $accounts AS List<Struct<balance:Int64,id:Utf8,version:Int64>>;',
      `DELETE FROM ${accounts} WHERE id NOT IN $ids;`,
      `UPSERT INTO ${accounts} SELECT id, balance, version FROM AS_TABLE($accounts);`,
    ].join('\n'),
    /** Result set 0: the ledger row for $id (0 or 1); result set 1: the two accounts, with versions. */
    transferRead: [
      'DECLARE $id AS Utf8;',
      'DECLARE $src AS Utf8;',
      'DECLARE $dst AS Utf8;',
      `SELECT src, dst, amount FROM ${ledger} WHERE id = $id;`,
      `SELECT id, balance, version FROM ${accounts} WHERE id IN ($src, $dst);`,
    ].join('\n'),
    // UPSERT, not INSERT, for the ledger row: the read above decided, and a broken isolation
    // guarantee should show in the audit rather than be masked by a duplicate-key error.
    transferWrite: [
      'DECLARE $id AS Utf8;',
      'DECLARE $src AS Utf8;',
      'DECLARE $dst AS Utf8;',
      'DECLARE $amount AS Int64;',
      'DECLARE $src_balance AS Int64;',
      'DECLARE $dst_balance AS Int64;',
      'DECLARE $src_version AS Int64;',
      'DECLARE $dst_version AS Int64;',
      `UPSERT INTO ${accounts} (id, balance, version) VALUES ($src, $src_balance, $src_version), ($dst, $dst_balance, $dst_version);`,
      `UPSERT INTO ${ledger} (id, src, dst, amount) VALUES ($id, $src, $dst, $amount);`,
    ].join('\n'),
    /** Balances and versions (readVersioned; read() uses it too). */
    read: `SELECT id, balance, version FROM ${accounts};`,
    /** Result set 0: balances; result set 1: ledger ids. */
    audit: [`SELECT id, balance FROM ${accounts};`, `SELECT id FROM ${ledger};`].join('\n'),
    ping: 'SELECT 1 AS one;',
  };
}

export type Yql = ReturnType<typeof yqlFor>;
export type Params = Record<string, Value>;

export function transferReadParams(t: Transfer): Params {
  return { $id: new Utf8(t.id), $src: new Utf8(t.from), $dst: new Utf8(t.to) };
}

/** `plan`: both new balances; `versions`: both new versions (one more than read). */
export function transferWriteParams(t: Transfer, plan: { from: bigint; to: bigint }, versions: { from: bigint; to: bigint }): Params {
  return {
    $id: new Utf8(t.id),
    $src: new Utf8(t.from),
    $dst: new Utf8(t.to),
    $amount: int64(t.amount),
    $src_balance: int64(plan.from),
    $dst_balance: int64(plan.to),
    $src_version: int64(versions.from),
    $dst_version: int64(versions.to),
  };
}

export function deleteLedgerParams(ids: string[]): Params {
  if (ids.length === 0) throw new RangeError('no ledger ids to delete');
  return { $ids: new List(...ids.map((id) => new Struct({ id: new Utf8(id) }))) };
}

export function resetAccountsParams(accounts: Balances): Params {
  const entries = Object.entries(accounts);
  if (entries.length === 0) throw new RangeError('no accounts');
  return {
    $ids: new List(...entries.map(([id]) => new Utf8(id))),
    $accounts: new List(...entries.map(([id, b]) => new Struct({ id: new Utf8(id), balance: int64(b), version: int64(0) }))),
  };
}
