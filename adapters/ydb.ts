// BankStore on YDB through the official JS SDK (@ydbjs/core 6), over the Query service. The
// driver runs with discovery off: an API node talks to ITS database node only, never to the
// endpoints the cluster advertises.
//
// A transfer is ONE serializable read-write transaction in two round trips: the first query
// begins it and reads the ledger row for the id and both balances with their versions; the second
// UPSERTs both balances with their versions one higher, and the ledger row, and commits (commit_tx
// on that same request). YDB's locks are optimistic: if anything read changed before the commit,
// the commit answers ABORTED and nothing was applied.
//
// Versions (lib/store.ts Versions): each account row has a `version Int64` column, 0 after setup,
// one more on every transfer that moves it. transferCounted reports both accounts' new versions
// for a transfer applied by that very call (not when the ledger shows an earlier attempt applied
// it); readVersioned() reads balances and versions in one query, in the readMode's transaction.
//
// Retries are this adapter's own, counted per call (CountingBankStore) and bounded by
// lib/retry.ts. The SDK's helpers (sql.begin, Query) retry inside with no count and no budget
// but a signal, so they run no transaction here. A commit with an unknown outcome (UNDETERMINED,
// TIMEOUT, SESSION_EXPIRED, a connection lost while committing) IS retried, and that is safe ONLY
// because every attempt reads the ledger row for its id first, in the same serializable
// transaction: an earlier attempt that did apply shows up there ('ok', applied once), or, if it
// lands later, one of the two commits aborts. After such an attempt only 'ok' settles the call;
// every other end is indeterminate.
//
// Config keys (all strings):
//   endpoint        grpc://host:2136/Root/testdb (grpcs:// for TLS; the path is the database;
//                   grpc://host:2136?database=/Root/testdb also works)
//   timeoutMs       deadline of every call (default 4000); ping uses at most 2000
//   setupTimeoutMs  deadline of setup (default 60000)
//   readMode        how read() and readVersioned() read (default serializable):
//                     serializable  serializable read-write transaction: the read takes its place
//                                   in YDB's serializable order; a concurrent write may abort it
//                                   (retried here)
//                     snapshot      snapshot read-only: one consistent snapshot holding every
//                                   transaction committed before it began; writers never abort it
//                     stale         stale read-only: consistent within the one SELECT, but may lag
//                                   fractions of a second behind the latest commits
//   run             optional table-name prefix: <run>_accounts, <run>_ledger
//   poolMax         idle sessions kept for reuse (default 50; at least the calls in flight)
//
// retries() counts every retry this store made (transfers, reads, setup); transferCounted gives
// a transfer's own. No leader(): a YDB database has no single leader (each table partition's
// tablet has its own).
import { Driver } from '@ydbjs/core';
import { YDBError } from '@ydbjs/error';
import { identifier } from '@ydbjs/query';
import { fromYdb, toJs, type Value } from '@ydbjs/value';
import { List } from '@ydbjs/value/list';
import { Int64, Utf8 } from '@ydbjs/value/primitive';
import { Struct } from '@ydbjs/value/struct';
// The raw Query service and status codes: @ydbjs/api is the peer dependency of @ydbjs/query.
import { StatusIds_StatusCode } from '@ydbjs/api/operation';
import { ExecMode, QueryServiceDefinition, StatsMode, Syntax, type ExecuteQueryResponsePart } from '@ydbjs/api/query';
import {
  DefiniteError,
  IndeterminateError,
  invalidTransfer,
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

// ---- classification -----------------------------------------------------------------------

export type Outcome = 'definite' | 'indeterminate';

/** Where an attempt was when it failed: only a failure while committing can have applied anything. */
export type Phase = 'connect' | 'read' | 'commit';

export interface StatusRule {
  /** Retry the whole transaction (a transfer always re-reads its ledger row first). */
  retry: boolean;
  /** What the status means when it answers a commit; before the commit nothing was applied. */
  atCommit: Outcome;
  why: string;
}

/**
 * YDB server statuses (ydb.tech, "Status codes from the YDB server"). Retried always: ABORTED,
 * OVERLOADED, UNAVAILABLE, BAD_SESSION, SESSION_BUSY. Retried only because a transfer is
 * idempotent through its ledger check: SESSION_EXPIRED, UNDETERMINED, TIMEOUT.
 */
export const STATUS_RULES: Readonly<Record<string, StatusRule>> = {
  ABORTED: { retry: true, atCommit: 'definite', why: 'transaction aborted (locks invalidated by a concurrent write): nothing committed' },
  OVERLOADED: { retry: true, atCommit: 'definite', why: 'refused under load' },
  // YDB answers UNDETERMINED when a commit may have happened; ydb#14848 and ydb#23968 were bugs
  // that answered UNAVAILABLE instead: the checker would report those as failed-but-applied.
  UNAVAILABLE: { retry: true, atCommit: 'definite', why: 'part of the cluster unavailable: not executed' },
  BAD_SESSION: { retry: true, atCommit: 'definite', why: 'session unknown to the server: its transaction is gone' },
  SESSION_BUSY: { retry: true, atCommit: 'definite', why: 'session busy with another request: refused' },
  SESSION_EXPIRED: { retry: true, atCommit: 'indeterminate', why: 'session expired while the commit was in flight' },
  UNDETERMINED: { retry: true, atCommit: 'indeterminate', why: 'commit outcome unknown' },
  TIMEOUT: { retry: true, atCommit: 'indeterminate', why: 'server-side timeout: the commit may still apply' },
  CANCELLED: { retry: false, atCommit: 'indeterminate', why: 'cancelled on the server while committing' },
  INTERNAL_ERROR: { retry: false, atCommit: 'indeterminate', why: 'internal error: nothing known about the commit' },
  BAD_REQUEST: { retry: false, atCommit: 'definite', why: 'invalid query: refused' },
  UNAUTHORIZED: { retry: false, atCommit: 'definite', why: 'access denied: refused' },
  SCHEME_ERROR: { retry: false, atCommit: 'definite', why: 'query does not match the schema: refused' },
  GENERIC_ERROR: { retry: false, atCommit: 'definite', why: 'query failed: refused' },
  PRECONDITION_FAILED: { retry: false, atCommit: 'definite', why: 'precondition failed: refused' },
  ALREADY_EXISTS: { retry: false, atCommit: 'definite', why: 'object exists: refused' },
  NOT_FOUND: { retry: false, atCommit: 'definite', why: 'object or transaction not found: refused' },
  UNSUPPORTED: { retry: false, atCommit: 'definite', why: 'unsupported: refused' },
  EXTERNAL_ERROR: { retry: false, atCommit: 'definite', why: 'external system failed: refused' },
};

/** A status this table does not know: not retried, and a commit may have happened. */
export const UNKNOWN_STATUS: StatusRule = { retry: false, atCommit: 'indeterminate', why: 'unknown status' };

export interface TransportRule {
  /** gRPC status code (grpc-js, through nice-grpc's ClientError). */
  code: number;
  name: string;
  /** A substring of the details that refines the code; the first matching rule wins. */
  details?: string;
  /** False when the call certainly never reached the server. */
  sent: boolean;
  retry: boolean;
  atCommit: Outcome;
  why: string;
}

/** gRPC failures (ydb.tech, "gRPC status codes"); the "conditionally retryable" ones are retried for the same reason as above. */
export const TRANSPORT_RULES: readonly TransportRule[] = [
  { code: 14, name: 'UNAVAILABLE', details: 'No connection established', sent: false, retry: false, atCommit: 'definite', why: 'no connection to the node: never sent' },
  { code: 14, name: 'UNAVAILABLE', details: 'Channel closed before call started', sent: false, retry: false, atCommit: 'definite', why: 'driver closed: never sent' },
  { code: 14, name: 'UNAVAILABLE', details: 'Stream refused by server', sent: false, retry: true, atCommit: 'definite', why: 'HTTP/2 REFUSED_STREAM: not processed' },
  { code: 14, name: 'UNAVAILABLE', sent: true, retry: true, atCommit: 'indeterminate', why: 'connection lost during the call' },
  { code: 13, name: 'INTERNAL', sent: true, retry: true, atCommit: 'indeterminate', why: 'stream ended without a status' },
  { code: 1, name: 'CANCELLED', sent: true, retry: true, atCommit: 'indeterminate', why: 'call cancelled by the server or the connection' },
  { code: 4, name: 'DEADLINE_EXCEEDED', sent: true, retry: true, atCommit: 'indeterminate', why: 'transport deadline passed' },
  { code: 2, name: 'UNKNOWN', sent: true, retry: false, atCommit: 'indeterminate', why: 'unknown transport failure' },
  { code: 15, name: 'DATA_LOSS', sent: true, retry: false, atCommit: 'indeterminate', why: 'data loss reported' },
  { code: 8, name: 'RESOURCE_EXHAUSTED', sent: true, retry: true, atCommit: 'definite', why: 'refused by transport limits or overload' },
  { code: 10, name: 'ABORTED', sent: true, retry: true, atCommit: 'definite', why: 'aborted by the transport: not processed' },
  { code: 3, name: 'INVALID_ARGUMENT', sent: true, retry: false, atCommit: 'definite', why: 'refused' },
  { code: 5, name: 'NOT_FOUND', sent: true, retry: false, atCommit: 'definite', why: 'refused' },
  { code: 6, name: 'ALREADY_EXISTS', sent: true, retry: false, atCommit: 'definite', why: 'refused' },
  { code: 7, name: 'PERMISSION_DENIED', sent: true, retry: false, atCommit: 'definite', why: 'refused' },
  { code: 9, name: 'FAILED_PRECONDITION', sent: true, retry: false, atCommit: 'definite', why: 'refused' },
  { code: 11, name: 'OUT_OF_RANGE', sent: true, retry: false, atCommit: 'definite', why: 'refused' },
  { code: 12, name: 'UNIMPLEMENTED', sent: true, retry: false, atCommit: 'definite', why: 'no such RPC on this server: refused' },
  { code: 16, name: 'UNAUTHENTICATED', sent: true, retry: false, atCommit: 'definite', why: 'authentication refused' },
];

export interface Decision {
  retry: boolean;
  outcome: Outcome;
  why: string;
}

/** nice-grpc's ClientError, recognised by shape (nice-grpc is the SDK's dependency, not ours). */
interface GrpcFailure {
  code: number;
  details: string;
}

function grpcFailure(err: unknown): GrpcFailure | undefined {
  const e = err as { name?: unknown; code?: unknown; details?: unknown } | null;
  return e && e.name === 'ClientError' && typeof e.code === 'number' && typeof e.details === 'string'
    ? { code: e.code, details: e.details }
    : undefined;
}

function isAbort(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'AbortError';
}

export function statusName(code: number): string {
  return YDBError.codes[code as StatusIds_StatusCode] ?? `status ${code}`;
}

export function transportRuleFor(err: unknown): TransportRule | undefined {
  const g = grpcFailure(err);
  if (!g) return undefined;
  return TRANSPORT_RULES.find((r) => r.code === g.code && (r.details === undefined || g.details.includes(r.details)));
}

/** How one failed attempt counts: retried or not, and whether it may have applied anything. */
export function decide(err: unknown, phase: Phase): Decision {
  const atCommit = (o: Outcome): Outcome => (phase === 'commit' ? o : 'definite');
  if (err instanceof YDBError) {
    const name = statusName(err.code);
    const rule = STATUS_RULES[name] ?? UNKNOWN_STATUS;
    return { retry: rule.retry, outcome: atCommit(rule.atCommit), why: `${name}: ${rule.why}` };
  }
  const g = grpcFailure(err);
  if (g) {
    const rule = transportRuleFor(err);
    if (!rule) return { retry: false, outcome: atCommit('indeterminate'), why: `gRPC status ${g.code}` };
    return { retry: rule.retry, outcome: rule.sent ? atCommit(rule.atCommit) : 'definite', why: `gRPC ${rule.name}: ${rule.why}` };
  }
  if (isAbort(err)) return { retry: false, outcome: atCommit('indeterminate'), why: 'cancelled by our deadline or close()' };
  return { retry: false, outcome: atCommit('indeterminate'), why: 'unclassified error' };
}

/** One attempt failed; the retry loop reads `decision`, the caller turns it into a store error. */
export class AttemptFailure extends Error {
  constructor(readonly decision: Decision, readonly phase: Phase, readonly cause: unknown) {
    super(`${decision.why} (during ${phase}): ${describe(cause)}`);
    this.name = 'AttemptFailure';
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}

// ---- values -------------------------------------------------------------------------------

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

function show(v: unknown): string {
  return typeof v === 'bigint' ? `${v}n` : v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v);
}

// ---- YQL ----------------------------------------------------------------------------------

/** Rows in each result set, keyed by column name, values converted by @ydbjs/value's toJs. */
export type Row = Record<string, unknown>;

export function tableNames(run: string): { accounts: string; ledger: string } {
  return run ? { accounts: `${run}_accounts`, ledger: `${run}_ledger` } : { accounts: 'accounts', ledger: 'ledger' };
}

/** Ledger ids listed and deleted per transaction when setup clears the ledger. */
export const LEDGER_CHUNK = 10_000;

/** Every statement; parameters are DECLAREd in the text (struct members in sorted order). */
export function yqlFor(run: string) {
  const names = tableNames(run);
  const accounts = String(identifier(names.accounts));
  const ledger = String(identifier(names.ledger));
  return {
    createAccounts: `CREATE TABLE IF NOT EXISTS ${accounts} (id Utf8, balance Int64, version Int64, PRIMARY KEY (id));`,
    createLedger: `CREATE TABLE IF NOT EXISTS ${ledger} (id Utf8, src Utf8, dst Utf8, amount Int64, PRIMARY KEY (id));`,
    ledgerChunk: `SELECT id FROM ${ledger} LIMIT ${LEDGER_CHUNK};`,
    deleteLedger: [
      'DECLARE $ids AS List<Struct<id:Utf8>>;',
      `DELETE FROM ${ledger} ON SELECT id FROM AS_TABLE($ids);`,
    ].join('\n'),
    resetAccounts: [
      'DECLARE $ids AS List<Utf8>;',
      'DECLARE $accounts AS List<Struct<balance:Int64,id:Utf8,version:Int64>>;',
      `DELETE FROM ${accounts} WHERE id NOT IN $ids;`,
      `UPSERT INTO ${accounts} SELECT id, balance, version FROM AS_TABLE($accounts);`,
    ].join('\n'),
    /** Result set 0: the ledger row for $id (0 or 1); result set 1: the two accounts, with versions. */
    transferRead: [
      'DECLARE $id AS Utf8;',
      'DECLARE $src AS Utf8;',
      'DECLARE $dst AS Utf8;',
      `SELECT src, dst, amount FROM ${ledger} WHERE id = $id;`,
      `SELECT id, balance, version FROM ${accounts} WHERE id IN ($src, $dst);`,
    ].join('\n'),
    // UPSERT, not INSERT, for the ledger row: the read above decided, and a broken isolation
    // guarantee should show in the audit rather than be masked by a duplicate-key error.
    transferWrite: [
      'DECLARE $id AS Utf8;',
      'DECLARE $src AS Utf8;',
      'DECLARE $dst AS Utf8;',
      'DECLARE $amount AS Int64;',
      'DECLARE $src_balance AS Int64;',
      'DECLARE $dst_balance AS Int64;',
      'DECLARE $src_version AS Int64;',
      'DECLARE $dst_version AS Int64;',
      `UPSERT INTO ${accounts} (id, balance, version) VALUES ($src, $src_balance, $src_version), ($dst, $dst_balance, $dst_version);`,
      `UPSERT INTO ${ledger} (id, src, dst, amount) VALUES ($id, $src, $dst, $amount);`,
    ].join('\n'),
    /** Balances and versions (readVersioned; read() uses it too). */
    read: `SELECT id, balance, version FROM ${accounts};`,
    /** Result set 0: balances; result set 1: ledger ids. */
    audit: [`SELECT id, balance FROM ${accounts};`, `SELECT id FROM ${ledger};`].join('\n'),
    ping: 'SELECT 1 AS one;',
  };
}

export type Yql = ReturnType<typeof yqlFor>;
export type Params = Record<string, Value>;

export function transferReadParams(t: Transfer): Params {
  return { $id: new Utf8(t.id), $src: new Utf8(t.from), $dst: new Utf8(t.to) };
}

/** `plan`: both new balances; `versions`: both new versions (one more than read). */
export function transferWriteParams(t: Transfer, plan: { from: bigint; to: bigint }, versions: { from: bigint; to: bigint }): Params {
  return {
    $id: new Utf8(t.id),
    $src: new Utf8(t.from),
    $dst: new Utf8(t.to),
    $amount: int64(t.amount),
    $src_balance: int64(plan.from),
    $dst_balance: int64(plan.to),
    $src_version: int64(versions.from),
    $dst_version: int64(versions.to),
  };
}

export function deleteLedgerParams(ids: string[]): Params {
  if (ids.length === 0) throw new RangeError('no ledger ids to delete');
  return { $ids: new List(...ids.map((id) => new Struct({ id: new Utf8(id) }))) };
}

export function resetAccountsParams(accounts: Balances): Params {
  const entries = Object.entries(accounts);
  if (entries.length === 0) throw new RangeError('no accounts');
  return {
    $ids: new List(...entries.map(([id]) => new Utf8(id))),
    $accounts: new List(...entries.map(([id, b]) => new Struct({ id: new Utf8(id), balance: int64(b), version: int64(0) }))),
  };
}

// ---- the ledger decision ------------------------------------------------------------------

export interface LedgerEntry {
  src: string;
  dst: string;
  amount: bigint;
}

export type Plan = { kind: 'applied' } | { kind: 'insufficient' } | { kind: 'apply'; from: bigint; to: bigint };

/**
 * What a ledger row already under this id means: nothing (undefined: go on), this very transfer
 * applied earlier ('applied': answer 'ok', once), or the id moved other money (refused).
 */
export function ledgerDecision(t: Transfer, entry: LedgerEntry | undefined): 'applied' | undefined {
  if (!entry) return undefined;
  if (entry.src === t.from && entry.dst === t.to && entry.amount === BigInt(t.amount)) return 'applied';
  throw new DefiniteError(`transfer id ${t.id} is already in the ledger for another transfer (${entry.src} → ${entry.dst}, ${entry.amount})`);
}

/** The ledger first, then the balances: what this attempt must do. */
export function planTransfer(t: Transfer, entry: LedgerEntry | undefined, balances: ReadonlyMap<string, bigint>): Plan {
  if (ledgerDecision(t, entry) === 'applied') return { kind: 'applied' };
  const from = balances.get(t.from);
  const to = balances.get(t.to);
  if (from === undefined || to === undefined) throw new DefiniteError(`unknown account in transfer ${t.id}`);
  const amount = BigInt(t.amount);
  if (from < amount) return { kind: 'insufficient' };
  return { kind: 'apply', from: from - amount, to: to + amount };
}

export function ledgerEntryOf(rows: Row[]): LedgerEntry | undefined {
  if (rows.length === 0) return undefined;
  if (rows.length > 1) throw new TypeError(`${rows.length} ledger rows for one id`);
  const r = rows[0]!;
  return { src: textOf(r.src, 'ledger src'), dst: textOf(r.dst, 'ledger dst'), amount: bigintOf(r.amount, 'ledger amount') };
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

/** Both accounts' versions after the transfer: one more than read (planTransfer checked both exist). */
export function nextVersions(t: Transfer, versions: ReadonlyMap<string, bigint>): { from: bigint; to: bigint } {
  const from = versions.get(t.from);
  const to = versions.get(t.to);
  if (from === undefined || to === undefined) throw new DefiniteError(`unknown account in transfer ${t.id}`);
  return { from: from + 1n, to: to + 1n };
}

// ---- query results ------------------------------------------------------------------------

export interface QueryResult {
  sets: Row[][];
  txId?: string;
}

/** Reads an ExecuteQuery stream: a part with a status other than SUCCESS ends it as a YDBError. */
export async function collectParts(parts: AsyncIterable<ExecuteQueryResponsePart>): Promise<QueryResult> {
  const result: QueryResult = { sets: [] };
  for await (const part of parts) {
    if (part.status !== StatusIds_StatusCode.SUCCESS) throw new YDBError(part.status, part.issues);
    if (part.txMeta?.id) result.txId = part.txMeta.id;
    const rs = part.resultSet;
    if (!rs) continue;
    const index = Number(part.resultSetIndex);
    while (result.sets.length <= index) result.sets.push([]);
    for (const row of rs.rows) {
      const out: Row = {};
      rs.columns.forEach((col, i) => {
        out[col.name] = toJs(fromYdb(row.items[i]!, col.type!));
      });
      result.sets[index]!.push(out);
    }
  }
  return result;
}

// ---- config -------------------------------------------------------------------------------

export type ReadMode = 'serializable' | 'snapshot' | 'stale';

type TxModeCase = 'serializableReadWrite' | 'snapshotReadOnly' | 'staleReadOnly';

/** The YDB transaction mode behind each `readMode` setting. */
export const READ_MODES: Readonly<Record<ReadMode, TxModeCase>> = {
  serializable: 'serializableReadWrite',
  snapshot: 'snapshotReadOnly',
  stale: 'staleReadOnly',
};

export interface YdbStoreOptions {
  /** The connection string as given. */
  endpoint: string;
  /** The database path it names (/Root/testdb). */
  database: string;
  timeoutMs: number;
  setupTimeoutMs: number;
  reads: ReadMode;
  run: string;
  poolMax: number;
  retry: RetryPolicy;
}

/** Parses the string config of a StoreFactory; a bad value is a definite error. */
export function parseConfig(config: Record<string, string>): YdbStoreOptions {
  const endpoint = config.endpoint ?? '';
  const format = 'config.endpoint must look like grpc://host:2136/Root/testdb (grpcs:// for TLS)';
  let url: URL;
  try {
    url = new URL(endpoint.replace(/^grpc(s?):/, 'http$1:'));
  } catch {
    throw new DefiniteError(format);
  }
  if (!/^grpcs?:\/\//.test(endpoint) || !url.hostname || !url.port) throw new DefiniteError(format);
  const database = url.pathname.length > 1 ? url.pathname : (url.searchParams.get('database') ?? '');
  if (!database.startsWith('/') || database.length < 2) throw new DefiniteError(`${format}: the database path is missing`);
  const num = (key: string, dflt: number): number => {
    const v = config[key] === undefined ? dflt : Number(config[key]);
    if (!Number.isFinite(v) || v <= 0) throw new DefiniteError(`config.${key} must be a positive number`);
    return v;
  };
  const reads = (config.readMode ?? 'serializable') as ReadMode;
  if (!(reads in READ_MODES)) throw new DefiniteError(`config.readMode must be one of ${Object.keys(READ_MODES).join(', ')}`);
  const run = config.run ?? '';
  if (!/^[A-Za-z0-9_]*$/.test(run)) throw new DefiniteError('config.run may hold only letters, digits and _');
  return {
    endpoint,
    database,
    timeoutMs: num('timeoutMs', 4000),
    setupTimeoutMs: num('setupTimeoutMs', 60_000),
    reads,
    run,
    poolMax: Math.floor(num('poolMax', 50)),
    retry: defaultRetryPolicy,
  };
}

// ---- sessions -----------------------------------------------------------------------------

const makeClient = (driver: Driver) => driver.createClient(QueryServiceDefinition);
type QueryClient = ReturnType<typeof makeClient>;
type TxControl = NonNullable<Parameters<QueryClient['executeQuery']>[0]['txControl']>;

function beginTx(mode: TxModeCase, commit: boolean): TxControl {
  return { txSelector: { case: 'beginTx', value: { txMode: { case: mode, value: {} } } }, commitTx: commit };
}

interface Session {
  id: string;
  /** Closes the attach stream, which ends the session on the server. */
  attach: AbortController;
  dead: boolean;
}

/**
 * Query-service sessions, reused: a session lives while its attach stream is open, and the
 * stream ending (node restart, server-side close) marks it dead. A session that saw any error
 * is dropped rather than reused.
 */
class SessionPool {
  private readonly idle: Session[] = [];
  private closed = false;

  constructor(private readonly client: QueryClient, private readonly max: number) {}

  async acquire(signal: AbortSignal): Promise<Session> {
    for (let s = this.idle.pop(); s; s = this.idle.pop()) if (!s.dead) return s;
    return this.open(signal);
  }

  release(s: Session, reusable: boolean): void {
    if (reusable && !s.dead && !this.closed && this.idle.length < this.max) this.idle.push(s);
    else void this.drop(s);
  }

  /** Ends every idle session; those in use end when released. */
  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    await Promise.allSettled(idle.map((s) => this.drop(s)));
  }

  private async open(signal: AbortSignal): Promise<Session> {
    signal.throwIfAborted();
    const res = await this.client.createSession({}, { signal });
    if (res.status !== StatusIds_StatusCode.SUCCESS) throw new YDBError(res.status, res.issues);
    const s: Session = { id: res.sessionId, attach: new AbortController(), dead: false };
    const states = this.client.attachSession({ sessionId: s.id }, { signal: s.attach.signal })[Symbol.asyncIterator]();
    // The stream outlives this call, so the call's signal only guards its first message.
    const onAbort = (): void => s.attach.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      const first = await states.next();
      if (first.done) throw new YDBError(StatusIds_StatusCode.BAD_SESSION, []);
      if (first.value.status !== StatusIds_StatusCode.SUCCESS) throw new YDBError(first.value.status, first.value.issues);
    } catch (err) {
      void this.drop(s);
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    void this.watch(s, states);
    return s;
  }

  private async watch(s: Session, states: AsyncIterator<{ status: StatusIds_StatusCode }>): Promise<void> {
    try {
      for (;;) {
        const next = await states.next();
        if (next.done || next.value.status !== StatusIds_StatusCode.SUCCESS) return;
      }
    } catch {
      // The stream failed: the session is gone either way.
    } finally {
      s.dead = true;
      s.attach.abort();
    }
  }

  private async drop(s: Session): Promise<void> {
    s.dead = true;
    s.attach.abort();
    await this.client.deleteSession({ sessionId: s.id }, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
  }
}

// ---- the store ----------------------------------------------------------------------------

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

export const create: StoreFactory = async (config) => {
  const opts = parseConfig(config);
  try {
    return new YdbBankStore(opts);
  } catch (err) {
    throw new DefiniteError(`cannot open a YDB driver for ${opts.endpoint}: ${describe(err)}`, { cause: err });
  }
};
/** Config keys a notebook may change between cells (see AdapterModule). */
export const settings = ['readMode'] as const;
