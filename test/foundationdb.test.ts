// The FoundationDB adapter without a server: key and value encodings, the error table, the retry
// loop's classification, the transfer body on a fake transaction, the whole store on an
// in-memory optimistic stand-in, and the error when libfdb_c is missing (as on this machine).
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
// The tuple layer the `foundationdb` package uses (its dependency, pure JavaScript).
import * as tuple from 'fdb-tuple';
import {
  CallTrack,
  classifyRead,
  classifyWrite,
  create,
  decodeAmount,
  decodeVersion,
  encodeAmount,
  FDB_ERRORS,
  FdbBankStore,
  fdbCode,
  Layout,
  ledgerDecision,
  missingClientMessage,
  parseConfig,
  ruleFor,
  runAttempts,
  transferAttempt,
  type FdbTxn,
  type Kind,
  type KvTxn,
  type TupleCodec,
} from '../adapters/foundationdb.ts';
import { DefiniteError, IndeterminateError, isCountingStore, retriesOf, type Transfer } from '../lib/store.ts';
import { accounts, outcomeOf, storeContract } from './helpers/store-contract.ts';

const codec: TupleCodec = tuple;

// ---- an in-memory stand-in for FoundationDB -------------------------------------------------

/** What FDBError looks like to the adapter: an Error with a numeric code. */
class FakeFdbError extends Error {
  constructor(readonly code: number) {
    super(`fake FDB error ${code}`);
  }
}

/** What onError retries (fdb_error_predicate RETRYABLE, as in the adapter's table). */
const RETRYABLE = new Set(FDB_ERRORS.filter((r) => r.retryable).map((r) => r.code));

const hex = (b: Buffer) => b.toString('hex'); // keeps byte order, so ranges compare as strings

/**
 * Committed data plus the version each key was last written at. Commits check that nothing a
 * transaction read (not snapshot) was written after its read version: FDB's optimistic check.
 * Faults are consumed in order: by the next commit with writes, the next non-snapshot get (0 lets
 * it succeed), the next onError (0 lets it retry).
 */
class FakeCluster {
  data = new Map<string, Buffer>();
  written = new Map<string, number>();
  clears: { begin: string; end: string; version: number }[] = [];
  version = 0;
  commits = 0;
  commitFaults: { code: number; apply: boolean }[] = [];
  readFaults: number[] = [];
  onErrorFaults: number[] = [];

  writtenAfter(key: string, version: number): boolean {
    return (this.written.get(key) ?? -1) > version || this.clears.some((c) => c.version > version && key >= c.begin && key < c.end);
  }

  range(begin: Buffer, end: Buffer): [Buffer, Buffer][] {
    const [b, e] = [hex(begin), hex(end)];
    return [...this.data.entries()]
      .filter(([k]) => k >= b && k < e)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([k, v]) => [Buffer.from(k, 'hex'), v]);
  }

  db() {
    return { rawCreateTransaction: () => new FakeTxn(this), close: () => undefined };
  }
}

class FakeTxn implements FdbTxn {
  readVersion: number;
  reads = new Set<string>();
  sets = new Map<string, Buffer>();
  clears: [string, string][] = [];

  constructor(readonly cluster: FakeCluster) {
    this.readVersion = cluster.version;
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    const fault = this.cluster.readFaults.shift();
    if (fault) throw new FakeFdbError(fault); // 0: this read succeeds
    this.reads.add(hex(key));
    return this.peek(key);
  }

  set(key: Buffer, value: Buffer): void {
    this.sets.set(hex(key), value);
  }

  clearRange(start: Buffer, end: Buffer): void {
    const [b, e] = [hex(start), hex(end)];
    for (const k of [...this.sets.keys()]) if (k >= b && k < e) this.sets.delete(k);
    this.clears.push([b, e]);
  }

  async getRangeAll(start: Buffer, end: Buffer): Promise<[Buffer, Buffer][]> {
    if (this.sets.size || this.clears.length) throw new Error('the fake reads ranges only in read-only transactions');
    return this.cluster.range(start, end);
  }

  snapshot(): KvTxn {
    return { get: async (k) => this.peek(k), getRangeAll: (b, e) => this.getRangeAll(b, e), set: () => undefined, clearRange: () => undefined };
  }

