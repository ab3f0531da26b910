// BankStore on PostgreSQL through `pg`. A transfer is ONE statement (one round trip) built from
// data-modifying CTEs, so there is no interactive transaction to lose half-way. It is a named
// prepared statement (parsed and planned once per connection), run through RowQuery
// (adapters/pg/row-query.ts), the cheapest way through `pg` for a one-row answer.
//
// The pieces that CockroachDB / YugabyteDB adapters reuse are exported: the SQL text, the
// classification function, the retry loop and PgBankStore itself. Those databases differ only in
// a `Dialect`: default isolation, retryable SQLSTATEs, ambiguous-commit SQLSTATEs, and where
// needed a transfer statement of their own and messages that mark an error as ambiguous.
//
// Retries: 40001/40P01 are retried inside the adapter (they abort the statement: nothing was
// applied). `retries()` is the store's total; `transferCounted(t)` (CountingBankStore in
// lib/store.ts) returns the retries of ONE call, and an error it throws carries them for
// `retriesOf(err)`: a `lastRetries` field would race between concurrent calls. Indeterminate
// outcomes are never retried here, so no retry needs a ledger check first; if the caller re-sends
// an id that is already in the ledger, the ledger key answers (23505 → 'ok', applied once).
//
// Reads (read, readVersioned, audit) retry the same SQLSTATEs, counted in `retries()`: YugabyteDB
// answers a read whose snapshot must move past a concurrent write with 40001 "Restart read
// required", which nothing but a retry resolves.
// https://docs.yugabyte.com/stable/architecture/transactions/read-restart-error/
//
// Setup has its own deadline (setupTimeoutMs, 60 s as the API's /setup allows, lib/api/server.ts):
// YSQL DDL can take seconds, far beyond one transfer's. No statement_timeout is set on any
// connection, so that deadline is the only one setup meets.
//
// Config keys (all strings): url (postgres://...), isolation (serializable | repeatable read |
// read committed, also written with hyphens; default from the dialect), synchronousCommit (on | off;
// default: the server's setting), timeoutMs (per statement, default 4000), setupTimeoutMs
// (all of setup, default 60000), connectTimeoutMs (default 2000), poolMax (default 10).
import { createHash } from 'node:crypto';
import pg from 'pg';
import {
  DefiniteError,
  IndeterminateError,
  invalidTransfer,
  ledgerDecision,
  retriesOf,
  withRetryCount,
  type Audit,
  type Balances,
  type CountedTransfer,
  type CountingBankStore,
  type StoreFactory,
  type Transfer,
  type TransferResult,
  type Versions,
} from '../lib/store.ts';
import { withDeadline } from '../lib/deadline.ts';
import { RowQuery } from './pg/row-query.ts';
import { defaultRetryPolicy, withRetries, type RetryPolicy } from '../lib/retry.ts';

// ---- dialect ------------------------------------------------------------------------------

/** What differs between PostgreSQL-wire databases as far as this adapter cares. */
export interface Dialect {
  name: string;
  /** Default for `default_transaction_isolation` when the config does not say. */
  isolation: Isolation;
  /** SQLSTATEs that mean "aborted, nothing applied, try again". */
  retryable: ReadonlySet<string>;
  /** SQLSTATEs after which the commit may or may not have happened (class 08 always is). */
  ambiguous: ReadonlySet<string>;
  /** Server errors whose message says the commit may have happened, whatever their SQLSTATE (never retried). */
  ambiguousMessage?: RegExp;
  /** Replaces SQL.transfer where that does not run: same parameters, same result columns in the same order. */
  transferSql?: string;
}

export type Isolation = 'serializable' | 'repeatable read' | 'read committed';
const ISOLATIONS: readonly Isolation[] = ['serializable', 'repeatable read', 'read committed'];

export const postgresDialect: Dialect = {
  name: 'postgres',
  isolation: 'serializable',
  retryable: new Set(['40001', '40P01']), // serialization_failure, deadlock_detected
  // admin/crash/cannot-connect-now shutdown, statement completion unknown, internal error
  ambiguous: new Set(['57P01', '57P02', '57P03', '40003', 'XX000']),
};

// ---- SQL ----------------------------------------------------------------------------------

