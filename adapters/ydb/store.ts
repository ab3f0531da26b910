// YdbBankStore: every store call under its deadline, its attempts and its retries. A transfer is
// ONE serializable read-write transaction in two round trips: the first query begins it and reads
// the ledger row for the id and both balances with their versions; the second UPSERTs both
// balances with their versions one higher, and the ledger row, and commits (commit_tx on that same
// request). YDB's locks are optimistic: if anything read changed before the commit, the commit
// answers ABORTED and nothing was applied.
//
// Retries are this adapter's own, counted per call (CountingBankStore) and bounded by
// lib/retry.ts. A commit that was sent and failed with anything but ABORTED may have applied
// (adapters/ydb/errors.ts: UNAVAILABLE, UNDETERMINED, TIMEOUT, a connection lost while committing,
// …). The retryable ones ARE retried, and that is safe ONLY because every attempt reads the ledger
// row for its id first, in the same serializable transaction: an earlier attempt that did apply
// shows up there ('ok', applied once), or, if it lands later, one of the two commits aborts. After
// such an attempt only 'ok' settles the call; every other end (insufficient funds, a refusal, the
// retry budget or the deadline running out) is indeterminate.
import { Driver } from '@ydbjs/core';
import { StatusIds_StatusCode } from '@ydbjs/api/operation';
import { ExecMode, StatsMode, Syntax } from '@ydbjs/api/query';
import {
  DefiniteError,
  IndeterminateError,
  invalidTransfer,
  withRetryCount,
  type Audit,
  type Balances,
  type CountedTransfer,
  type CountingBankStore,
  type Transfer,
  type TransferResult,
  type Versions,
} from '../../lib/store.ts';
import { withDeadline } from '../../lib/deadline.ts';
import { withRetries } from '../../lib/retry.ts';
import { READ_MODES, type YdbStoreOptions } from './config.ts';
import { AttemptFailure, decide, describe, type Phase } from './errors.ts';
import { ledgerEntryOf, nextVersions, planTransfer } from './ledger.ts';
import { beginTx, collectParts, makeClient, type QueryClient, type QueryResult, type TxControl } from './query.ts';
import { SessionPool, type Session } from './sessions.ts';
import { balanceMapOf, balancesOf, numberOf, textOf, versionMapOf, versionsOf } from './values.ts';
import { deleteLedgerParams, resetAccountsParams, transferReadParams, transferWriteParams, yqlFor, type Params, type Yql } from './yql.ts';


/** The state of one store call, as its deadline and its retries see it. */
interface Call {
  signal: AbortSignal;
  /** A commit request is in flight now. */
  committing: boolean;
  /** Some attempt may have applied its writes (it failed while committing, outcome unknown). */
  uncertain: boolean;
  /** Some write finished (setup). */
  changed: boolean;
  retries: number;
}

export class YdbBankStore implements CountingBankStore {
  /** Public for tests, as the other adapters' clients are. */
  readonly driver: Driver;
  private readonly client: QueryClient;
  private readonly pool: SessionPool;
  private readonly yql: Yql;
  private readonly closing = new AbortController();
  private retryCount = 0;
  private closed = false;

