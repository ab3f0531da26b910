// BankStore on MariaDB Galera (or a plain MariaDB/MySQL server) through mysql2, with a pool of
// connections to ONE node. A transfer is an interactive transaction, as an application writes it:
// START TRANSACTION; read both accounts (SELECT … FOR UPDATE in id order, or a plain SELECT);
// refuse when funds are short; INSERT the ledger row; UPDATE both balances to the values computed
// from what was read; COMMIT. Without FOR UPDATE, under REPEATABLE READ or READ COMMITTED, two
// transfers on one node can read the same balance and one update is lost: the option is there to
// show it. Across nodes Galera's certification aborts the later of two conflicting commits.
//
// Definite or indeterminate depends on where an attempt was (Phase): before COMMIT was sent the
// transaction is rolled back whatever happened (an error, a broken connection, our timeout: the
// server rolls back an uncommitted transaction when its connection goes), so nothing was applied;
// once COMMIT is in flight only a certification failure (1213) says it was not applied.
// Deadlocks, lock wait timeouts and certification failures are retried here (lib/retry.ts); a
// duplicate ledger id means an earlier attempt of this id was applied: the stored row says.
//
// Config keys (all strings): host, port (3306), isolation (REPEATABLE READ | SERIALIZABLE |
// READ COMMITTED; default REPEATABLE READ), forUpdate (true | false; default true),
// flushLogAtTrxCommit (0 | 1 | 2; default: leave the server's own setting), timeoutMs (per call,
// default 4000), connectTimeoutMs (default 2000), poolMax (default 16).
// innodb_flush_log_at_trx_commit is server-wide: it is set on every new connection, so a node
// restarted with its command-line value gets this store's value back before its next transfer.
import mysql from 'mysql2/promise';
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
import { defaultRetryPolicy, withRetries, type RetryPolicy } from '../lib/retry.ts';

// ---- SQL ----------------------------------------------------------------------------------

// Ids compare byte for byte: a case-insensitive or space-padding collation would make 'a' and 'A '
// one ledger id.
const ID = 'VARCHAR(64) CHARACTER SET ascii COLLATE ascii_nopad_bin';

export const SQL = {
  createDatabase: 'CREATE DATABASE IF NOT EXISTS bankrun',
  // version: one more on every transfer that moves the account (lib/store.ts Versions).
  createAccounts: `CREATE TABLE IF NOT EXISTS bankrun.accounts (id ${ID} PRIMARY KEY, balance BIGINT NOT NULL CHECK (balance >= 0), version BIGINT NOT NULL DEFAULT 0) ENGINE=InnoDB`,
  /** A table made before accounts had versions gets the column. */
  addVersion: 'ALTER TABLE bankrun.accounts ADD COLUMN IF NOT EXISTS version BIGINT NOT NULL DEFAULT 0',
  createLedger: `CREATE TABLE IF NOT EXISTS bankrun.ledger (id ${ID} PRIMARY KEY, src ${ID} NOT NULL, dst ${ID} NOT NULL, amount BIGINT NOT NULL) ENGINE=InnoDB`,
  clearLedger: 'DELETE FROM bankrun.ledger',
  /** ? ids */
  dropOtherAccounts: 'DELETE FROM bankrun.accounts WHERE id NOT IN (?)',
  /** ? [[id, balance, 0], …] */
  upsertAccounts: 'INSERT INTO bankrun.accounts (id, balance, version) VALUES ? ON DUPLICATE KEY UPDATE balance = VALUES(balance), version = 0',
  /** ? from, ? to — both rows locked in id order, so opposite transfers never deadlock. */
  lockBoth: 'SELECT id, balance, version FROM bankrun.accounts WHERE id IN (?, ?) ORDER BY id FOR UPDATE',
  readBoth: 'SELECT id, balance, version FROM bankrun.accounts WHERE id IN (?, ?)',
  /** ? id, from, to, amount */
  insertLedger: 'INSERT INTO bankrun.ledger (id, src, dst, amount) VALUES (?, ?, ?, ?)',
  /** ? from, new from balance, new to balance, from, to */
  updateBoth: 'UPDATE bankrun.accounts SET balance = CASE id WHEN ? THEN ? ELSE ? END, version = version + 1 WHERE id IN (?, ?)',
  /** Causal: the node first applies everything the cluster committed before (no stale read). */
  read: 'SET STATEMENT wsrep_sync_wait = 1 FOR SELECT id, balance, version FROM bankrun.accounts',
  /** Next transaction only: a snapshot needs REPEATABLE READ, and SERIALIZABLE would lock. */
  auditIsolation: 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ',
  /** After the node caught up with the cluster, as read does. */
  auditBegin: 'SET STATEMENT wsrep_sync_wait = 1 FOR START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY',
  auditBalances: 'SELECT id, balance FROM bankrun.accounts',
  auditLedger: 'SELECT id FROM bankrun.ledger',
  /** ? id */
  ledgerEntry: 'SET STATEMENT wsrep_sync_wait = 1 FOR SELECT src, dst, amount FROM bankrun.ledger WHERE id = ?',
} as const;

