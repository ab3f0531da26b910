// The YDB adapter as a whole without a YDB server: against nothing listening, and against a
// small fake of YDB's Query service on loopback (grpc-js), which emulates our statements with
// optimistic locks and can answer a commit with any status, hang, or drop the connection. Its
// pure parts are tested in test/ydb-errors.test.ts and test/ydb-parts.test.ts.
import t from 'tap';
import { Server, ServerCredentials, type ServerUnaryCall, type ServerWritableStream, type ServiceDefinition, type sendUnaryData } from '@grpc/grpc-js';
import { StatusIds_StatusCode as S } from '@ydbjs/api/operation';
import { QueryServiceDefinition, type ExecuteQueryRequest } from '@ydbjs/api/query';
import { YDBError } from '@ydbjs/error';
import { fromYdb, toJs } from '@ydbjs/value';
import { Optional, OptionalType } from '@ydbjs/value/optional';
import { Int64, Int64Type, Utf8, Utf8Type, Int32, Int32Type } from '@ydbjs/value/primitive';
import { create, parseConfig, YdbBankStore } from '../adapters/ydb.ts';
import { LEDGER_CHUNK, yqlFor } from '../adapters/ydb/yql.ts';
import { DefiniteError, IndeterminateError, isCountingStore, retriesOf, type Transfer } from '../lib/store.ts';
import { retryUntil } from '../lib/retry.ts';
import { freePort } from '../lib/runtime/local-processes.ts';
import { accounts, applyLedger, outcomeOf, storeContract, total } from './helpers/store-contract.ts';

// ---- nothing listening ---------------------------------------------------------------------

t.test('no server: an unreachable loopback endpoint fails definitely within the deadline', async (t) => {
  const endpoint = `grpc://127.0.0.1:${await freePort()}/Root/testdb`;
  const started = Date.now();
  const s = await create({ endpoint, timeoutMs: '1500' });
  t.ok(Date.now() - started < 1000, 'create() does not wait for the node: the API node must start while its node is down');
  const calls: [string, () => Promise<unknown>][] = [
    ['ping', () => s.ping()],
    ['setup', () => s.setup({ a: 1 })],
    ['transfer', () => s.transfer({ id: 'nope', from: 'a', to: 'b', amount: 1 })],
    ['read', () => s.read()],
    ['audit', () => s.audit()],
  ];
  for (const [name, call] of calls) {
    const t0 = Date.now();
    const err = await call().then(() => undefined, (e: unknown) => e);
    t.type(err, DefiniteError, `${name}: definite`);
    t.ok(Date.now() - t0 < 1500 + 500, `${name}: within the deadline (${Date.now() - t0} ms)`);
    t.match((err as Error).message, endpoint, `${name}: the message names the endpoint`);
    t.match((err as Error).message, /No connection established/, `${name}: and says why`);
  }
  await s.close();
  t.equal(await outcomeOf(s.read()), 'definite', 'after close');
});

// ---- a fake Query service -------------------------------------------------------------------

interface LedgerRow {
  src: string;
  dst: string;
  amount: bigint;
}

/** What the fake does instead of answering normally. */
type Action =
  | { status: S; apply?: boolean } // answer this status (after applying the writes, if asked)
  | { hang: true } // never answer
  | { drop: true; apply: boolean }; // stop the server mid-call

interface Request {
  text: string;
  params: Record<string, unknown>;
  commit: boolean;
}

class FakeYdb {
  readonly accounts = new Map<string, bigint>();
  /** The accounts' `version` column (not the lock versions below). */
  readonly accountVersions = new Map<string, bigint>();
  readonly ledger = new Map<string, LedgerRow>();
  /** Optimistic locks: a version per key; a commit fails if anything it read has moved. */
  private readonly versions = new Map<string, number>();
  private readonly txs = new Map<string, Map<string, number>>();
  readonly modes: string[] = [];
  readonly texts: string[] = [];
  sessionsCreated = 0;
  hook?: (r: Request) => Action | undefined;
  private server?: Server;
  private readonly attached = new Set<ServerWritableStream<unknown, unknown>>();
  private seq = 0;
  port = 0;

