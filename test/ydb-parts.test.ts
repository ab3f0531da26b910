// The YDB adapter's pure parts without a server: the ledger decision (adapters/ydb/ledger.ts),
// Int64 conversion (values.ts), the YQL text and its parameters (yql.ts), and the config
// (config.ts, through the entry's create()).
import t from 'tap';
import { fromYdb, toJs, type Value } from '@ydbjs/value';
import { Optional, OptionalType } from '@ydbjs/value/optional';
import { Int64, Int64Type } from '@ydbjs/value/primitive';
import { typeToString } from '@ydbjs/value/print';
import { create, settings } from '../adapters/ydb.ts';
import { parseConfig } from '../adapters/ydb/config.ts';
import { planTransfer } from '../adapters/ydb/ledger.ts';
import { bigintOf, int64, INT64_MAX, INT64_MIN, numberOf } from '../adapters/ydb/values.ts';
import { deleteLedgerParams, resetAccountsParams, transferReadParams, transferWriteParams, yqlFor, type Params } from '../adapters/ydb/yql.ts';
import { DefiniteError, type Transfer } from '../lib/store.ts';
import { outcomeOf } from './helpers/store-contract.ts';

t.test('no server: the ledger decides before the balances', async (t) => {
  const tr: Transfer = { id: 't1', from: 'a', to: 'b', amount: 30 };
  const bal = (a: bigint, b: bigint) => new Map([['a', a], ['b', b]]);
  t.same(planTransfer(tr, { from: 'a', to: 'b', amount: 30n }, bal(0n, 0n)), { kind: 'applied' }, 'the ledger row wins over an empty balance');
  t.throws(() => planTransfer(tr, { from: 'a', to: 'b', amount: 31n }, bal(100n, 0n)), DefiniteError, 'the id moved other money');
  t.same(planTransfer(tr, undefined, bal(29n, 5n)), { kind: 'insufficient' });
  t.same(planTransfer(tr, undefined, bal(30n, 5n)), { kind: 'apply', from: 0n, to: 35n }, 'may empty the account');
  t.throws(() => planTransfer(tr, undefined, new Map([['a', 100n]])), DefiniteError, 'unknown destination');
  t.throws(() => planTransfer(tr, undefined, new Map([['b', 100n]])), DefiniteError, 'unknown source');
  const big = { id: 'big', from: 'a', to: 'b', amount: Number.MAX_SAFE_INTEGER };
  t.same(planTransfer(big, undefined, bal(2n ** 53n, 2n ** 53n)), { kind: 'apply', from: 1n, to: 2n ** 54n - 1n }, 'exact in bigint beyond 2^53');
});

