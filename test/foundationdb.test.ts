// The FoundationDB adapter on an in-memory stand-in, without a server: the transfer body on a
// fake transaction, the retry loop and what a doubtful commit lets a call answer, and the whole
// store. Keys and values: foundationdb-encoding.test.ts; the error table:
// foundationdb-errors.test.ts; config and loading the client: foundationdb-client.test.ts.
import t from 'tap';
// The tuple layer the `foundationdb` package uses (its dependency, pure JavaScript).
import * as tuple from 'fdb-tuple';
import { CallTrack, classifyWrite, runAttempts } from '../adapters/foundationdb/attempts.ts';
import type { FdbTxn, KvTxn, TupleCodec } from '../adapters/foundationdb/client.ts';
import { parseConfig } from '../adapters/foundationdb/config.ts';
import { decodeAmount, encodeAmount, Layout } from '../adapters/foundationdb/encoding.ts';
import { classifyRead, FDB_ERRORS, fdbCode } from '../adapters/foundationdb/errors.ts';
import { FdbBankStore } from '../adapters/foundationdb/store.ts';
import { runTransfer, transferAttempt } from '../adapters/foundationdb/transfer.ts';
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
  /** Run by onError before each retry, in order (undefined: none): what other clients do meanwhile. */
  beforeRetry: ((() => Promise<unknown>) | undefined)[] = [];

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
    await this.cluster.beforeRetry.shift()?.();
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

/** One transfer as transferCounted runs it, on the fake cluster: its outcome, retries and final error. */
async function run(cluster: FakeCluster, layout: Layout, tr: Transfer) {
  const track = new CallTrack();
  const tn = new FakeTxn(cluster);
  try {
    const { result, versions } = await runTransfer(tn, layout, tr, track);
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

// cluster_version_changed (1039) is FDB_ERROR_PREDICATE_MAYBE_COMMITTED, like 1021
// (fdb_error_predicate, bindings/c/fdb_c.cpp in apple/foundationdb release-7.3), but nothing fences
// it: the multi-version client gives up on the commit's future when it switches protocol
// (abortableFuture(f, tr.onChange) in MultiVersionTransaction::executeOperation,
// fdbclient/MultiVersionTransaction.actor.cpp) while the commit itself may be in flight, and
// MultiVersionTransaction::onError retries at once; node-foundationdb's doTransaction loop
// (Transaction._exec, lib/transaction.ts in josephg/node-foundationdb) then runs the body again.
// The stand-in plays that abandoned commit as not applied or applied (it cannot hold one in
// flight), and another client's transfer during the backoff. 'insufficient' would say the
// transfer never applied, which the client cannot know after 1039: only 'ok' from the ledger row,
// or indeterminate, may answer.
t.test('no server: after a commit that may still land, insufficient funds are not an answer', async (t) => {
  const tr: Transfer = { id: 'm1', from: 'a0', to: 'a1', amount: 60 };
  const drain: Transfer = { id: 'd1', from: 'a0', to: 'a2', amount: 50 };

  // The 1039 commit did not apply (as far as anyone can see yet); another transfer drains a0
  // during the backoff, so the retry sees 40 < 60.
  let { cluster, layout } = seeded({ a0: 100, a1: 0, a2: 0 });
  cluster.commitFaults.push({ code: 1039, apply: false });
  cluster.beforeRetry.push(async () => t.equal((await run(cluster, layout, drain)).outcome, 'ok', 'another transfer drains a0 meanwhile'));
  let r = await run(cluster, layout, tr);
  t.same([r.outcome, r.retries], ['indeterminate', 1], '1039, then insufficient funds: indeterminate, not insufficient');
  t.match(r.error, { constructor: IndeterminateError, message: /cluster_version_changed/ }, 'an IndeterminateError naming the doubtful commit');

  // The 1039 commit did land: the retry finds a0 too poor for the transfer, because the transfer
  // itself spent it, and the ledger row, read first, answers.
  ({ cluster, layout } = seeded({ a0: 100, a1: 0, a2: 0 }));
  cluster.commitFaults.push({ code: 1039, apply: true });
  r = await run(cluster, layout, tr);
  t.same([r.outcome, r.retries], ['ok', 1], '1039 and it landed: the ledger row answers ok');
  t.equal(cluster.commits, 1, 'applied once');
  t.equal(decodeAmount(cluster.data.get(hex(layout.accountKey('a0')))!), 40, 'which is why a0 now has too little for it');

  // The first case through transferCounted, as the API node calls it.
  cluster = new FakeCluster();
  const s = fakeStore(cluster);
  await s.setup({ a0: 100, a1: 0, a2: 0 });
  cluster.commitFaults.push({ code: 1039, apply: false });
  cluster.beforeRetry.push(async () => t.same(await s.transferCounted(drain), { result: 'ok', retries: 0, versions: { a0: 1, a2: 1 } }));
  const err = await s.transferCounted(tr).catch((e) => e);
  t.type(err, IndeterminateError, 'transferCounted: indeterminate, never insufficient');
  t.equal(retriesOf(err), 1, 'and carries its retry');
  t.same(await s.audit(), { balances: { a0: 50, a1: 0, a2: 50 }, transfers: ['d1'] });

  // Doubt also outlives a later conflict: 1039, then 1020, then the retry reads insufficient.
  ({ cluster, layout } = seeded({ a0: 100, a1: 0, a2: 0 }));
  cluster.commitFaults.push({ code: 1039, apply: false }, { code: 1020, apply: false });
  cluster.beforeRetry.push(undefined, async () => t.equal((await run(cluster, layout, drain)).outcome, 'ok', 'drained after the conflict'));
  r = await run(cluster, layout, tr);
  t.same([r.outcome, r.retries], ['indeterminate', 2], '1039, a conflict, then insufficient: still indeterminate');
});

// commit_unknown_result (1021) is fenced: before NativeAPI's tryCommit throws it, it commits a
// dummy transaction that conflicts with the unknown one (commitDummyTransaction, in the catch of
// tryCommit, fdbclient/NativeAPI.actor.cpp, apple/foundationdb release-7.3), so that commit can no
// longer land; the retry's read version comes after the dummy's commit, and an absent ledger row
// proves the first attempt never applied. Insufficient funds then are a true answer.
t.test('no server: after commit_unknown_result, a ledger read settles it', async (t) => {
  const tr: Transfer = { id: 'k1', from: 'a0', to: 'a1', amount: 60 };
  const drain: Transfer = { id: 'd1', from: 'a0', to: 'a2', amount: 50 };
  const { cluster, layout } = seeded({ a0: 100, a1: 0, a2: 0 });
  cluster.commitFaults.push({ code: 1021, apply: false });
  cluster.beforeRetry.push(async () => t.equal((await run(cluster, layout, drain)).outcome, 'ok', 'another transfer drains a0 meanwhile'));
  const r = await run(cluster, layout, tr);
  t.same([r.outcome, r.retries], ['insufficient', 1], 'no ledger row after the fence: certainly not applied, and now too poor');
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