export const SQL = {
  createAccounts:
    // version: one more on every transfer that moves the account (lib/store.ts Versions).
    'CREATE TABLE IF NOT EXISTS accounts (id text PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0), version bigint NOT NULL DEFAULT 0)',
  /** A table made before accounts had versions gets the column (a user's database kept between runs). */
  addVersion: 'ALTER TABLE accounts ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 0',
  createLedger: 'CREATE TABLE IF NOT EXISTS ledger (id text PRIMARY KEY, src text, dst text, amount bigint)',
  clearLedger: 'DELETE FROM ledger',
  /** $1 ids text[] — removes accounts that are not in the new set. */
  dropOtherAccounts: 'DELETE FROM accounts WHERE NOT (id = ANY($1::text[]))',
  /** $1 ids text[], $2 balances bigint[] */
  upsertAccounts:
    'INSERT INTO accounts (id, balance, version) SELECT u.id, u.balance, 0 FROM unnest($1::text[], $2::bigint[]) AS u(id, balance) ' +
    'ON CONFLICT (id) DO UPDATE SET balance = excluded.balance, version = 0',
  /**
   * $1 id, $2 from, $3 to, $4 amount. One statement = one snapshot and one implicit transaction.
   * `locked` takes both row locks in id order first, so two opposite transfers never deadlock
   * (a deadlock costs deadlock_timeout, 1 s, before 40P01). Debit only if the source has enough
   * AND both accounts exist (else money would vanish); credit and ledger row only if the debit
   * happened. The ledger primary key makes a second application of one id fail with 23505 and
   * roll the whole statement back. Under read committed, UPDATE re-checks `balance >= amount`
   * on the newest row version (EvalPlanQual), so no isolation level can overdraw.
   */
  transfer: `
WITH locked AS (
  SELECT id FROM accounts WHERE id IN ($2, $3) ORDER BY id FOR UPDATE
), debit AS (
  UPDATE accounts SET balance = balance - $4::bigint, version = version + 1
  WHERE id = $2 AND balance >= $4::bigint AND (SELECT count(*) FROM locked) = 2
  RETURNING id, version
), credit AS (
  UPDATE accounts SET balance = balance + $4::bigint, version = version + 1
  WHERE id = $3 AND EXISTS (SELECT 1 FROM debit)
  RETURNING id, version
), entry AS (
  INSERT INTO ledger (id, src, dst, amount)
  SELECT $1, $2, $3, $4::bigint WHERE EXISTS (SELECT 1 FROM debit)
  RETURNING id
)
SELECT EXISTS (SELECT 1 FROM debit) AS debited,
       EXISTS (SELECT 1 FROM credit) AS credited,
       EXISTS (SELECT 1 FROM entry) AS entered,
       EXISTS (SELECT 1 FROM locked WHERE id = $2) AS src_exists,
       EXISTS (SELECT 1 FROM locked WHERE id = $3) AS dst_exists,
       (SELECT version FROM debit) AS src_version,
       (SELECT version FROM credit) AS dst_version`,
  read: 'SELECT id, balance, version FROM accounts',
  auditBegin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  auditLedger: 'SELECT id FROM ledger',
  /** $1 id */
  ledgerEntry: 'SELECT src, dst, amount FROM ledger WHERE id = $1',
} as const;

/**
 * A named prepared statement: parsed and planned once per connection, then each call sends only
 * Bind/Execute (no SQL text, no re-planning on the server). The name comes from a hash of the
 * text, so two statements (a dialect's own transfer, say) never share a name.
 */
export interface PreparedSql {
  name: string;
  text: string;
}

export function prepared(text: string): PreparedSql {
  return { name: `bankrun_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`, text };
}

/** Constraint whose violation means "this transfer id is already in the ledger". */
export const LEDGER_PKEY = 'ledger_pkey';

// ---- classification -----------------------------------------------------------------------

/** The SQLSTATE of a server error, or undefined (network errors have codes like ECONNRESET). */
export function sqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown; severity?: unknown } | null;
  if (!e || typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return undefined;
  // Node's own errors (EPIPE is 5 letters too) have no severity; server errors always do.
  return err instanceof pg.DatabaseError || typeof e.severity === 'string' ? e.code : undefined;
}

export function isRetryable(err: unknown, dialect: Dialect = postgresDialect): boolean {
  const code = sqlState(err);
  return code !== undefined && dialect.retryable.has(code) && !ambiguousByMessage(err, dialect);
}

/** A server error the dialect's message rule marks as ambiguous, whatever its SQLSTATE. */
function ambiguousByMessage(err: unknown, dialect: Dialect): boolean {
  return dialect.ambiguousMessage !== undefined && err instanceof Error && dialect.ambiguousMessage.test(err.message);
}

/** Marks our own client-side timeout so classification can tell it apart. */
export class StatementTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'StatementTimeout';
  }
}

/**
 * Definite or indeterminate, Jepsen style. `sent` = the statement may have reached the server.
 * Not sent (no connection, connect timeout) → definite. Sent: a server error with an SQLSTATE is
 * definite (the server rolled back) except class 08 and the dialect's ambiguous codes and
 * messages; no SQLSTATE (connection reset/terminated, our timeout) → indeterminate.
 */