  async getReadVersion(): Promise<number> {
    return this.readVersion;
  }

  async rawCommit(): Promise<void> {
    if (this.sets.size === 0 && this.clears.length === 0) return; // read-only: nothing is sent
    const fault = this.cluster.commitFaults.shift();
    if (fault && !fault.apply) throw new FakeFdbError(fault.code);
    if ([...this.reads].some((k) => this.cluster.writtenAfter(k, this.readVersion))) throw new FakeFdbError(1020);
    const version = ++this.cluster.version;
    this.cluster.commits++;
    for (const [b, e] of this.clears) {
      for (const k of [...this.cluster.data.keys()]) if (k >= b && k < e) this.cluster.data.delete(k);
      this.cluster.clears.push({ begin: b, end: e, version });
    }
    for (const [k, v] of this.sets) {
      this.cluster.data.set(k, v);
      this.cluster.written.set(k, version);
    }
    if (fault) throw new FakeFdbError(fault.code); // applied, but the answer is lost
  }

  async rawOnError(code: number): Promise<void> {
    const fault = this.cluster.onErrorFaults.shift();
    if (fault) throw new FakeFdbError(fault);
    if (!RETRYABLE.has(code)) throw new FakeFdbError(code);
    await new Promise((r) => setImmediate(r));
    this.readVersion = this.cluster.version;
    this.reads.clear();
    this.sets.clear();
    this.clears = [];
  }

  private peek(key: Buffer): Buffer | undefined {
    const k = hex(key);
    if (this.sets.has(k)) return this.sets.get(k);
    if (this.clears.some(([b, e]) => k >= b && k < e)) return undefined;
    return this.cluster.data.get(k);
  }
}

function fakeStore(cluster: FakeCluster, run = ''): FdbBankStore {
  const db = cluster.db();
  return new FdbBankStore(db, new Layout(codec, run), parseConfig({ run }));
}

// ---- encodings ----------------------------------------------------------------------------

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

t.test('no server: the ledger decides a repeated id', async (t) => {
  const tr: Transfer = { id: 'x1', from: 'a0', to: 'a1', amount: 10 };
  t.equal(ledgerDecision(tr, undefined), undefined, 'no entry: go on');
  t.equal(ledgerDecision(tr, { from: 'a0', to: 'a1', amount: 10 }), 'ok', 'this very transfer: applied once already');
  t.throws(() => ledgerDecision(tr, { from: 'a0', to: 'a1', amount: 11 }), DefiniteError, 'other amount');
  t.throws(() => ledgerDecision(tr, { from: 'a1', to: 'a0', amount: 10 }), DefiniteError, 'other direction');
  t.throws(() => ledgerDecision(tr, { from: 'a0', to: 'a2', amount: 10 }), DefiniteError, 'other account');
});

// ---- classification -----------------------------------------------------------------------