t.test('no server: Int64 values', async (t) => {
  t.equal(int64(INT64_MAX).value, INT64_MAX, 'largest Int64');
  t.equal(int64(INT64_MIN).value, INT64_MIN, 'smallest Int64');
  t.throws(() => int64(INT64_MAX + 1n), RangeError, 'above Int64');
  t.throws(() => int64(INT64_MIN - 1n), RangeError, 'below Int64');
  t.equal(int64(Number.MAX_SAFE_INTEGER).value, BigInt(Number.MAX_SAFE_INTEGER));
  for (const n of [Number.MAX_SAFE_INTEGER + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) t.throws(() => int64(n), RangeError, `${n} is refused, not rounded`);
  t.equal(typeToString(int64(1).type), 'Int64');

  t.equal(numberOf(42n, 'x'), 42);
  t.equal(numberOf(-(2n ** 53n - 1n), 'x'), -Number.MAX_SAFE_INTEGER);
  t.equal(numberOf(2n ** 53n - 1n, 'x'), Number.MAX_SAFE_INTEGER);
  t.throws(() => numberOf(2n ** 53n, 'x'), RangeError, '2^53 would not be exact');
  t.throws(() => numberOf(-(2n ** 53n), 'x'), RangeError);
  t.throws(() => numberOf(null, 'x'), TypeError, 'NULL balance');
  t.throws(() => numberOf('5', 'x'), TypeError, 'text');
  t.throws(() => bigintOf(INT64_MAX + 1n, 'x'), TypeError, 'outside Int64');
  t.equal(bigintOf(7, 'x'), 7n, 'a safe-integer number is accepted');
  // The round trip the SDK does: Int64 → protobuf → Optional<Int64> column → bigint.
  const encoded = new Optional(new Int64(INT64_MAX)).encode();
  t.equal(toJs(fromYdb(encoded, new OptionalType(new Int64Type()).encode())), INT64_MAX, 'the SDK gives Int64 columns as bigint');
});

t.test('no server: every YQL statement declares exactly the parameters it uses, with the types passed', async (t) => {
  const yql = yqlFor('');
  const tr: Transfer = { id: 't', from: 'a', to: 'b', amount: 1 };
  const params: Record<keyof typeof yql, Params> = {
    createAccounts: {},
    createLedger: {},
    ledgerChunk: {},
    deleteLedger: deleteLedgerParams(['x', 'y']),
    resetAccounts: resetAccountsParams({ a: 1, b: 2 }),
    transferRead: transferReadParams(tr),
    transferWrite: transferWriteParams(tr, { from: 0n, to: 2n }, { from: 1n, to: 1n }),
    read: {},
    audit: {},
    ping: {},
  };
  for (const [name, text] of Object.entries(yql)) {
    const given = params[name as keyof typeof yql];
    const declared = new Map([...text.matchAll(/DECLARE \$(\w+) AS ([^;]+);/g)].map((m) => [`$${m[1]}`, m[2]!.replace(/\s/g, '')]));
    const body = text.replace(/DECLARE [^;]+;/g, '');
    const used = new Set([...body.matchAll(/\$(\w+)/g)].map((m) => `$${m[1]}`));
    t.same([...used].sort(), [...declared.keys()].sort(), `${name}: uses exactly what it declares`);
    t.same(Object.keys(given).sort(), [...declared.keys()].sort(), `${name}: is given exactly what it declares`);
    for (const [p, v] of Object.entries(given)) t.equal(typeToString((v as Value).type), declared.get(p), `${name}: ${p} has the declared type`);
  }
  t.match(yqlFor('r1').read, '`r1_accounts`', 'the run prefixes table names');
  t.match(yqlFor('r1').transferWrite, '`r1_ledger`');
  t.notMatch(yqlFor('').read, 'r1');
  t.throws(() => deleteLedgerParams([]), RangeError, 'an empty list has no element type');
  t.throws(() => transferWriteParams(tr, { from: INT64_MAX + 1n, to: 0n }, { from: 1n, to: 1n }), RangeError, 'a balance beyond Int64 is never sent');
  t.throws(() => transferWriteParams(tr, { from: 0n, to: 0n }, { from: 1n, to: INT64_MAX + 1n }), RangeError, 'nor a version');
  t.match(yql.createAccounts, /version Int64/, 'accounts carry a version column');
  t.match(yql.transferRead, /SELECT id, balance, version FROM/, 'a transfer reads the versions with the balances');
  t.match(yql.transferWrite, /\(id, balance, version\) VALUES \(\$src, \$src_balance, \$src_version\), \(\$dst, \$dst_balance, \$dst_version\)/, 'and writes them in the statement that writes the balances');
  t.match(yql.read, /SELECT id, balance, version FROM/, 'a read gives versions from the same query');
  const reset = resetAccountsParams({ a: 1, b: 2 }).$accounts!;
  t.same(toJs(fromYdb(reset.encode(), reset.type.encode())), [{ balance: 1n, id: 'a', version: 0n }, { balance: 2n, id: 'b', version: 0n }], 'setup writes version 0');
});

t.test('no server: config', async (t) => {
  const o = parseConfig({ endpoint: 'grpc://ydb-n1:2136/Root/testdb' });
  t.same([o.database, o.timeoutMs, o.reads, o.run, o.poolMax], ['/Root/testdb', 4000, 'serializable', '', 50], 'defaults');
  t.equal(parseConfig({ endpoint: 'grpcs://h:2135?database=/local' }).database, '/local', 'database as a query parameter');
  t.same(settings, ['readMode']);
  const bad: Record<string, string>[] = [
    {},
    { endpoint: 'ydb-n1:2136/Root/testdb' },
    { endpoint: 'http://ydb-n1:2136/Root/testdb' },
    { endpoint: 'grpc://ydb-n1/Root/testdb' },
    { endpoint: 'grpc://ydb-n1:2136' },
    { endpoint: 'grpc://ydb-n1:2136/Root/testdb', readMode: 'online' },
    { endpoint: 'grpc://ydb-n1:2136/Root/testdb', timeoutMs: 'soon' },
    { endpoint: 'grpc://ydb-n1:2136/Root/testdb', run: 'a/b' },
    { endpoint: 'grpc://ydb-n1:2136/Root/testdb', poolMax: '0' },
  ];
  for (const c of bad) t.equal(await outcomeOf(create(c)), 'definite', JSON.stringify(c));
});