export function classify(err: unknown, sent: boolean, dialect: Dialect = postgresDialect): DefiniteError | IndeterminateError {
  if (err instanceof DefiniteError || err instanceof IndeterminateError) return err;
  const message = describe(err);
  if (!sent) return new DefiniteError(`not sent: ${message}`, { cause: err });
  const code = sqlState(err);
  if (code === undefined) return new IndeterminateError(`outcome unknown: ${message}`, { cause: err });
  if (code.startsWith('08') || dialect.ambiguous.has(code) || ambiguousByMessage(err, dialect)) {
    return new IndeterminateError(`outcome unknown (${code}): ${message}`, { cause: err });
  }
  return new DefiniteError(`rejected (${code}): ${message}`, { cause: err });
}

/** Reads change nothing: every failure is definite, except a timeout (no answer: 'info'). */
export function classifyRead(err: unknown): DefiniteError | IndeterminateError {
  if (err instanceof DefiniteError || err instanceof IndeterminateError) return err;
  if (err instanceof StatementTimeout) return new IndeterminateError(`read timed out: ${err.message}`, { cause: err });
  return new DefiniteError(`read failed: ${describe(err)}`, { cause: err });
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return code ? `${err.message} [${String(code)}]` : err.message || err.name;
  }
  return String(err);
}

// ---- the store ----------------------------------------------------------------------------

export interface PgStoreOptions {
  url: string;
  isolation: Isolation;
  /** synchronous_commit of the sessions, or undefined for the server's own setting. */
  synchronousCommit: 'on' | 'off' | undefined;
  timeoutMs: number;
  setupTimeoutMs: number;
  connectTimeoutMs: number;
  poolMax: number;
  dialect: Dialect;
  retry: RetryPolicy;
}

/** Parses the string config of a StoreFactory; unknown isolation names are refused. */
export function parseConfig(config: Record<string, string>, dialect: Dialect = postgresDialect): PgStoreOptions {
  if (!config.url) throw new DefiniteError('config.url is required (postgres://...)');
  // "read-committed" as a command-line flag writes it, "read committed" as SQL does.
  const isolation = (config.isolation ?? dialect.isolation).toLowerCase().replace(/[-_]/g, ' ') as Isolation;
  if (!ISOLATIONS.includes(isolation)) throw new DefiniteError(`config.isolation must be one of ${ISOLATIONS.join(', ')}`);
  const synchronousCommit = config.synchronousCommit;
  if (synchronousCommit !== undefined && synchronousCommit !== 'on' && synchronousCommit !== 'off') {
    throw new DefiniteError('config.synchronousCommit must be on or off');
  }
  const num = (key: string, dflt: number) => {
    const v = config[key] === undefined ? dflt : Number(config[key]);
    if (!Number.isFinite(v) || v <= 0) throw new DefiniteError(`config.${key} must be a positive number`);
    return v;
  };
  return {
    url: config.url,
    isolation,
    synchronousCommit,
    timeoutMs: num('timeoutMs', 4000),
    setupTimeoutMs: num('setupTimeoutMs', 60_000),
    connectTimeoutMs: num('connectTimeoutMs', 2000),
    poolMax: num('poolMax', 10),
    dialect,
    retry: defaultRetryPolicy,
  };
}

export class PgBankStore implements CountingBankStore {
  readonly pool: pg.Pool;
  private retryCount = 0;
  private readonly guarded = new WeakSet<pg.PoolClient>();
  private readonly transferSql: PreparedSql;
  private readonly readSql = prepared(SQL.read);