t.test('no server: the error table classifies every code', async (t) => {
  const codes = FDB_ERRORS.map((r) => r.code);
  t.equal(new Set(codes).size, codes.length, 'one rule per code');
  t.same(
    [...RETRYABLE].sort(),
    [1007, 1009, 1020, 1021, 1037, 1038, 1039, 1042, 1051, 1078, 1213],
    'retryable rows are fdb_error_predicate(RETRYABLE) of libfdb_c 7.2/7.3',
  );
  const track = (failedIn: 'body' | 'commit', code: number) => Object.assign(new CallTrack(), { failedIn, code });
  for (const rule of FDB_ERRORS) {
    t.equal(ruleFor(rule.code), rule);
    const err = new FakeFdbError(rule.code);
    const want = rule.commit === 'not-applied' ? 'definite' : 'indeterminate';
    t.equal(classifyWrite(err, track('commit', rule.code)).kind, want, `${rule.code} ${rule.name} answering a commit: ${want}`);
    t.equal(classifyWrite(err, track('body', rule.code)).kind, 'definite', `${rule.code} ${rule.name} before the commit: definite`);
  }
  const spot: [number, string][] = [
    [1020, 'definite'],
    [1007, 'definite'],
    [1021, 'indeterminate'],
    [1031, 'indeterminate'],
    [1039, 'indeterminate'],
    [2101, 'definite'],
    [9999, 'indeterminate'],
  ];
  for (const [code, want] of spot) {
    t.equal(classifyWrite(new FakeFdbError(code), track('commit', code)).kind, want, `commit answered ${code}: ${want}`);
  }
  t.equal(classifyWrite(new FakeFdbError(9999), track('body', 9999)).kind, 'definite', 'an unknown code before the commit sent nothing');
  t.equal(classifyWrite(new FakeFdbError(1031), track('commit', 1020)).kind, 'definite', 'conflict, then timed out in the backoff: nothing applied');
  t.equal(classifyWrite(new TypeError('boom'), track('commit', NaN)).kind, 'indeterminate', 'a non-FDB failure of the commit');

  const doubtful = (doubt: 'ledger' | 'open') => Object.assign(track('body', 1031), { doubt });
  t.equal(classifyWrite(new FakeFdbError(1031), doubtful('ledger')).kind, 'indeterminate', 'a retried 1021 not yet settled by a read');
  t.equal(classifyWrite(new FakeFdbError(1031), doubtful('open')).kind, 'indeterminate', 'a retried 1039 may still land');
  t.equal(classifyWrite(new DefiniteError('other money'), doubtful('open')).kind, 'indeterminate', 'doubt outweighs a definite refusal');
  const d = new DefiniteError('already classified');
  t.equal(classifyWrite(d, new CallTrack()), d, 'classified errors pass through');

  const settled = new CallTrack();
  settled.retriedCommit(1021);
  t.equal(settled.doubt, 'ledger', 'a retried commit_unknown_result leaves doubt a read can settle');
  settled.ledgerSeen();
  t.equal(settled.doubt, 'none', 'reading the ledger settles it');
  settled.retriedCommit(1039);
  settled.ledgerSeen();
  t.equal(settled.doubt, 'open', 'a commit that may land later stays in doubt');
  settled.retriedCommit(1020);
  t.equal(settled.doubt, 'open', 'and a conflict does not clear it');

  t.equal(classifyRead(new FakeFdbError(1031)).kind, 'indeterminate', 'a read without an answer in time');
  t.equal(classifyRead(new FakeFdbError(1020)).kind, 'definite', 'a failed read changed nothing');
  t.equal(classifyRead(new Error('plain')).kind, 'definite');
  t.equal(fdbCode(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), undefined, "Node's string codes are not FDB codes");
  t.equal(fdbCode(new FakeFdbError(1020)), 1020);
});

// ---- the transfer body and the retry loop ---------------------------------------------------

function seeded(
  balances: Record<string, number>,
  ledger: Record<string, { from: string; to: string; amount: number }> = {},
  versions: Record<string, number> = {},
) {
  const cluster = new FakeCluster();
  const layout = new Layout(codec, '');
  for (const [id, b] of Object.entries(balances)) cluster.data.set(hex(layout.accountKey(id)), encodeAmount(b));
  for (const [id, v] of Object.entries(versions)) cluster.data.set(hex(layout.versionKey(id)), encodeAmount(v));
  for (const [id, e] of Object.entries(ledger)) cluster.data.set(hex(layout.ledgerKey(id)), layout.encodeEntry(e));
  return { cluster, layout };
}