  constructor(readonly yql = yqlFor('')) {}

  get endpoint(): string {
    return `grpc://127.0.0.1:${this.port}/Root/testdb`;
  }

  async start(port = 0): Promise<void> {
    const server = new Server();
    // grpc-js wants methods only (the definition also has name and fullName) and a Buffer from
    // responseSerialize (it calls .copy on it; protobuf-es gives a Uint8Array).
    const methods = Object.fromEntries(
      Object.entries(QueryServiceDefinition)
        .filter(([, m]) => typeof m === 'object' && 'path' in m)
        .map(([name, m]) => {
          const serialize = (m as { responseSerialize: (v: never) => Uint8Array }).responseSerialize;
          return [name, { ...(m as object), responseSerialize: (v: never) => Buffer.from(serialize(v)) }];
        }),
    );
    server.addService(methods as unknown as ServiceDefinition, {
      createSession: (_: ServerUnaryCall<unknown, unknown>, done: sendUnaryData<unknown>) => {
        this.sessionsCreated++;
        done(null, { status: S.SUCCESS, issues: [], sessionId: `s${++this.seq}`, nodeId: 1n });
      },
      attachSession: (call: ServerWritableStream<unknown, unknown>) => {
        this.attached.add(call);
        call.on('cancelled', () => this.attached.delete(call));
        call.write({ status: S.SUCCESS, issues: [] });
      },
      deleteSession: (_: ServerUnaryCall<unknown, unknown>, done: sendUnaryData<unknown>) => done(null, { status: S.SUCCESS, issues: [] }),
      rollbackTransaction: (call: ServerUnaryCall<{ txId: string }, unknown>, done: sendUnaryData<unknown>) => {
        this.txs.delete(call.request.txId);
        done(null, { status: S.SUCCESS, issues: [] });
      },
      executeQuery: (call: ServerWritableStream<ExecuteQueryRequest, unknown>) => this.execute(call),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.server = server;
  }

  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }

  /** Ends every session's attach stream, as a node does when it drops its sessions. */
  endSessions(): void {
    for (const call of this.attached) call.end();
    this.attached.clear();
  }

  private execute(call: ServerWritableStream<ExecuteQueryRequest, unknown>): void {
    const req = call.request;
    const text = req.query.case === 'queryContent' ? req.query.value.text : '';
    const params = Object.fromEntries(Object.entries(req.parameters).map(([k, v]) => [k, toJs(fromYdb(v.value!, v.type!))]));
    const sel = req.txControl?.txSelector;
    let txId: string | undefined;
    if (sel?.case === 'beginTx') {
      txId = `tx${++this.seq}`;
      this.txs.set(txId, new Map());
      this.modes.push(String(sel.value.txMode.case));
    } else if (sel?.case === 'txId') {
      txId = sel.value;
      if (!this.txs.has(txId)) return this.answer(call, [], undefined, S.NOT_FOUND);
    }
    const commit = req.txControl?.commitTx ?? false;
    this.texts.push(text);
    const action = this.hook?.({ text, params, commit });
    if (action && 'hang' in action) return;
    if (action && 'drop' in action) {
      if (action.apply) this.run(text, params, txId, commit);
      return this.stop();
    }
    if (action && !action.apply) return this.answer(call, [], txId, action.status);
    let sets: ResultSet[];
    try {
      sets = this.run(text, params, txId, commit);
    } catch (err) {
      return this.answer(call, [], txId, err instanceof YDBError ? err.code : S.GENERIC_ERROR);
    }
    this.answer(call, sets, txId, action?.status ?? S.SUCCESS);
  }

  private answer(call: ServerWritableStream<ExecuteQueryRequest, unknown>, sets: ResultSet[], txId: string | undefined, status: S): void {
    const txMeta = txId ? { id: txId } : undefined;
    if (status !== S.SUCCESS || sets.length === 0) {
      call.write({ status, issues: status === S.SUCCESS ? [] : [{ message: `fake ${YDBError.codes[status]}`, severity: 1 }], resultSetIndex: 0n, txMeta });
    } else {
      sets.forEach((rs, i) => call.write({ status, issues: [], resultSetIndex: BigInt(i), resultSet: rs, txMeta: i === 0 ? txMeta : undefined }));
    }
    call.end();
  }

  /** Our statements, emulated; anything else is refused (so a changed statement shows up). */
  private run(text: string, p: Record<string, unknown>, txId: string | undefined, commit: boolean): ResultSet[] {
    const y = this.yql;
    const reads = txId ? this.txs.get(txId)! : new Map<string, number>();
    const read = (key: string) => reads.set(key, this.versions.get(key) ?? 0);
    const bump = (key: string) => this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
    if (commit && txId) this.txs.delete(txId);
    switch (text) {
      case y.createAccounts:
      case y.createLedger:
        return [];
      case y.ledgerChunk:
        return [rows([['id', str]], [...this.ledger.keys()].slice(0, LEDGER_CHUNK).map((id) => [id]))];
      case y.deleteLedger:
        for (const { id } of p.$ids as { id: string }[]) this.ledger.delete(id);
        return [];
      case y.resetAccounts: {
        const keep = new Set(p.$ids as string[]);
        for (const id of [...this.accounts.keys()]) {
          if (!keep.has(id)) {
            this.accounts.delete(id);
            this.accountVersions.delete(id);
          }
        }
        for (const { id, balance, version } of p.$accounts as { id: string; balance: bigint; version: bigint }[]) {
          this.accounts.set(id, balance);
          this.accountVersions.set(id, version);
        }
        return [];
      }
      case y.transferRead: {
        const [id, src, dst] = [p.$id, p.$src, p.$dst] as string[];
        [`l:${id}`, `a:${src}`, `a:${dst}`].forEach(read);
        const entry = this.ledger.get(id!);
        const accts = [src!, dst!].filter((a) => this.accounts.has(a));
        return [
          rows([['src', str], ['dst', str], ['amount', i64]], entry ? [[entry.src, entry.dst, entry.amount]] : []),
          rows([['id', str], ['balance', i64], ['version', i64]], accts.map((a) => [a, this.accounts.get(a)!, this.accountVersions.get(a)!])),
        ];
      }
      case y.transferWrite: {
        const [id, src, dst] = [p.$id, p.$src, p.$dst] as string[];
        for (const [key, v] of reads) if ((this.versions.get(key) ?? 0) !== v) throw new YDBError(S.ABORTED, []);
        this.accounts.set(src!, p.$src_balance as bigint);
        this.accounts.set(dst!, p.$dst_balance as bigint);
        this.accountVersions.set(src!, p.$src_version as bigint);
        this.accountVersions.set(dst!, p.$dst_version as bigint);
        this.ledger.set(id!, { src: src!, dst: dst!, amount: p.$amount as bigint });
        [`l:${id}`, `a:${src}`, `a:${dst}`].forEach(bump);
        return [];
      }
      case y.read:
        return [rows([['id', str], ['balance', i64], ['version', i64]], [...this.accounts].map(([a, b]) => [a, b, this.accountVersions.get(a)!]))];
      case y.audit:
        return [
          rows([['id', str], ['balance', i64]], [...this.accounts].map(([a, b]) => [a, b])),
          rows([['id', str]], [...this.ledger.keys()].map((id) => [id])),
        ];
      case y.ping:
        return [{ columns: [{ name: 'one', type: new Int32Type().encode() }], rows: [{ items: [new Int32(1).encode()] }] }];
      default:
        throw new YDBError(S.BAD_REQUEST, []);
    }
  }
}

type ResultSet = { columns: { name: string; type: unknown }[]; rows: { items: unknown[] }[] };
const str = { type: () => new OptionalType(new Utf8Type()), value: (v: unknown) => new Optional(new Utf8(v as string)) };
const i64 = { type: () => new OptionalType(new Int64Type()), value: (v: unknown) => new Optional(new Int64(v as bigint)) };

/** A result set with nullable columns, as YDB gives them for tables declared without NOT NULL. */
function rows(columns: [string, typeof str][], data: unknown[][]): ResultSet {
  return {
    columns: columns.map(([name, c]) => ({ name, type: c.type().encode() })),
    rows: data.map((r) => ({ items: r.map((v, i) => columns[i]![1].value(v).encode()) })),
  };
}

t.test('no server: against a fake Query service on loopback', async (t) => {
  const fake = new FakeYdb();
  await fake.start();
  t.teardown(() => fake.stop());
  const open = async (extra: Record<string, string> = {}) => {
    const s = (await create({ endpoint: fake.endpoint, ...extra })) as YdbBankStore;
    t.teardown(() => s.close());
    return s;
  };
  t.beforeEach(() => {
    fake.hook = undefined;
  });

  t.test('the shared store contract', (t) => storeContract(t, () => create({ endpoint: fake.endpoint, timeoutMs: '10000' })));

  t.test('reads use the configured transaction mode; audit a snapshot; transfers serializable', async (t) => {
    for (const [reads, mode] of [['serializable', 'serializableReadWrite'], ['snapshot', 'snapshotReadOnly'], ['stale', 'staleReadOnly']] as const) {
      const s = await open({ readMode: reads });
      await s.setup({ a: 1 });
      fake.modes.length = 0;
      t.same(await s.read(), { a: 1 });
      t.same(await s.readVersioned(), { balances: { a: 1 }, versions: { a: 0 } });
      t.same(fake.modes, [mode, mode], `reads=${reads}: read and readVersioned`);
    }
    const s = await open({ reads: 'stale' });
    fake.modes.length = 0;
    await s.audit();
    t.same(fake.modes, ['snapshotReadOnly'], 'audit, whatever reads says');
    await s.setup({ a: 2, b: 0 });
    fake.modes.length = 0;
    await s.transfer({ id: 'm-1', from: 'a', to: 'b', amount: 1 });
    t.same(fake.modes, ['serializableReadWrite'], 'transfer');
  });

  t.test('sessions are reused, and one whose attach stream ended is not', async (t) => {
    const s = await open();
    await s.setup({ a: 10, b: 0 });
    const before = fake.sessionsCreated;
    for (let i = 0; i < 5; i++) await s.transfer({ id: `reuse-${i}`, from: 'a', to: 'b', amount: 1 });
    t.equal(fake.sessionsCreated, before, 'five sequential transfers on the pooled session');
    fake.endSessions();
    await new Promise((r) => setTimeout(r, 50));
    t.equal(await s.transfer({ id: 'reuse-x', from: 'a', to: 'b', amount: 1 }), 'ok');
    t.equal(fake.sessionsCreated, before + 1, 'a new session after the old one ended');
  });

  t.test('versions: one more per applied transfer, reported once, read with the balances, reset by setup', async (t) => {
    const s = await open();
    await s.setup({ a: 100, b: 0, c: 5 });
    t.same(await s.readVersioned(), { balances: { a: 100, b: 0, c: 5 }, versions: { a: 0, b: 0, c: 0 } }, 'setup: every account at version 0');
    t.same(await s.transferCounted({ id: 'v-1', from: 'a', to: 'b', amount: 10 }), { result: 'ok', retries: 0, versions: { a: 1, b: 1 } }, 'applied: with the versions it left');
    t.same(await s.transferCounted({ id: 'v-1', from: 'a', to: 'b', amount: 10 }), { result: 'ok', retries: 0 }, 'sent again: ok, no versions (applied before)');
    t.same(await s.transferCounted({ id: 'v-2', from: 'b', to: 'c', amount: 3 }), { result: 'ok', retries: 0, versions: { b: 2, c: 1 } });
    t.same(await s.transferCounted({ id: 'v-3', from: 'c', to: 'a', amount: 1000 }), { result: 'insufficient', retries: 0 }, 'insufficient: nothing moved, no versions');
    t.same(await s.readVersioned(), { balances: { a: 90, b: 7, c: 8 }, versions: { a: 1, b: 2, c: 1 } }, 'one snapshot: balances and versions agree with the transfers');
    t.same(await s.read(), { a: 90, b: 7, c: 8 }, 'read() is the same query without the versions');
    t.same([...fake.accountVersions].sort(), [['a', 1n], ['b', 2n], ['c', 1n]], 'stored as Int64');
    await s.setup({ a: 100, b: 0 });
    t.same(await s.readVersioned(), { balances: { a: 100, b: 0 }, versions: { a: 0, b: 0 } }, 'setup resets them (and drops c)');
    t.same(await s.transferCounted({ id: 'v-1', from: 'a', to: 'b', amount: 10 }), { result: 'ok', retries: 0, versions: { a: 1, b: 1 } }, 'the ledger was emptied too: v-1 applies again');
  });

  t.test('UNDETERMINED on a commit that applied: the retry finds the ledger row, applied once', async (t) => {
    const s = await open();
    await s.setup({ a: 100, b: 0 });
    let commits = 0;
    fake.hook = (r) => (r.commit && r.text === fake.yql.transferWrite && commits++ === 0 ? { status: S.UNDETERMINED, apply: true } : undefined);
    const out = await s.transferCounted({ id: 'u-1', from: 'a', to: 'b', amount: 30 });
    t.same(out, { result: 'ok', retries: 1 }, 'no versions: the earlier attempt applied it, not this one');
    t.equal(commits, 1, 'the retry did not commit again');
    t.same(await s.readVersioned(), { balances: { a: 70, b: 30 }, versions: { a: 1, b: 1 } }, 'the versions moved once');
    t.same(await s.audit(), { balances: { a: 70, b: 30 }, transfers: ['u-1'] });
  });

  t.test('UNDETERMINED on a commit that did not apply: the retry applies it, once', async (t) => {
    const s = await open();
    await s.setup({ a: 100, b: 0 });
    let commits = 0;
    fake.hook = (r) => (r.commit && r.text === fake.yql.transferWrite && commits++ === 0 ? { status: S.UNDETERMINED } : undefined);
    t.same(await s.transferCounted({ id: 'u-2', from: 'a', to: 'b', amount: 30 }), { result: 'ok', retries: 1, versions: { a: 1, b: 1 } }, 'the retry applied it: with its versions');
    t.equal(commits, 2);
    t.same(await s.audit(), { balances: { a: 70, b: 30 }, transfers: ['u-2'] });
  });

  t.test('after a commit with an unknown outcome, only ok settles the call', async (t) => {
    const s = await open();
    await s.setup({ a: 100, b: 0 });
    // The commit does not apply, and meanwhile the money goes elsewhere: the retry finds too
    // little, which cannot prove that the first commit will never land.
    fake.hook = (r) => {
      if (!r.commit || r.text !== fake.yql.transferWrite) return undefined;
      fake.accounts.set('a', 10n);
      return { status: S.TIMEOUT };
    };
    const err = await s.transferCounted({ id: 'u-3', from: 'a', to: 'b', amount: 60 }).catch((e: unknown) => e);
    t.type(err, IndeterminateError, (err as Error).message);
    t.equal(retriesOf(err), 1, 'the retry is counted on the error');
    t.match((err as Error).message, /unknown outcome/);
  });

  // A commit answered by anything but ABORTED may have applied. YDB's status table calls
  // UNAVAILABLE "a part of the system is not available", retryable
  // (https://ydb.tech/docs/en/reference/ydb-sdk/ydb-status-codes#unavailable), and @ydbjs retries
  // it even for a non-idempotent commit (isRetryableError in ydb-js-sdk packages/retry/src/index.ts;
  // YDBError.retryable in packages/error/src/index.ts); yet YDB has answered UNAVAILABLE to commits
  // that did apply: https://github.com/ydb-platform/ydb/issues/14848 (EvWrite: UNAVAILABLE instead
  // of UNDETERMINED) and https://github.com/ydb-platform/ydb/issues/23968 (a lost
  // TEvProposeTransactionAttach: UNAVAILABLE instead of UNDETERMINED). The fake answers as those
  // bugs did.

  t.test('UNAVAILABLE on a commit that applied: the retry finds the ledger row, ok, applied once', async (t) => {
    // ydb#14848 / ydb#23968: the commit applied, the answer was UNAVAILABLE.
    const s = await open();
    await s.setup({ a: 100, b: 0 });
    let commits = 0;
    fake.hook = (r) => (r.commit && r.text === fake.yql.transferWrite && commits++ === 0 ? { status: S.UNAVAILABLE, apply: true } : undefined);
    t.same(await s.transferCounted({ id: 'ua-1', from: 'a', to: 'b', amount: 30 }), { result: 'ok', retries: 1 }, 'ok, without versions: the first attempt applied it');
    t.equal(commits, 1, 'the retry did not commit again');
    t.same(await s.audit(), { balances: { a: 70, b: 30 }, transfers: ['ua-1'] });
  });

  t.test('UNAVAILABLE on a commit, then the retry finds no row and too little money: indeterminate, not insufficient', async (t) => {
    // The client cannot tell the bug's UNAVAILABLE (applied, ydb#14848 / ydb#23968) from a real
    // refusal: a retry that finds no ledger row cannot prove the first commit will never land
    // (ydb-status-codes: UNDETERMINED "either all changes are registered, or the entire
    // transaction is canceled", and UNAVAILABLE stood in for it).
    const s = await open();
    await s.setup({ a: 100, b: 0 });
    fake.hook = (r) => {
      if (!r.commit || r.text !== fake.yql.transferWrite) return undefined;
      fake.accounts.set('a', 10n);
      return { status: S.UNAVAILABLE };
    };
    const err = await s.transferCounted({ id: 'ua-2', from: 'a', to: 'b', amount: 60 }).catch((e: unknown) => e);
    t.type(err, IndeterminateError, (err as Error).message);
    t.equal(retriesOf(err), 1);
  });

  t.test('statuses that answer a commit until the retry budget ends: indeterminate, except ABORTED', async (t) => {
    // Retried statuses (ydb-status-codes: ABORTED, UNAVAILABLE, OVERLOADED, BAD_SESSION,
    // SESSION_BUSY are "retryable"); only ABORTED says the transaction was rolled back
    // ("lock invalidation with TRANSACTION_LOCKS_INVALIDATED"). UNAVAILABLE: ydb#14848, ydb#23968.
    const s = await open();
    const limited = new YdbBankStore({ ...parseConfig({ endpoint: fake.endpoint }), retry: { maxRetries: 3, maxMs: 5000, baseMs: 1, capMs: 2 } });
    t.teardown(() => limited.close());
    await s.setup({ a: 100, b: 0 });
    for (const status of [S.UNAVAILABLE, S.OVERLOADED, S.BAD_SESSION, S.SESSION_BUSY]) {
      fake.hook = (r) => (r.commit && r.text === fake.yql.transferWrite ? { status } : undefined);
      const err = await limited.transferCounted({ id: `ub-${status}`, from: 'a', to: 'b', amount: 1 }).catch((e: unknown) => e);
      t.type(err, IndeterminateError, `${YDBError.codes[status]}: ${(err as Error).message}`);
      t.equal(retriesOf(err), 3, 'the whole budget was used');
    }
    fake.hook = undefined;
    t.same((await s.audit()).transfers, [], 'the fake applied none of them; the client could not know');
  });

  t.test('UNAVAILABLE on a commit, then no answer until the deadline: indeterminate', async (t) => {
    // ydb#14848 / ydb#23968; then the node stops answering (the retry's read hangs).
    const s = await open({ timeoutMs: '400' });
    await s.setup({ a: 100, b: 0 });
    let failed = false;
    fake.hook = (r) => {
      if (r.commit && r.text === fake.yql.transferWrite) {
        failed = true;
        return { status: S.UNAVAILABLE };
      }
      return failed && r.text === fake.yql.transferRead ? { hang: true } : undefined;
    };
    const err = await s.transferCounted({ id: 'uc-1', from: 'a', to: 'b', amount: 1 }).catch((e: unknown) => e);
    t.type(err, IndeterminateError, (err as Error).message);
    t.match((err as Error).message, /unknown outcome/);
  });

  t.test('UNAVAILABLE on a commit, then the retry is refused: indeterminate', async (t) => {
    // ydb#14848 / ydb#23968; a refusal of the retry (SCHEME_ERROR, non-retryable) says nothing
    // about the first commit.
    const s = await open();
    await s.setup({ a: 100, b: 0 });
    let failed = false;
    fake.hook = (r) => {
      if (r.commit && r.text === fake.yql.transferWrite) {
        failed = true;
        return { status: S.UNAVAILABLE };
      }
      return failed && r.text === fake.yql.transferRead ? { status: S.SCHEME_ERROR } : undefined;
    };
    const err = await s.transferCounted({ id: 'ud-1', from: 'a', to: 'b', amount: 1 }).catch((e: unknown) => e);
    t.type(err, IndeterminateError, (err as Error).message);
    t.equal(retriesOf(err), 1);
  });

  t.test('conflicting concurrent transfers retry ABORTED commits, counted per call', async (t) => {
    const s = await open({ timeoutMs: '10000' });
    t.ok(isCountingStore(s));
    const a = { a: 100, b: 100 };
    await s.setup(a);
    const before = s.retries();
    const trs: Transfer[] = Array.from({ length: 20 }, (_, i) => ({ id: `c-${i}`, from: i % 2 ? 'a' : 'b', to: i % 2 ? 'b' : 'a', amount: 5 }));
    const outs = await Promise.all(trs.map((tr) => s.transferCounted(tr)));
    t.ok(outs.every((o) => o.result === 'ok'), 'every transfer applied');
    const sum = outs.reduce((n, o) => n + o.retries, 0);
    t.ok(sum > 0, `conflicts were retried (${sum})`);
    t.equal(s.retries() - before, sum, 'per-call counts add up to the store total');
    const audit = await s.audit();
    t.same(audit.balances, applyLedger(a, audit.transfers, new Map(trs.map((x) => [x.id, x]))));
    t.equal(total(audit.balances), 200);
    t.same(outs.flatMap((o) => Object.values(o.versions ?? {})).sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => (i >> 1) + 1), 'each applied transfer left both accounts at a version no other did');
    t.same((await s.readVersioned()).versions, { a: 20, b: 20 }, 'twenty transfers moved each account');
  });

  t.test('a refusal is definite and not retried; endless ABORTED gives up within the policy', async (t) => {
    const s = await open();
    await s.setup({ a: 100, b: 0 });
    fake.hook = (r) => (r.text === fake.yql.transferRead ? { status: S.SCHEME_ERROR } : undefined);
    const refused = await s.transferCounted({ id: 'r-1', from: 'a', to: 'b', amount: 1 }).catch((e: unknown) => e);
    t.type(refused, DefiniteError, (refused as Error).message);
    t.equal(retriesOf(refused), 0);

    const limited = new YdbBankStore({ ...parseConfig({ endpoint: fake.endpoint }), retry: { maxRetries: 3, maxMs: 5000, baseMs: 1, capMs: 2 } });
    t.teardown(() => limited.close());
    fake.hook = (r) => (r.commit && r.text === fake.yql.transferWrite ? { status: S.ABORTED } : undefined);
    const aborted = await limited.transferCounted({ id: 'r-2', from: 'a', to: 'b', amount: 1 }).catch((e: unknown) => e);
    t.type(aborted, DefiniteError, (aborted as Error).message);
    t.equal(retriesOf(aborted), 3, 'maxRetries of the policy');
    fake.hook = undefined;
    t.same((await s.audit()).transfers, [], 'nothing applied');
  });

  t.test('no answer: at commit indeterminate, before it definite, both within the deadline', async (t) => {
    const s = await open({ timeoutMs: '400' });
    await s.setup({ a: 100, b: 0 });
    fake.hook = (r) => (r.commit && r.text === fake.yql.transferWrite ? { hang: true } : undefined);
    let t0 = Date.now();
    const atCommit = await s.transfer({ id: 'h-1', from: 'a', to: 'b', amount: 1 }).catch((e: unknown) => e);
    t.type(atCommit, IndeterminateError, (atCommit as Error).message);
    t.ok(Date.now() - t0 < 1400, `within the deadline (${Date.now() - t0} ms)`);
    fake.hook = (r) => (r.text === fake.yql.transferRead ? { hang: true } : undefined);
    t0 = Date.now();
    const atRead = await s.transfer({ id: 'h-2', from: 'a', to: 'b', amount: 1 }).catch((e: unknown) => e);
    t.type(atRead, DefiniteError, (atRead as Error).message);
    t.ok(Date.now() - t0 < 1400, `within the deadline (${Date.now() - t0} ms)`);
    fake.hook = (r) => (r.text === fake.yql.read ? { hang: true } : undefined);
    t.equal(await outcomeOf(s.read()), 'indeterminate', 'a read without an answer is info, as in the other adapters');
    fake.hook = undefined;
    t.equal(await s.transfer({ id: 'h-3', from: 'a', to: 'b', amount: 1 }), 'ok', 'works again');
  });

  t.test('the node dies while committing: indeterminate; back again, the ledger answers', async (t) => {
    const s = await open({ timeoutMs: '2000' });
    await s.setup(accounts(2, 100));
    fake.hook = (r) => (r.commit && r.text === fake.yql.transferWrite ? { drop: true, apply: true } : undefined);
    const tr = { id: 'd-1', from: 'a0', to: 'a1', amount: 25 };
    const err = await s.transfer(tr).catch((e: unknown) => e);
    t.type(err, IndeterminateError, (err as Error).message);
    fake.hook = undefined;
    t.equal(await outcomeOf(s.transfer({ id: 'd-2', from: 'a0', to: 'a1', amount: 1 })), 'definite', 'node down: nothing sent');
    await fake.start(fake.port);
    await retryUntil('the fake back', 5000, () => s.ping());
    t.equal(await s.transfer(tr), 'ok', 'a repeat finds it in the ledger');
    t.same(await s.audit(), { balances: { a0: 75, a1: 125 }, transfers: ['d-1'] }, 'applied once');
  });

  t.test('setup empties a ledger larger than one chunk and is idempotent', async (t) => {
    const s = await open({ timeoutMs: '10000' });
    await s.setup({ a: 1 });
    for (let i = 0; i < LEDGER_CHUNK * 2 + 5; i++) fake.ledger.set(`l-${i}`, { src: 'a', dst: 'b', amount: 1n });
    fake.texts.length = 0;
    await s.setup({ a: 5, b: 6 });
    t.equal(fake.ledger.size, 0);
    t.equal(fake.texts.filter((x) => x === fake.yql.deleteLedger).length, 3, 'three chunks');
    await s.setup({ a: 5, b: 6 });
    t.same(await s.audit(), { balances: { a: 5, b: 6 }, transfers: [] });
  });
});