// ---- classification -----------------------------------------------------------------------

/** Where an attempt was when it failed. */
export type Phase = 'connect' | 'transaction' | 'commit';

export const ER = {
  /** ER_UNKNOWN_COM_ERROR: "Unknown command", and Galera's "WSREP has not yet prepared node for application use". */
  NOT_READY: 1047,
  DUPLICATE: 1062,
  LOCK_WAIT_TIMEOUT: 1205,
  /** "Deadlock found …", also a certification failure on COMMIT, and "WSREP detected deadlock/conflict …" (brute-force abort). */
  DEADLOCK: 1213,
} as const;

interface ServerError {
  errno: number;
  sqlState: string;
  message: string;
}

/** A MySQL error packet on a live connection (network errors have negative errnos and no SQLSTATE). */
export function serverError(err: unknown): ServerError | undefined {
  const e = err as { errno?: unknown; sqlState?: unknown; fatal?: unknown } | null;
  if (!e || typeof e.errno !== 'number' || e.errno <= 0 || typeof e.sqlState !== 'string' || e.fatal === true) return undefined;
  return err as ServerError;
}

/**
 * Conflicts that certainly applied nothing: a deadlock or certification failure rolls the whole
 * transaction back, in any phase; a lock wait timeout ends only its statement, before COMMIT, and
 * the transaction is then rolled back by us.
 */
export function isRetryable(err: unknown, phase: Phase): boolean {
  const errno = serverError(err)?.errno;
  if (errno === ER.DEADLOCK) return phase !== 'connect';
  return errno === ER.LOCK_WAIT_TIMEOUT && phase === 'transaction';
}

/** Marks our own deadline so that it reads as a timeout in the history. */
export class CallTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'CallTimeout';
  }
}

/** A write's failure, Jepsen style: only a COMMIT in flight can leave the outcome open. */
export function classify(err: unknown, phase: Phase): DefiniteError | IndeterminateError {
  if (err instanceof DefiniteError || err instanceof IndeterminateError) return err;
  const message = describe(err);
  if (phase === 'connect') return new DefiniteError(`no connection: ${message}`, { cause: err });
  if (phase === 'transaction') return new DefiniteError(`rolled back before COMMIT: ${message}`, { cause: err });
  if (serverError(err)?.errno === ER.DEADLOCK) return new DefiniteError(`COMMIT refused: ${message}`, { cause: err });
  return new IndeterminateError(`COMMIT outcome unknown: ${message}`, { cause: err });
}

/** Reads change nothing: definite, except no answer in time ('info', as in postgres.ts). */
export function classifyRead(err: unknown): DefiniteError | IndeterminateError {
  if (err instanceof DefiniteError || err instanceof IndeterminateError) return err;
  if (err instanceof CallTimeout) return new IndeterminateError(`read timed out: ${err.message}`, { cause: err });
  return new DefiniteError(`read failed: ${describe(err)}`, { cause: err });
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown; errno?: unknown }).code;
  const errno = serverError(err)?.errno;
  return code ? `${err.message} [${String(code)}${errno ? ` ${errno}` : ''}]` : err.message || err.name;
}

/** A retryable failure, kept apart from classified errors until the retry loop gives up. */
class Conflict extends Error {
  constructor(readonly phase: Phase, cause: unknown) {
    super(`conflict: ${describe(cause)}`, { cause });
    this.name = 'Conflict';
  }
}