t.test('no server: one transfer attempt on a fake transaction', async (t) => {
  const tr: Transfer = { id: 'x1', from: 'a0', to: 'a1', amount: 30 };

  let { cluster, layout } = seeded({ a0: 20, a1: 0 });
  let tn = new FakeTxn(cluster);
  t.same(await transferAttempt(tn, layout, tr), { result: 'insufficient' }, 'no versions');
  t.equal(tn.sets.size, 0, 'insufficient funds write nothing');

  ({ cluster, layout } = seeded({ a0: 100, a1: 0 }, { x1: { from: 'a0', to: 'a1', amount: 30 } }, { a0: 1, a1: 1 }));
  tn = new FakeTxn(cluster);
  t.same(await transferAttempt(tn, layout, tr), { result: 'ok' }, 'the ledger has this very transfer: ok, without versions (applied before)');
  t.equal(tn.sets.size, 0, 'so nothing is written again');

  ({ cluster, layout } = seeded({ a0: 100, a1: 0 }, { x1: { from: 'a0', to: 'a1', amount: 31 } }));
  tn = new FakeTxn(cluster);
  await t.rejects(transferAttempt(tn, layout, tr), DefiniteError, 'the id moved other money');
  t.equal(tn.sets.size, 0);

  ({ cluster, layout } = seeded({ a0: 100 }));
  tn = new FakeTxn(cluster);
  await t.rejects(transferAttempt(tn, layout, tr), DefiniteError, 'unknown account');
  t.equal(tn.sets.size, 0);

  ({ cluster, layout } = seeded({ a0: 100, a1: 5 }, {}, { a0: 3, a1: 8 }));
  tn = new FakeTxn(cluster);
  t.same(await transferAttempt(tn, layout, tr), { result: 'ok', versions: { a0: 4, a1: 9 } }, 'applied: the new versions');
  t.same(
    new Map([...tn.sets].map(([k, v]) => [k, v.toString('hex')])),
    new Map([
      [hex(layout.accountKey('a0')), hex(encodeAmount(70))],
      [hex(layout.accountKey('a1')), hex(encodeAmount(35))],
      [hex(layout.versionKey('a0')), hex(encodeAmount(4))],
      [hex(layout.versionKey('a1')), hex(encodeAmount(9))],
      [hex(layout.ledgerKey('x1')), hex(layout.encodeEntry(tr))],
    ]),
    'both balances, both versions (old + 1) and the ledger key',
  );
  t.same(
    tn.reads,
    new Set([hex(layout.ledgerKey('x1')), ...['a0', 'a1'].flatMap((id) => [hex(layout.accountKey(id)), hex(layout.versionKey(id))])]),
    'all five reads are conflict reads',
  );

  ({ cluster, layout } = seeded({ a0: 100, a1: 5 }));
  tn = new FakeTxn(cluster);
  t.same(await transferAttempt(tn, layout, tr), { result: 'ok', versions: { a0: 1, a1: 1 } }, 'no version keys (data from before versions): 0, so 1 after');
  t.equal(decodeAmount(tn.sets.get(hex(layout.versionKey('a0')))!), 1, 'and written');
});

/** One transfer through the retry loop on the fake cluster: its outcome, retries and final error. */
async function run(cluster: FakeCluster, layout: Layout, tr: Transfer) {
  const track = new CallTrack();
  const tn = new FakeTxn(cluster);
  try {
    const { result, versions } = await runAttempts(tn, track, () => transferAttempt(tn, layout, tr, track));
    return { outcome: result as string, retries: track.retries, versions, error: undefined as unknown };
  } catch (err) {
    return { outcome: classifyWrite(err, track).kind as string, retries: track.retries, versions: undefined, error: err };
  }
}

t.test('no server: commit_unknown_result is retried and answered from the ledger', async (t) => {
  const tr: Transfer = { id: 'u1', from: 'a0', to: 'a1', amount: 10 };

  let { cluster, layout } = seeded({ a0: 100, a1: 0 });
  cluster.commitFaults.push({ code: 1021, apply: true });
  let r = await run(cluster, layout, tr);
  t.same([r.outcome, r.retries], ['ok', 1], 'it did land: the retry finds the ledger key');
  t.equal(r.versions, undefined, 'so no versions: the ledger, not this attempt, says it applied');
  t.equal(cluster.commits, 1, 'applied once, not twice');
  t.equal(decodeAmount(cluster.data.get(hex(layout.accountKey('a0')))!), 90);

  ({ cluster, layout } = seeded({ a0: 100, a1: 0 }));
  cluster.commitFaults.push({ code: 1021, apply: false });
  r = await run(cluster, layout, tr);
  t.same([r.outcome, r.retries], ['ok', 1], 'it did not land: the retry applies it');
  t.same(r.versions, { a0: 1, a1: 1 }, 'with the versions it left');
  t.equal(cluster.commits, 1);

  ({ cluster, layout } = seeded({ a0: 100, a1: 0 }));
  cluster.commitFaults.push({ code: 1021, apply: false });
  cluster.readFaults.push(0, 0, 0, 0, 0, 1031); // the retry times out before it reads the ledger
  r = await run(cluster, layout, tr);
  t.same([r.outcome, fdbCode(r.error)], ['indeterminate', 1031], '1021, then no ledger read: nobody knows whether it landed');

  ({ cluster, layout } = seeded({ a0: 100, a1: 0 }));
  cluster.commitFaults.push({ code: 1021, apply: false }, { code: 1020, apply: false });
  cluster.onErrorFaults.push(0, 1031); // the timeout strikes in the backoff after the conflict
  r = await run(cluster, layout, tr);
  t.same([r.outcome, r.retries], ['definite', 1], '1021 settled by a ledger read, then a conflict: certainly not applied');
  t.equal(cluster.commits, 0);
});

