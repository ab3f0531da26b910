// The FoundationDB adapter's keys and values without a server: tuple keys, balances and versions
// as FDB's little-endian 64-bit integers, and ledger entries.
import t from 'tap';
// The tuple layer the `foundationdb` package uses (its dependency, pure JavaScript).
import * as tuple from 'fdb-tuple';
import type { TupleCodec } from '../adapters/foundationdb/client.ts';
import { decodeAmount, decodeVersion, encodeAmount, Layout, type Kind } from '../adapters/foundationdb/encoding.ts';
import { DefiniteError } from '../lib/store.ts';

const codec: TupleCodec = tuple;
const hex = (b: Buffer) => b.toString('hex');

t.test('no server: keys are FDB tuples that round-trip, sort by id and keep runs apart', async (t) => {
  const layout = new Layout(codec, '');
  t.equal(hex(layout.accountKey('a0')), '0262616e6b00020002616363740002613000', "('bank', '', 'acct', 'a0'), as fdbcli would print it");
  t.same(codec.unpack(layout.ledgerKey('t-1')), ['bank', '', 'xfer', 't-1']);
  t.same(codec.unpack(layout.versionKey('a0')), ['bank', '', 'ver', 'a0']);

  const ids = ['', 'a', 'a0', 'a1', 'a10', 'a2', 'b', 'nul\u0000inside', 'ü', 'x'.repeat(200)];
  for (const id of ids) {
    t.equal(layout.idOf('acct', layout.accountKey(id)), id, `account id ${JSON.stringify(id).slice(0, 20)} round-trips`);
    t.equal(layout.idOf('xfer', layout.ledgerKey(id)), id, `ledger id ${JSON.stringify(id).slice(0, 20)} round-trips`);
    t.equal(layout.idOf('ver', layout.versionKey(id)), id, `version id ${JSON.stringify(id).slice(0, 20)} round-trips`);
  }
  const ascii = ['a', 'a0', 'a1', 'a10', 'a2', 'b'];
  const sorted = ascii.map((id) => layout.accountKey(id)).sort(Buffer.compare).map((k) => layout.idOf('acct', k));
  t.same(sorted, ascii, 'account keys sort as their ids');

  const inRange = (l: Layout, kind: Kind, key: Buffer) => {
    const { begin, end } = l.range(kind);
    return Buffer.compare(begin, key) <= 0 && Buffer.compare(key, end) < 0;
  };
  const r1 = new Layout(codec, 'r1');
  const r10 = new Layout(codec, 'r10');
  for (const id of ids) {
    t.ok(inRange(layout, 'acct', layout.accountKey(id)), 'an account key is in the account range');
    t.notOk(inRange(layout, 'xfer', layout.accountKey(id)), 'and not in the ledger range');
    t.notOk(inRange(layout, 'acct', layout.ledgerKey(id)), 'a ledger key is not in the account range');
    t.ok(inRange(layout, 'ver', layout.versionKey(id)), 'a version key is in the version range');
    t.notOk(inRange(layout, 'acct', layout.versionKey(id)), 'and not in the account range');
    t.notOk(inRange(layout, 'ver', layout.accountKey(id)), 'nor an account key in the version range');
    t.notOk(inRange(r1, 'acct', r10.accountKey(id)), 'run r10 is outside run r1');
    t.notOk(inRange(layout, 'acct', r1.accountKey(id)), 'a named run is outside the default one');
    t.notOk(inRange(r1, 'acct', layout.accountKey(id)), 'and the default run outside a named one');
  }
  t.throws(() => layout.idOf('acct', layout.ledgerKey('a0')), DefiniteError, 'a key of the other kind is corrupt data');
  t.throws(() => r1.idOf('acct', layout.accountKey('a0')), DefiniteError, 'a key of another run too');
  t.throws(() => layout.idOf('acct', codec.pack(['bank', '', 'acct', 'a0', 'extra'])), DefiniteError, 'and a longer tuple');
});

t.test('no server: balances are signed 64-bit little-endian integers', async (t) => {
  t.equal(hex(encodeAmount(5)), '0500000000000000', 'the byte order of FDB atomic add');
  t.equal(hex(encodeAmount(-1)), 'ffffffffffffffff');
  for (const n of [0, 1, -1, 255, 256, 1_000_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
    t.equal(decodeAmount(encodeAmount(n)), n, `${n} round-trips`);
  }
  t.throws(() => encodeAmount(1.5), DefiniteError, 'not an integer');
  t.throws(() => encodeAmount(2 ** 60), DefiniteError, 'not safe');
  t.throws(() => decodeAmount(Buffer.from('0500', 'hex')), DefiniteError, 'wrong length');
  const big = Buffer.alloc(8);
  big.writeBigInt64LE(2n ** 62n);
  t.throws(() => decodeAmount(big), DefiniteError, 'beyond the safe range');
  t.equal(decodeVersion(undefined), 0, 'a missing version key (data from before versions) is version 0');
  t.equal(decodeVersion(encodeAmount(7)), 7, 'versions use the balance encoding');
  t.throws(() => decodeVersion(Buffer.from('07', 'hex')), /corrupt version/, 'a corrupt version is named as one');
});

t.test('no server: ledger entries round-trip; a corrupt one is a definite error', async (t) => {
  const layout = new Layout(codec, 'r');
  const entry = { from: 'a0', to: 'a1', amount: 42 };
  t.same(layout.decodeEntry(layout.encodeEntry(entry)), entry);
  t.same(codec.unpack(layout.encodeEntry(entry)), ['a0', 'a1', 42], 'a plain tuple, readable by any binding');
  t.throws(() => layout.decodeEntry(Buffer.from('not a tuple')), DefiniteError);
  t.throws(() => layout.decodeEntry(codec.pack(['a0', 'a1'])), DefiniteError, 'missing amount');
  t.throws(() => layout.decodeEntry(codec.pack(['a0', 'a1', 'many'])), DefiniteError, 'amount not a number');
});
