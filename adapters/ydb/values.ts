// Int64 in and out, and result rows as balances and versions. Amounts and balances travel as
// bigint (the SDK gives Int64 columns as bigint); a value that would round or overflow is refused
// here, in one place, rather than sent or returned wrong.
import { Int64 } from '@ydbjs/value/primitive';
import type { Balances, Versions } from '../../lib/store.ts';

/** Rows in each result set, keyed by column name, values converted by @ydbjs/value's toJs. */
export type Row = Record<string, unknown>;

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** An Int64 parameter; a number must be a safe integer (anything else would round silently). */
export function int64(v: bigint | number): Int64 {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`${v} is not a safe integer`);
  const b = BigInt(v);
  if (b < INT64_MIN || b > INT64_MAX) throw new RangeError(`${b} does not fit Int64`);
  return new Int64(b);
}

/** An Int64 column as a bigint (the SDK gives bigint); a safe-integer number is accepted too. */
export function bigintOf(v: unknown, what: string): bigint {
  if (typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new TypeError(`${what}: expected an Int64, got ${show(v)}`);
}

/** An Int64 column as a JS number, refused when it would not be exact. */
export function numberOf(v: unknown, what: string): number {
  const b = bigintOf(v, what);
  if (b > SAFE_MAX || b < -SAFE_MAX) throw new RangeError(`${what}: ${b} is beyond the safe integer range`);
  return Number(b);
}

export function textOf(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new TypeError(`${what}: expected Utf8, got ${show(v)}`);
  return v;
}

export function show(v: unknown): string {
  return typeof v === 'bigint' ? `${v}n` : v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v);
}

export function balanceMapOf(rows: Row[]): Map<string, bigint> {
  return new Map(rows.map((r) => [textOf(r.id, 'account id'), bigintOf(r.balance, `balance of ${show(r.id)}`)]));
}

export function balancesOf(rows: Row[]): Balances {
  return Object.fromEntries(rows.map((r) => [textOf(r.id, 'account id'), numberOf(r.balance, `balance of ${show(r.id)}`)]));
}

export function versionMapOf(rows: Row[]): Map<string, bigint> {
  return new Map(rows.map((r) => [textOf(r.id, 'account id'), bigintOf(r.version, `version of ${show(r.id)}`)]));
}

export function versionsOf(rows: Row[]): Versions {
  return Object.fromEntries(rows.map((r) => [textOf(r.id, 'account id'), numberOf(r.version, `version of ${show(r.id)}`)]));
}