t.test('no server: a timeout ends the call, classified by where it struck', async (t) => {
  const tr: Transfer = { id: 'w1', from: 'a0', to: 'a1', amount: 10 };

  let { cluster, layout } = seeded({ a0: 100, a1: 0 });
  cluster.readFaults.push(1031);
  let r = await run(cluster, layout, tr);
  t.equal(r.outcome, 'definite', 'timed out while reading: the commit was never sent');

  ({ cluster, layout } = seeded({ a0: 100, a1: 0 }));
  cluster.commitFaults.push({ code: 1031, apply: true });
  r = await run(cluster, layout, tr);
  t.equal(r.outcome, 'indeterminate', 'timed out during the commit (here it did land)');

  ({ cluster, layout } = seeded({ a0: 100, a1: 0 }));
  cluster.commitFaults.push({ code: 1020, apply: false }, { code: 1020, apply: false });
  r = await run(cluster, layout, tr);
  t.same([r.outcome, r.retries], ['ok', 2], 'conflicts are retried and counted');

  ({ cluster, layout } = seeded({ a0: 100, a1: 0 }));
  cluster.commitFaults.push({ code: 1020, apply: false });
  cluster.onErrorFaults.push(1020); // retry limit reached: onError rethrows the conflict
  r = await run(cluster, layout, tr);
  t.same([r.outcome, r.retries], ['definite', 0], 'giving up on a conflict is definite');
});

// ---- the whole store on the stand-in --------------------------------------------------------

t.test('no server: the store contract on an in-memory optimistic stand-in', (t) => {
  const cluster = new FakeCluster();
  return storeContract(t, async () => fakeStore(cluster));
});

t.test('no server: retries are counted per call and in total, and reach the error', async (t) => {
  const cluster = new FakeCluster();
  const s = fakeStore(cluster);
  t.ok(isCountingStore(s));
  await s.setup(accounts(2, 100));
  cluster.commitFaults.push({ code: 1020, apply: false }, { code: 1021, apply: true });
  t.same(await s.transferCounted({ id: 'c1', from: 'a0', to: 'a1', amount: 5 }), { result: 'ok', retries: 2 });
  cluster.readFaults.push(1007, 0, 0, 0, 0, 1031); // five reads per attempt
  const err = await s.transferCounted({ id: 'c2', from: 'a0', to: 'a1', amount: 5 }).catch((e) => e);
  t.type(err, DefiniteError, 'transaction_too_old, then a timeout while reading');
  t.equal(retriesOf(err), 1, 'the error carries its retries');
  t.equal(s.retries(), 3, 'the store adds up every call');
  t.same(await s.audit(), { balances: { a0: 95, a1: 105 }, transfers: ['c1'] });
  await s.close();
  t.equal(await outcomeOf(s.read()), 'definite', 'a closed store refuses definitely');
  t.equal(await outcomeOf(s.transfer({ id: 'c3', from: 'a0', to: 'a1', amount: 1 })), 'definite');
});