// ---- config -------------------------------------------------------------------------------

export type Isolation = 'REPEATABLE READ' | 'SERIALIZABLE' | 'READ COMMITTED';
const ISOLATIONS: readonly Isolation[] = ['REPEATABLE READ', 'SERIALIZABLE', 'READ COMMITTED'];

export interface GaleraStoreOptions {
  host: string;
  port: number;
  isolation: Isolation;
  forUpdate: boolean;
  /** innodb_flush_log_at_trx_commit to set on the node, or undefined to leave it. */
  flushLogAtTrxCommit: 0 | 1 | 2 | undefined;
  timeoutMs: number;
  connectTimeoutMs: number;
  poolMax: number;
  retry: RetryPolicy;
}

/** Parses the string config of a StoreFactory; a bad value is a definite error. */
export function parseConfig(config: Record<string, string>): GaleraStoreOptions {
  if (!config.host) throw new DefiniteError('config.host is required (the ONE node this store talks to)');
  const isolation = (config.isolation ?? 'REPEATABLE READ').toUpperCase().replace(/[-_]/g, ' ') as Isolation;
  if (!ISOLATIONS.includes(isolation)) throw new DefiniteError(`config.isolation must be one of ${ISOLATIONS.join(', ')}`);
  const forUpdate = config.forUpdate ?? 'true';
  if (forUpdate !== 'true' && forUpdate !== 'false') throw new DefiniteError('config.forUpdate must be true or false');
  const flush = config.flushLogAtTrxCommit;
  if (flush !== undefined && !['0', '1', '2'].includes(flush)) throw new DefiniteError('config.flushLogAtTrxCommit must be 0, 1 or 2');
  const num = (key: string, dflt: number, max = Infinity) => {
    const v = config[key] === undefined ? dflt : Number(config[key]);
    if (!Number.isInteger(v) || v <= 0 || v > max) throw new DefiniteError(`config.${key} must be a positive integer${max < Infinity ? ` up to ${max}` : ''}`);
    return v;
  };
  return {
    host: config.host,
    port: num('port', 3306, 65535),
    isolation,
    forUpdate: forUpdate === 'true',
    flushLogAtTrxCommit: flush === undefined ? undefined : (Number(flush) as 0 | 1 | 2),
    timeoutMs: num('timeoutMs', 4000),
    connectTimeoutMs: num('connectTimeoutMs', 2000),
    poolMax: num('poolMax', 16),
    retry: defaultRetryPolicy,
  };
}

// ---- the store ----------------------------------------------------------------------------

type Connection = mysql.PoolConnection;
type Row = Record<string, unknown>;

export class GaleraBankStore implements CountingBankStore {
  /** Public for tests, as PgBankStore's pool is. */
  readonly pool: mysql.Pool;
  private retryCount = 0;
  /** Server connections whose session settings are made (a pooled wrapper is new on each checkout). */
  private readonly prepared = new WeakSet<object>();