  constructor(readonly opts: PgStoreOptions) {
    this.transferSql = prepared(opts.dialect.transferSql ?? SQL.transfer);
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolMax,
      keepAlive: true,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: opts.connectTimeoutMs,
      // Isolation per connection, so a transfer stays a single statement (no BEGIN round trip).
      options: `-c default_transaction_isolation=${opts.isolation.replace(/ /g, '\\ ')}` +
        (opts.synchronousCommit ? ` -c synchronous_commit=${opts.synchronousCommit}` : ''),
    });
    // An idle client whose server died emits 'error' on the pool: it is dropped, never fatal.
    this.pool.on('error', () => undefined);
  }

  async setup(accounts: Balances): Promise<void> {
    const entries = Object.entries(accounts);
    for (const [id, b] of entries) {
      if (!Number.isSafeInteger(b) || b < 0) throw new DefiniteError(`balance of ${id} must be a non-negative safe integer`);
    }
    const ids = entries.map(([id]) => id);
    const balances = entries.map(([, b]) => String(b));
    const ms = this.opts.setupTimeoutMs;
    await this.retrying(() => this.withClient(this.classifyWrite, ms, () => new StatementTimeout(ms), async (c) => {
      // Tables first, outside the transaction: CockroachDB (autocommit_before_ddl, on since v25.1)
      // and YugabyteDB (DDL is not transactional by default) would commit them apart anyway.
      await c.query(SQL.createAccounts);
      await c.query(SQL.addVersion);
      await c.query(SQL.createLedger);
      await c.query('BEGIN');
      try {
        await c.query(SQL.clearLedger);
        await c.query(SQL.dropOtherAccounts, [ids]);
        await c.query(SQL.upsertAccounts, [ids, balances]);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }));
  }

  async transfer(t: Transfer): Promise<TransferResult> {
    return (await this.transferCounted(t)).result;
  }

  async transferCounted(t: Transfer): Promise<CountedTransfer> {
    const invalid = invalidTransfer(t);
    if (invalid) throw new DefiniteError(`invalid transfer ${t.id}: ${invalid}`);
    const { value, retries } = await this.retrying(() => this.transferOnce(t));
    return { ...value, retries };
  }

  async read(): Promise<Balances> {
    return (await this.readVersioned()).balances;
  }

  async readVersioned(): Promise<{ balances: Balances; versions: Versions }> {
    const rows = await this.retryingRead((c) => c.query<{ id: string; balance: string; version: string }>(this.readSql));
    return { balances: toBalances(rows.rows), versions: Object.fromEntries(rows.rows.map((r) => [r.id, Number(r.version)])) };
  }

  async audit(): Promise<Audit> {
    return this.retryingRead(async (c) => {
      await c.query(SQL.auditBegin);
      try {
        const balances = await c.query<{ id: string; balance: string }>(SQL.read);
        const ledger = await c.query<{ id: string }>(SQL.auditLedger);
        await c.query('COMMIT');
        return { balances: toBalances(balances.rows), transfers: ledger.rows.map((r) => r.id) };
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  retries(): number {
    return this.retryCount;
  }

  async ping(): Promise<void> {
    await this.withClient(classifyRead, this.opts.timeoutMs, this.timedOut, (c) => c.query('SELECT 1'));
  }

  /** A read-only query of the dialect's own (e.g. which node holds a lease), classified as a read. */
  async readRows<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<R[]> {
    return (await this.withClient(classifyRead, this.opts.timeoutMs, this.timedOut, (c) => c.query<R>(sql, values))).rows;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * One attempt. A 23505 on the ledger key means this id is in the ledger already: an earlier
   * attempt of this very transfer was applied ('ok', once), or, if the stored row moved other
   * money, the id was used for another transfer (a definite refusal: nothing was applied now).
   */
  private async transferOnce(t: Transfer): Promise<{ result: TransferResult; versions?: Versions }> {
    try {
      const row = await this.withClient(this.classifyWrite, this.opts.timeoutMs, this.timedOut, (c) => RowQuery.run(c, this.transferSql, [t.id, t.from, t.to, String(t.amount)]));
      return transferResult(t, row as TransferRow | undefined);
    } catch (err) {
      if (!isLedgerDuplicate(err)) throw err;
      const stored = await this.withClient(classifyRead, this.opts.timeoutMs, this.timedOut, (c) => c.query<LedgerRow>(SQL.ledgerEntry, [t.id]));
      const row = stored.rows[0];
      // The statement rolled back. Applied by an earlier attempt (its versions are not known
      // here), or the id moved other money (refused); a row gone since (a new setup): not applied.
      if (!row) throw new DefiniteError(`transfer id ${t.id} collided with a ledger row that is gone now: not applied`);
      ledgerDecision(t, { from: row.src, to: row.dst, amount: BigInt(row.amount) }); // 'applied', or it throws
      return { result: 'ok' };
    }
  }

  // Made once, like timedOut below: they are passed on every transfer.
  private readonly retryable = (err: unknown): boolean => isRetryable(err, this.opts.dialect);
  private readonly countRetry = (): void => {
    this.retryCount++;
  };

  /** The retry loop, then classification of whatever it gave up on (keeping its retry count). */
  private async retrying<T>(attempt: () => Promise<T>): Promise<{ value: T; retries: number }> {
    try {
      return await withRetries(this.opts.retry, this.retryable, attempt, this.countRetry);
    } catch (err) {
      throw withRetryCount(classify(err, true, this.opts.dialect), retriesOf(err));
    }
  }

  /** A read under the retry loop: retryable errors stay raw for it, and what it gives up on is classified as a read. */
  private async retryingRead<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return (await withRetries(this.opts.retry, this.retryable, () => this.withClient(this.classifyReadAttempt, this.opts.timeoutMs, this.timedOut, work), this.countRetry)).value;
    } catch (err) {
      throw withRetryCount(classifyRead(err), retriesOf(err));
    }
  }

  private readonly classifyReadAttempt = (err: unknown): Error =>
    isRetryable(err, this.opts.dialect) ? asError(err) : classifyRead(err);

  /** Writes keep retryable errors and ledger duplicates raw: the retry loop and transferOnce decide. */
  private readonly classifyWrite = (err: unknown, sent: boolean): Error =>
    isRetryable(err, this.opts.dialect) || isLedgerDuplicate(err) ? asError(err) : classify(err, sent, this.opts.dialect);

  /** Made once: a closure per call would be one more allocation on every transfer. */
  private readonly timedOut = (): Error => new StatementTimeout(this.opts.timeoutMs);

  /**
   * Checks out a client, runs `work` under the deadline `ms` (rejecting with `timedOut()`), and
   * classifies failures with `classifier(err, sent)`. On timeout or a broken connection the
   * client is destroyed (release(err)) so the pool never hands out a connection with a statement
   * still in flight.
   */
  private async withClient<T>(
    classifier: (err: unknown, sent: boolean) => Error,
    ms: number,
    timedOut: () => Error,
    work: (c: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new DefiniteError(`no connection to ${this.opts.dialect.name}: ${describe(err)}`, { cause: err });
    }
    this.guard(client);
    try {
      const value = await withDeadline(work(client), ms, timedOut);
      client.release();
      return value;
    } catch (err) {
      client.release(endsSession(err) ? asError(err) : undefined);
      throw classifier(err, true);
    }
  }

  /** A checked-out client whose socket dies emits 'error'; without a listener that kills the process. */
  private guard(client: pg.PoolClient): void {
    if (this.guarded.has(client)) return;
    this.guarded.add(client);
    client.on('error', () => undefined);
  }
}

/**
 * The connection is gone or going: no SQLSTATE, class 08, or a FATAL error (57P01 when the server
 * shuts down or terminates the session), after which the server closes the socket. Such a client
 * is destroyed: back in the pool it would fail the next call before sending anything.
 */
function endsSession(err: unknown): boolean {
  const code = sqlState(err);
  const severity = (err as { severity?: unknown } | null)?.severity;
  return code === undefined || code.startsWith('08') || severity === 'FATAL' || severity === 'PANIC';
}

function isLedgerDuplicate(err: unknown): boolean {
  return sqlState(err) === '23505' && (err as { constraint?: string }).constraint === LEDGER_PKEY;
}

interface LedgerRow {
  src: string;
  dst: string;
  amount: string;
}

/**
 * The transfer's one row by position, as the server sent it (text: 't'/'f', versions as digits or
 * null): SQL.transfer's columns debited, credited, entered, src_exists, dst_exists, src_version,
 * dst_version (RowQuery: no per-field parsing, no object per row).
 */
type TransferRow = [string, string, string, string, string, string | null, string | null];

function transferResult(t: Transfer, row: TransferRow | undefined): { result: TransferResult; versions?: Versions } {
  if (!row) throw new IndeterminateError(`transfer ${t.id}: statement returned no row`);
  const [debited, credited, entered, srcExists, dstExists, srcVersion, dstVersion] = row;
  if (debited === 't' && credited === 't' && entered === 't') {
    return { result: 'ok', versions: { [t.from]: Number(srcVersion), [t.to]: Number(dstVersion) } };
  }
  if (srcExists !== 't' || dstExists !== 't') throw new DefiniteError(`unknown account in transfer ${t.id}`);
  if (debited !== 't') return { result: 'insufficient' };
  // Cannot happen in one statement; if it does, the database broke atomicity: say so loudly.
  throw new IndeterminateError(`transfer ${t.id}: partial effect (debited ${debited}, credited ${credited}, entered ${entered})`);
}

function toBalances(rows: { id: string; balance: string }[]): Balances {
  return Object.fromEntries(rows.map((r) => [r.id, Number(r.balance)]));
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** StoreFactory for PostgreSQL; other PostgreSQL-wire adapters pass their own Dialect. */
export function createWithDialect(dialect: Dialect): StoreFactory {
  return async (config) => new PgBankStore(parseConfig(config, dialect));
}

export const create: StoreFactory = createWithDialect(postgresDialect);
/** Config keys a notebook may change between cells (see AdapterModule). */
export const settings = ['isolation', 'synchronousCommit'] as const;