t.test('no server: per-account versions for the realtime-read check', async (t) => {
  const cluster = new FakeCluster();
  const s = fakeStore(cluster);
  const layout = new Layout(codec, '');
  await s.setup({ a: 100, b: 0, c: 0 });
  t.same(await s.readVersioned(), { balances: { a: 100, b: 0, c: 0 }, versions: { a: 0, b: 0, c: 0 } }, 'setup: every account at version 0');

  t.same(await s.transferCounted({ id: 'v1', from: 'a', to: 'b', amount: 10 }), { result: 'ok', retries: 0, versions: { a: 1, b: 1 } }, 'applied: with the versions it left');
  t.same(await s.transferCounted({ id: 'v1', from: 'a', to: 'b', amount: 10 }), { result: 'ok', retries: 0 }, 'sent again: ok, and no versions (applied before)');
  t.same(await s.transferCounted({ id: 'v2', from: 'b', to: 'c', amount: 1000 }), { result: 'insufficient', retries: 0 }, 'insufficient: no versions');
  t.same(await s.transferCounted({ id: 'v3', from: 'b', to: 'c', amount: 4 }), { result: 'ok', retries: 0, versions: { b: 2, c: 1 } });
  t.same(await s.readVersioned(), { balances: { a: 90, b: 6, c: 4 }, versions: { a: 1, b: 2, c: 1 } }, 'one snapshot: balances and versions agree with the transfers');
  t.same(await s.read(), { a: 90, b: 6, c: 4 }, 'read gives the same balances');

  cluster.commitFaults.push({ code: 1021, apply: true });
  t.same(await s.transferCounted({ id: 'v4', from: 'a', to: 'c', amount: 1 }), { result: 'ok', retries: 1 }, 'landed, answer lost, found in the ledger: no versions');
  t.same((await s.readVersioned()).versions, { a: 2, b: 2, c: 2 }, 'but its versions are in the store');

  // Data from before versions existed: a missing version key counts as 0.
  cluster.data.delete(hex(layout.versionKey('c')));
  t.same((await s.readVersioned()).versions, { a: 2, b: 2, c: 0 }, 'a missing version key reads as 0');
  t.same((await s.transferCounted({ id: 'v5', from: 'a', to: 'c', amount: 1 })).versions, { a: 3, c: 1 }, 'and a transfer writes 1');

  await s.setup({ a: 100, b: 0, c: 0 });
  t.same(await s.readVersioned(), { balances: { a: 100, b: 0, c: 0 }, versions: { a: 0, b: 0, c: 0 } }, 'setup resets the versions');
  await s.setup({ a: 100, b: 0, c: 0 });
  t.same(await s.readVersioned(), { balances: { a: 100, b: 0, c: 0 }, versions: { a: 0, b: 0, c: 0 } }, 'and is idempotent');
  await s.setup({ x: 5 });
  t.same(await s.readVersioned(), { balances: { x: 5 }, versions: { x: 0 } }, "a new bank keeps no old account's version");
  t.same(cluster.range(...Object.values(layout.range('ver')) as [Buffer, Buffer]).length, 1, 'one version key left');
  t.same((await s.audit()).transfers, [], 'audit unchanged: the ledger only');
});

t.test('no server: runs are kept apart', async (t) => {
  const cluster = new FakeCluster();
  const [a, b] = [fakeStore(cluster, 'r1'), fakeStore(cluster, 'r10')];
  await a.setup({ x: 1 });
  await b.setup({ y: 2 });
  await a.setup({ x: 1 });
  t.same(await a.read(), { x: 1 });
  t.same(await b.read(), { y: 2 }, "r1's setup did not clear r10");
});

t.test('no server: reads retry what onError retries and classify the rest', async (t) => {
  const cluster = new FakeCluster();
  const s = fakeStore(cluster);
  await s.setup({ a: 1 });
  const tn = cluster.db().rawCreateTransaction();
  t.ok(tn instanceof FakeTxn);
  const track = new CallTrack();
  let failures = 1;
  const value = await runAttempts(tn, track, async () => {
    if (failures-- > 0) throw new FakeFdbError(1007);
    return 'read';
  });
  t.same([value, track.retries], ['read', 1], 'transaction_too_old is retried');
  const err = await runAttempts(tn, new CallTrack(), async () => {
    throw new FakeFdbError(1031);
  }).catch((e) => e);
  t.type(classifyRead(err), IndeterminateError, 'a read timeout is indeterminate');
});