  constructor(readonly opts: GaleraStoreOptions) {
    this.pool = mysql.createPool({
      host: opts.host,
      port: opts.port,
      user: 'root',
      connectionLimit: opts.poolMax,
      connectTimeout: opts.connectTimeoutMs,
      enableKeepAlive: true,
      // Balances as exact decimal strings: checked to be safe integers in toBalances.
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
  }

  /** DDL commits implicitly, so it goes first (idempotent); the data then changes in one transaction. */
  async setup(accounts: Balances): Promise<void> {
    const entries = Object.entries(accounts);
    for (const [id, b] of entries) {
      if (!Number.isSafeInteger(b) || b < 0) throw new DefiniteError(`balance of ${id} must be a non-negative safe integer`);
    }
    await this.retrying((step) => this.session(step, async (c) => {
      for (const ddl of [SQL.createDatabase, SQL.createAccounts, SQL.addVersion, SQL.createLedger]) await c.query(ddl);
      await c.query('START TRANSACTION');
      await c.query(SQL.clearLedger);
      await c.query(SQL.dropOtherAccounts, [entries.map(([id]) => id)]);
      await c.query(SQL.upsertAccounts, [entries.map(([id, b]) => [id, String(b), 0])]);
      step.phase = 'commit';
      await c.query('COMMIT');
    }));
  }

  async transfer(t: Transfer): Promise<TransferResult> {
    return (await this.transferCounted(t)).result;
  }

  async transferCounted(t: Transfer): Promise<CountedTransfer> {
    const invalid = invalidTransfer(t);
    if (invalid) throw new DefiniteError(`invalid transfer ${t.id}: ${invalid}`);
    const { value, retries } = await this.retrying((step) => this.transferOnce(t, step));
    return { ...value, retries };
  }

  async read(): Promise<Balances> {
    return (await this.readVersioned()).balances;
  }

  async readVersioned(): Promise<{ balances: Balances; versions: Versions }> {
    return this.reading(async (c) => {
      const found = await rows(c, SQL.read);
      return { balances: toBalances(found), versions: Object.fromEntries(found.map((r) => [String(r.id), Number(r.version)])) };
    });
  }

  /** One REPEATABLE READ snapshot, taken after the node caught up with the cluster. */
  async audit(): Promise<Audit> {
    return this.reading(async (c) => {
      await c.query(SQL.auditIsolation);
      await c.query(SQL.auditBegin);
      const balances = toBalances(await rows(c, SQL.auditBalances));
      const ledger = await rows(c, SQL.auditLedger);
      await c.query('COMMIT');
      return { balances, transfers: ledger.map((r) => String(r.id)) };
    });
  }

  retries(): number {
    return this.retryCount;
  }

  async ping(): Promise<void> {
    await this.reading((c) => c.query('SELECT 1'));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** One attempt, inside one transaction. */
  private async transferOnce(t: Transfer, step: { phase: Phase }): Promise<{ result: TransferResult; versions?: Versions }> {
    try {
      return await this.session(step, async (c) => {
        await c.query('START TRANSACTION');
        const found = await rows(c, this.opts.forUpdate ? SQL.lockBoth : SQL.readBoth, [t.from, t.to]);
        const row = (id: string) => found.find((r) => r.id === id);
        const [from, to] = [row(t.from)?.balance, row(t.to)?.balance];
        if (from === undefined || to === undefined) throw new DefiniteError(`unknown account in transfer ${t.id}`);
        if (Number(from) < t.amount) {
          await c.query('ROLLBACK');
          return { result: 'insufficient' as const };
        }
        await c.query(SQL.insertLedger, [t.id, t.from, t.to, String(t.amount)]);
        await c.query(SQL.updateBoth, [t.from, String(Number(from) - t.amount), String(Number(to) + t.amount), t.from, t.to]);
        step.phase = 'commit';
        await c.query('COMMIT');
        // Under row locks the versions read are current, so this commit left them one higher;
        // without locks another transfer may have moved them meanwhile, so none are claimed.
        if (!this.opts.forUpdate) return { result: 'ok' as const };
        return { result: 'ok' as const, versions: { [t.from]: Number(row(t.from)!.version) + 1, [t.to]: Number(row(t.to)!.version) + 1 } };
      });
    } catch (err) {
      // The only INSERT of a transfer is the ledger row: a duplicate key is its id, already there.
      if (serverError(err)?.errno === ER.DUPLICATE && step.phase === 'transaction') return { result: await this.alreadyApplied(t) };
      throw err;
    }
  }

  /** 'ok' when the stored row is this very transfer (an earlier attempt applied it); else refused. */
  private async alreadyApplied(t: Transfer): Promise<TransferResult> {
    const [row] = await this.reading((c) => rows(c, SQL.ledgerEntry, [t.id]));
    if (!row) throw new DefiniteError(`transfer id ${t.id} collided with a ledger row that is gone now: not applied`);
    ledgerDecision(t, { from: String(row.src), to: String(row.dst), amount: BigInt(String(row.amount)) }); // 'applied', or it throws
    return 'ok';
  }

  /** The retry loop over attempts that each track their phase; what it gives up on is classified. */
  private async retrying<T>(attempt: (step: { phase: Phase }) => Promise<T>): Promise<{ value: T; retries: number }> {
    const once = async () => {
      const step = { phase: 'connect' as Phase };
      try {
        return await attempt(step);
      } catch (err) {
        throw isRetryable(err, step.phase) ? new Conflict(step.phase, err) : classify(err, step.phase);
      }
    };
    try {
      return await withRetries(this.opts.retry, (err) => err instanceof Conflict, once, () => this.retryCount++);
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      const given = classify(err.cause, err.phase);
      given.message = `gave up after ${retriesOf(err) + 1} conflicting attempts: ${given.message}`;
      throw withRetryCount(given, retriesOf(err));
    }
  }

  /** A read-only session, classified as a read. */
  private async reading<T>(work: (c: Connection) => Promise<T>): Promise<T> {
    try {
      return await this.session({ phase: 'connect' }, work);
    } catch (err) {
      throw classifyRead(err);
    }
  }

  /**
   * Runs `work` on one pooled connection before the deadline (timeoutMs for the whole call). The
   * phase moves to 'transaction' once a connection is held; `work` moves it to 'commit'. After a
   * server error the connection is rolled back and reused; after our timeout or a broken
   * connection it is destroyed, so no statement is ever left in flight on a pooled connection.
   */
  private async session<T>(step: { phase: Phase }, work: (c: Connection) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.opts.timeoutMs;
    const c = await this.connect(deadline);
    step.phase = 'transaction';
    try {
      const value = await withDeadline(work(c), deadline - Date.now(), () => new CallTimeout(this.opts.timeoutMs));
      c.release();
      return value;
    } catch (err) {
      await this.discard(c, err);
      throw err;
    }
  }

  /** A connection with this store's session settings, or the reason there is none (nothing sent yet). */
  private async connect(deadline: number): Promise<Connection> {
    const pending = this.pool.getConnection();
    let c: Connection;
    try {
      c = await withDeadline(pending, deadline - Date.now(), () => new CallTimeout(this.opts.timeoutMs));
    } catch (err) {
      pending.then((late) => late.release(), () => undefined);
      throw err;
    }
    if (this.prepared.has(c.connection)) return c;
    try {
      await withDeadline(c.query(this.sessionSettings()), deadline - Date.now(), () => new CallTimeout(this.opts.timeoutMs));
      this.prepared.add(c.connection);
      return c;
    } catch (err) {
      c.destroy();
      throw err;
    }
  }

  /**
   * Isolation of the transfers, and lock waits well inside a call's deadline (InnoDB's default
   * is 50 s) so that a blocked transfer is retried rather than timed out; the node's flush
   * setting when the config names one.
   */
  private sessionSettings(): string {
    const lockWaitS = Math.max(1, Math.floor(this.opts.timeoutMs / 2000));
    const flush = this.opts.flushLogAtTrxCommit === undefined ? '' : `, GLOBAL innodb_flush_log_at_trx_commit = ${this.opts.flushLogAtTrxCommit}`;
    return `SET SESSION tx_isolation = '${this.opts.isolation.replace(' ', '-')}', SESSION innodb_lock_wait_timeout = ${lockWaitS}${flush}`;
  }

  private async discard(c: Connection, err: unknown): Promise<void> {
    if (serverError(err) || err instanceof DefiniteError) {
      try {
        await withDeadline(c.query('ROLLBACK'), this.opts.connectTimeoutMs, () => new CallTimeout(this.opts.connectTimeoutMs));
        c.release();
        return;
      } catch {
        // fall through: a connection that cannot roll back is not reused
      }
    }
    c.destroy();
  }
}

async function rows(c: Connection, sql: string, values?: unknown[]): Promise<Row[]> {
  const [result] = await c.query(sql, values);
  return result as Row[];
}

function toBalances(list: Row[]): Balances {
  return Object.fromEntries(list.map((r) => {
    const n = Number(r.balance);
    if (!Number.isSafeInteger(n)) throw new DefiniteError(`corrupt balance of ${String(r.id)}: ${String(r.balance)}`);
    return [String(r.id), n];
  }));
}

export const create: StoreFactory = async (config) => new GaleraBankStore(parseConfig(config));
/** Config keys a notebook may change between cells (see AdapterModule). */
export const settings = ['isolation', 'forUpdate', 'flushLogAtTrxCommit'] as const;
