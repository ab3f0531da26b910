// How the bank is laid out in FoundationDB's key space, byte for byte. Keys are FDB tuples:
// ('bank', run, 'acct', id) → balance as a signed 64-bit little-endian integer (the format of
// FDB's atomic add); ('bank', run, 'ver', id) → the account's version (lib/store.ts Versions),
// encoded the same way, 0 at setup and absent counting as 0 (data written before versions
// existed); ('bank', run, 'xfer', id) → tuple (from, to, amount). The run element is always
// present ('' by default), so no run can overlap another. Kept apart because any change here
// changes what is stored.
import { DefiniteError } from '../../lib/store.ts';
import type { TupleCodec } from './client.ts';

export type Kind = 'acct' | 'ver' | 'xfer';

/** The tuple prefix of one run: every key of the bank starts with it. */
export function keyspace(run: string): string[] {
  return ['bank', run];
}

export interface LedgerEntry {
  from: string;
  to: string;
  amount: number;
}

/** Byte-level layout of one run's keys and ledger values, on FDB's tuple encoding. */
export class Layout {
  constructor(
    readonly codec: TupleCodec,
    readonly run: string,
  ) {}

  key(kind: Kind, id: string): Buffer {
    return this.codec.pack([...keyspace(this.run), kind, id]);
  }

  accountKey(id: string): Buffer {
    return this.key('acct', id);
  }

  ledgerKey(id: string): Buffer {
    return this.key('xfer', id);
  }

  /** The account's version counter (lib/store.ts Versions). */
  versionKey(id: string): Buffer {
    return this.key('ver', id);
  }

  /** All keys of one kind: the tuple range of ('bank', run, kind), bounds excluded. */
  range(kind: Kind): { begin: Buffer; end: Buffer } {
    const prefix = this.codec.pack([...keyspace(this.run), kind]);
    return { begin: Buffer.concat([prefix, Buffer.from([0x00])]), end: Buffer.concat([prefix, Buffer.from([0xff])]) };
  }

  /** The id of a key of this run and kind; anything else is corrupt data. */
  idOf(kind: Kind, key: Buffer): string {
    const items = this.codec.unpack(key);
    const [bank, run, k, id] = items;
    if (items.length !== 4 || bank !== 'bank' || run !== this.run || k !== kind || typeof id !== 'string') {
      throw new DefiniteError(`unexpected key in the ${kind} range: ${key.toString('hex')}`);
    }
    return id;
  }

  encodeEntry(t: LedgerEntry): Buffer {
    return this.codec.pack([t.from, t.to, t.amount]);
  }

  decodeEntry(value: Buffer): LedgerEntry {
    let items: unknown[];
    try {
      items = this.codec.unpack(value);
    } catch {
      items = [];
    }
    const [from, to, amount] = items;
    if (items.length !== 3 || typeof from !== 'string' || typeof to !== 'string' || !Number.isSafeInteger(amount)) {
      throw new DefiniteError(`corrupt ledger entry: ${value.toString('hex')}`);
    }
    return { from, to, amount: amount as number };
  }
}

/** A balance as 8 bytes, signed little-endian: what FDB's atomic add reads and writes. */
export function encodeAmount(n: number): Buffer {
  if (!Number.isSafeInteger(n)) throw new DefiniteError(`amount ${n} is not a safe integer`);
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b;
}

export function decodeAmount(value: Buffer, what = 'balance'): number {
  if (value.length !== 8) throw new DefiniteError(`corrupt ${what}: ${value.length} bytes (${value.toString('hex')})`);
  const n = value.readBigInt64LE();
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new DefiniteError(`${what} ${n} is beyond the safe integer range`);
  }
  return Number(n);
}

/** A version in the balances' encoding; a missing key (written before versions existed) is 0. */
export function decodeVersion(value: Buffer | undefined): number {
  return value === undefined ? 0 : decodeAmount(value, 'version');
}