// ---- config and loading --------------------------------------------------------------------

t.test('no server: config is validated before the client is loaded', async (t) => {
  const o = parseConfig({});
  t.same([o.apiVersion, o.timeoutMs, o.run, o.clusterFile, o.clusterFileContents], [720, 4000, '', undefined, undefined], 'defaults');
  t.equal(parseConfig({ clusterFileContents: ' docker:docker@10.77.0.11:4500,10.77.0.12:4500 \n' }).clusterFileContents, 'docker:docker@10.77.0.11:4500,10.77.0.12:4500');
  t.ok(parseConfig({ clusterFileContents: 'db_1:Ab3@[::1]:4500:tls,fdb-2:4500' }), 'IPv6, TLS and host names');
  const bad: Record<string, string>[] = [
    { clusterFile: '/etc/foundationdb/fdb.cluster', clusterFileContents: 'docker:docker@10.77.0.11:4500' },
    { clusterFile: ' ' },
    { clusterFileContents: '10.77.0.11:4500' },
    { clusterFileContents: 'docker:docker@10.77.0.11' },
    { clusterFileContents: 'docker:docker@10.77.0.11:4500 10.77.0.12:4500' },
    { apiVersion: '730' },
    { apiVersion: '600' },
    { apiVersion: 'latest' },
    { timeoutMs: 'soon' },
    { timeoutMs: '1.5' },
    { timeoutMs: '0' },
    { run: 'a/b' },
  ];
  for (const config of bad) {
    const err = await create(config).catch((e) => e);
    t.type(err, DefiniteError, JSON.stringify(config));
    t.match(err.message, /config/, 'named as a config error, not a missing library');
  }
});

t.test('no server: each way loading the client can fail gets a plain explanation', async (t) => {
  const notFound = Object.assign(new Error("Cannot find package 'foundationdb' imported from /x/adapters/foundationdb.ts"), { code: 'ERR_MODULE_NOT_FOUND' });
  t.match(missingClientMessage(notFound), /npm package "foundationdb" is not installed/);
  const noLib = Object.assign(new Error('libfdb_c.so: cannot open shared object file: No such file or directory'), { code: 'ERR_DLOPEN_FAILED' });
  t.match(missingClientMessage(noLib), /libfdb_c\.so is missing/);
  t.match(missingClientMessage(new Error('No native build was found for platform=linux arch=arm64 runtime=node abi=115')), /no prebuilt binding/);
  t.match(missingClientMessage(new Error('something else\n    at x (y.js:1:1)')), /could not load the client \(something else\)/);
  for (const err of [notFound, noLib]) {
    const m = missingClientMessage(err);
    t.match(m, /7\.3/, 'names the client version');
    t.match(m, /foundationdb-clients/, 'names the package');
    t.match(m, /\/usr\/lib\/libfdb_c\.so/, 'and the file the API node image copies');
    t.notMatch(m, /\n/, 'one line, no stack');
  }
});

const LIB_DIRS = ['/usr/lib', '/usr/lib64', '/usr/local/lib', ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)];
const libfdbPresent = LIB_DIRS.some((d) => existsSync(path.join(d, 'libfdb_c.so')));

t.test('no server: create() says what to install when libfdb_c is missing', { skip: libfdbPresent ? 'libfdb_c.so is installed here' : false }, async (t) => {
  const temps = () => readdirSync(tmpdir()).filter((f) => f.startsWith('bankrun-fdb-')).length;
  const before = temps();
  for (let i = 0; i < 2; i++) {
    const err = await create({ clusterFileContents: 'docker:docker@127.0.0.1:4500' }).catch((e) => e);
    t.type(err, DefiniteError, `attempt ${i + 1}: a definite error, not a crash`);
    t.match(err.message, /libfdb_c\.so is missing/);
    t.match(err.message, /FoundationDB client package 7\.3\.x/);
    t.match(err.message, /copy \/usr\/lib\/libfdb_c\.so from the foundationdb\/foundationdb:7\.3\.x server image/);
    t.notMatch(err.message, /\n\s+at /, 'no stack trace in the message');
  }
  t.equal(temps(), before, 'no cluster file was left behind');
});