  constructor(readonly opts: YdbStoreOptions) {
    this.driver = new Driver(opts.endpoint, {
      'ydb.sdk.enable_discovery': false,
      // Calls never wait for ready(): once its first wait fails it stays rejected for good. The
      // wait is kept short because a driver closed during it keeps reconnecting until it ends.
      'ydb.sdk.ready_timeout_ms': 1000,
      // Reconnect quickly after a node restart (the SDK backs off up to 5 s).
      channelOptions: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 },
    });
    // A failed first connect rejects the driver's ready promise; unobserved, that rejection
    // would end the process.
    this.driver.ready().catch(() => undefined);
    this.client = makeClient(this.driver);
    this.pool = new SessionPool(this.client, opts.poolMax);
    this.yql = yqlFor(opts.run);
  }

  /**
   * Creates both tables (IF NOT EXISTS), empties the ledger in chunks (one DELETE of a large
   * ledger can exceed YDB's per-transaction limits), then in one transaction removes accounts
   * not given and upserts the given ones at version 0. Every step is idempotent, so steps are
   * retried.
   */
  async setup(accounts: Balances): Promise<void> {
    const entries = Object.entries(accounts);
    if (entries.length === 0) throw new DefiniteError('setup needs at least one account');
    for (const [id, b] of entries) {
      if (!Number.isSafeInteger(b) || b < 0) throw new DefiniteError(`balance of ${id} must be a non-negative safe integer`);
    }
    const ms = this.opts.setupTimeoutMs;
    const maybeApplied = (c: Call): boolean => c.changed || c.uncertain || c.committing;
    await this.run(ms, async (call) => {
      const write = async (text: string, params: Params, tx: TxControl | undefined): Promise<void> => {
        await this.retrying(call, () => this.attempt(call, async (s, at) => {
          at('commit');
          await this.execute(s, text, params, tx, call.signal);
        }));
        call.changed = true;
      };
      try {
        await write(this.yql.createAccounts, {}, undefined);
        await write(this.yql.createLedger, {}, undefined);
        for (;;) {
          const { value: ids } = await this.retrying(call, () => this.attempt(call, async (s) => {
            const r = await this.execute(s, this.yql.ledgerChunk, {}, beginTx('snapshotReadOnly', true), call.signal);
            return (r.sets[0] ?? []).map((row) => textOf(row.id, 'ledger id'));
          }));
          if (ids.length === 0) break;
          await write(this.yql.deleteLedger, deleteLedgerParams(ids), beginTx('serializableReadWrite', true));
        }
        await write(this.yql.resetAccounts, resetAccountsParams(accounts), beginTx('serializableReadWrite', true));
      } catch (err) {
        const why = this.describeFailure(err);
        throw maybeApplied(call)
          ? new IndeterminateError(`setup may be partly applied (it is idempotent: run it again): ${why}`, { cause: err })
          : new DefiniteError(`setup not applied: ${why}`, { cause: err });
      }
    }, (call) =>
      maybeApplied(call)
        ? new IndeterminateError(`setup: no answer within ${ms} ms; it may be partly applied (it is idempotent: run it again)`)
        : new DefiniteError(`setup: no answer within ${ms} ms from YDB at ${this.opts.endpoint}; nothing applied`),
    );
  }

  async transfer(t: Transfer): Promise<TransferResult> {
    return (await this.transferCounted(t)).result;
  }

  async transferCounted(t: Transfer): Promise<CountedTransfer> {
    const invalid = invalidTransfer(t);
    if (invalid) throw new DefiniteError(`invalid transfer ${t.id}: ${invalid}`);
    const ms = this.opts.timeoutMs;
    return this.run(ms, async (call) => {
      try {
        const { value } = await this.retrying(call, () => this.transferOnce(t, call));
        if (value.result === 'insufficient' && call.uncertain) {
          throw new IndeterminateError(`transfer ${t.id}: insufficient now, but an earlier attempt's commit has an unknown outcome`);
        }
        return value.versions ? { result: value.result, retries: call.retries, versions: value.versions } : { result: value.result, retries: call.retries };
      } catch (err) {
        throw withRetryCount(this.transferError(t, err, call), call.retries);
      }
    }, (call) =>
      call.committing || call.uncertain
        ? new IndeterminateError(`transfer ${t.id}: no answer within ${ms} ms ${call.committing ? 'while committing' : 'after a commit with an unknown outcome'}`)
        : new DefiniteError(`transfer ${t.id}: no answer within ${ms} ms from YDB at ${this.opts.endpoint}, before any commit: not applied`),
    );
  }

  async read(): Promise<Balances> {
    return (await this.readVersioned()).balances;
  }

  /** Balances and versions from one query, in the transaction mode of the `readMode` setting. */
  async readVersioned(): Promise<{ balances: Balances; versions: Versions }> {
    const ms = this.opts.timeoutMs;
    return this.run(ms, async (call) => {
      try {
        const { value } = await this.retrying(call, () => this.attempt(call, async (s) => {
          const r = await this.execute(s, this.yql.read, {}, beginTx(READ_MODES[this.opts.reads], true), call.signal);
          const rows = r.sets[0] ?? [];
          return { balances: balancesOf(rows), versions: versionsOf(rows) };
        }));
        return value;
      } catch (err) {
        throw this.readError('read', err);
      }
    }, () => new IndeterminateError(`read: no answer within ${ms} ms`));
  }

  /** Balances and ledger ids in one query of a snapshot read-only transaction: one snapshot. */
  async audit(): Promise<Audit> {
    const ms = this.opts.timeoutMs;
    return this.run(ms, async (call) => {
      try {
        const { value } = await this.retrying(call, () => this.attempt(call, async (s) => {
          const r = await this.execute(s, this.yql.audit, {}, beginTx('snapshotReadOnly', true), call.signal);
          return {
            balances: balancesOf(r.sets[0] ?? []),
            transfers: (r.sets[1] ?? []).map((row) => textOf(row.id, 'ledger id')),
          };
        }));
        return value;
      } catch (err) {
        throw this.readError('audit', err);
      }
    }, () => new IndeterminateError(`audit: no answer within ${ms} ms`));
  }

  retries(): number {
    return this.retryCount;
  }

  /** SELECT 1 on a session: the node answers queries for this database. No retries. */
  async ping(): Promise<void> {
    const ms = Math.min(this.opts.timeoutMs, 2000);
    await this.run(ms, async (call) => {
      try {
        await this.attempt(call, (s) => this.execute(s, this.yql.ping, {}, undefined, call.signal));
      } catch (err) {
        throw this.readError('ping', err);
      }
    }, () => new IndeterminateError(`ping: no answer within ${ms} ms`));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    await this.pool.close();
    this.driver.close();
  }

  /**
   * One attempt: begin + read (ledger row, then both balances and versions), decide, then write
   * + commit. The ledger row is read in the same serializable transaction as the balances, so it
   * answers for every earlier attempt of this call whose commit outcome was unknown. Versions
   * come back only when this attempt's commit applied the transfer.
   */
  private transferOnce(t: Transfer, call: Call): Promise<{ result: TransferResult; versions?: Versions }> {
    return this.attempt(call, async (s, at) => {
      const read = await this.execute(s, this.yql.transferRead, transferReadParams(t), beginTx('serializableReadWrite', false), call.signal);
      if (!read.txId) throw new Error('no transaction id in the answer to a query that began one');
      const rows = read.sets[1] ?? [];
      const plan = planTransfer(t, ledgerEntryOf(read.sets[0] ?? []), balanceMapOf(rows));
      if (plan.kind !== 'apply') {
        await this.rollback(s, read.txId);
        return { result: plan.kind === 'applied' ? 'ok' : 'insufficient' };
      }
      const next = nextVersions(t, versionMapOf(rows));
      // Converted before the commit: nothing can fail after it but the commit itself.
      const versions: Versions = { [t.from]: numberOf(next.from, `version of ${t.from}`), [t.to]: numberOf(next.to, `version of ${t.to}`) };
      const params = transferWriteParams(t, plan, next);
      at('commit');
      await this.execute(s, this.yql.transferWrite, params, { txSelector: { case: 'txId', value: read.txId }, commitTx: true }, call.signal);
      return { result: 'ok', versions };
    });
  }

  /**
   * Runs `body` on a pooled session and turns a failure into an AttemptFailure (with the phase it
   * happened in) for the retry loop; store errors (DefiniteError, IndeterminateError) pass as is.
   */
  private async attempt<T>(call: Call, body: (s: Session, at: (phase: Phase) => void) => Promise<T>): Promise<T> {
    const state = { phase: 'connect' as Phase };
    const at = (phase: Phase): void => {
      state.phase = phase;
      call.committing = phase === 'commit';
    };
    let session: Session | undefined;
    let ok = false;
    try {
      session = await this.pool.acquire(call.signal);
      at('read');
      const value = await body(session, at);
      ok = true;
      return value;
    } catch (err) {
      if (err instanceof DefiniteError || err instanceof IndeterminateError) throw err;
      const decision = decide(err, state.phase);
      if (decision.outcome === 'indeterminate') call.uncertain = true;
      throw new AttemptFailure(decision, state.phase, err);
    } finally {
      call.committing = false;
      if (session) this.pool.release(session, ok);
    }
  }

  private retrying<T>(call: Call, attempt: () => Promise<T>): Promise<{ value: T; retries: number }> {
    const retryable = (err: unknown): boolean => err instanceof AttemptFailure && err.decision.retry && !call.signal.aborted;
    return withRetries(this.opts.retry, retryable, attempt, () => {
      this.retryCount++;
      call.retries++;
    });
  }

  /**
   * A store call under its deadline. The signal reaches every RPC, so a call that times out (or
   * a store that closes) cancels what it had in flight; `timedOut` sees the call's state at
   * that moment.
   */
  private async run<T>(ms: number, work: (call: Call) => Promise<T>, timedOut: (call: Call) => Error): Promise<T> {
    if (this.closed) throw new DefiniteError('the YDB store is closed');
    const deadline = new AbortController();
    const call: Call = {
      signal: AbortSignal.any([deadline.signal, this.closing.signal]),
      committing: false,
      uncertain: false,
      changed: false,
      retries: 0,
    };
    try {
      return await withDeadline(work(call), ms, () => {
        const err = withRetryCount(timedOut(call), call.retries);
        deadline.abort(err);
        return err;
      });
    } finally {
      deadline.abort();
    }
  }

  private async execute(s: Session, text: string, params: Params, txControl: TxControl | undefined, signal: AbortSignal): Promise<QueryResult> {
    const parameters = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { type: v.type.encode(), value: v.encode() }]));
    const parts = this.client.executeQuery(
      {
        sessionId: s.id,
        execMode: ExecMode.EXECUTE,
        query: { case: 'queryContent', value: { syntax: Syntax.YQL_V1, text } },
        parameters,
        statsMode: StatsMode.NONE,
        ...(txControl ? { txControl } : {}),
      },
      { signal },
    );
    return collectParts(parts);
  }

  /** Ends a transaction that wrote nothing; a failure only costs the session. */
  private async rollback(s: Session, txId: string): Promise<void> {
    try {
      const res = await this.client.rollbackTransaction({ sessionId: s.id, txId }, { signal: AbortSignal.timeout(1000) });
      if (res.status !== StatusIds_StatusCode.SUCCESS) s.dead = true;
    } catch {
      s.dead = true;
    }
  }

  private transferError(t: Transfer, err: unknown, call: Call): DefiniteError | IndeterminateError {
    const earlier = call.uncertain ? '; an earlier attempt committed with an unknown outcome' : '';
    if (err instanceof AttemptFailure) {
      const message = `transfer ${t.id}: ${this.describeFailure(err)}${earlier}`;
      return call.uncertain || err.decision.outcome === 'indeterminate'
        ? new IndeterminateError(`outcome unknown (${message})`, { cause: err.cause })
        : new DefiniteError(`not applied (${message})`, { cause: err.cause });
    }
    if (err instanceof IndeterminateError) return err;
    if (err instanceof DefiniteError) return call.uncertain ? new IndeterminateError(`${err.message}${earlier}`, { cause: err }) : err;
    return new IndeterminateError(`transfer ${t.id}: unexpected error: ${describe(err)}`, { cause: err });
  }

  /** Reads change nothing: every failure is definite (a timeout is answered by `run`). */
  private readError(what: string, err: unknown): DefiniteError | IndeterminateError {
    if (err instanceof DefiniteError || err instanceof IndeterminateError) return err;
    return new DefiniteError(`${what} failed: ${this.describeFailure(err)}`, { cause: err });
  }

  /** The error's message; one from opening a session names the endpoint it could not reach. */
  private describeFailure(err: unknown): string {
    const where = err instanceof AttemptFailure && err.phase === 'connect' ? ` (YDB at ${this.opts.endpoint})` : '';
    return `${describe(err)}${where}`;
  }
}
