// BankStore on FoundationDB through the npm package `foundationdb` (2.0.1, API version ≤ 720) and
// the native client library libfdb_c, which is installed separately. The package is an optional
// dependency and loads libfdb_c when imported, so it is imported inside `create`: this module
// (and its pure parts below) loads anywhere, and a missing library becomes one clear error.
//
// A transfer is ONE FoundationDB transaction: read the ledger key, both balances and both
// versions (one snapshot; the reads add read-conflict ranges, so the commit is serializable),
// then write both balances, both versions (old + 1) and the ledger key. The retry loop is doTransaction's (body, commit, onError), written
// out so the adapter sees each error code: it counts the retries of every call and knows whether
// an earlier attempt's commit may have applied. commit_unknown_result (1021) is retried by onError
// and the client first commits a dummy transaction conflicting with the unknown one, so it can no
// longer land: the next attempt reads the ledger key and answers 'ok' if it did apply (once).
//
// Keys are FDB tuples: ('bank', run, 'acct', id) → balance as a signed 64-bit little-endian
// integer (the format of FDB's atomic add); ('bank', run, 'ver', id) → the account's version
// (lib/store.ts Versions), encoded the same way, 0 at setup and absent counting as 0 (data written
// before versions existed); ('bank', run, 'xfer', id) → tuple (from, to, amount). The run element
// is always present ('' by default), so no run can overlap another. transferCounted reports the
// versions a transfer left only when this call applied it (not when the ledger says an earlier
// attempt did); readVersioned reads balances and versions in one snapshot, and read uses it.
//
// Config keys (all strings): clusterFile (a path) or clusterFileContents (e.g.
// "docker:docker@10.77.0.11:4500,10.77.0.12:4500,10.77.0.13:4500", written to a temp file); with
// neither, the client's default lookup (FDB_CLUSTER_FILE, ./fdb.cluster,
// /etc/foundationdb/fdb.cluster). apiVersion (default 720: the highest this package supports; a
// 7.2 or 7.3 libfdb_c accepts it). timeoutMs (per call, retries included; default 4000). run
// (optional key namespace).
//
// No `settings` export: FoundationDB has one isolation level (strictly serializable), and
// snapshot reads are a per-read choice already used where a read adds nothing to a conflict.
// No `leader()`: the client talks to the whole cluster (coordinators, proxies, storage servers),
// not to one node, and there is no single leader to name.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
import { defaultRetryPolicy } from '../lib/retry.ts';

// ---- the parts of the `foundationdb` package in use ----------------------------------------
// Typed here rather than imported: the package is optional, so type-checking must not need it.

/** The tuple layer (`fdb.tuple`, the fdb-tuple package). */
export interface TupleCodec {
  pack(items: (string | number)[]): Buffer;
  unpack(key: Buffer): unknown[];
}

/** A transaction on raw (Buffer) keys and values. */
export interface KvTxn {
  get(key: Buffer): Promise<Buffer | undefined>;
  set(key: Buffer, value: Buffer): void;
  clearRange(start: Buffer, end: Buffer): void;
  getRangeAll(start: Buffer, end: Buffer): Promise<[Buffer, Buffer][]>;
}

export interface FdbTxn extends KvTxn {
  snapshot(): KvTxn;
  getReadVersion(): Promise<unknown>;
  rawCommit(): Promise<void>;
  /** Resolves after a backoff when `code` may be retried; rejects with the error otherwise. */
  rawOnError(code: number): Promise<void>;
}

/** Transaction options (names as in the package's TransactionOptions). */
export interface TxnOptions {
  timeout: number;
  retry_limit: number;
  max_retry_delay: number;
}

interface FdbDatabase {
  rawCreateTransaction(opts?: TxnOptions): FdbTxn;
  close(): void;
}

interface FdbModule {
  setAPIVersion(version: number): void;
  open(clusterFile?: string, dbOpts?: Record<string, number>): FdbDatabase;
  tuple: TupleCodec;
}

// ---- loading the client --------------------------------------------------------------------

/** What to install, said once for every way loading can fail. */
export const CLIENT_INSTALL_HINT =
  'install the FoundationDB client package 7.3.x (foundationdb-clients_7.3.*_amd64.deb or _aarch64.deb from ' +
  'https://github.com/apple/foundationdb/releases, which puts libfdb_c.so in /usr/lib), or, in the API node ' +
  'image, copy /usr/lib/libfdb_c.so from the foundationdb/foundationdb:7.3.x server image (multi-stage build); ' +
  'its major.minor must match the servers';

/** A plain explanation of why `import('foundationdb')` failed (no stack trace). */
export function missingClientMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /foundationdb/.test(message)) {
    return 'FoundationDB adapter: the npm package "foundationdb" is not installed (it is an optional dependency ' +
      'of bankrun: run npm install without --omit=optional); it also needs libfdb_c: ' + CLIENT_INSTALL_HINT;
  }
  if (/libfdb_c/.test(message)) {
    return `FoundationDB adapter: the native client library libfdb_c.so is missing (${firstLine(message)}): ${CLIENT_INSTALL_HINT}`;
  }
  if (/No native build was found/.test(message)) {
    return 'FoundationDB adapter: the npm package "foundationdb" has no prebuilt binding for this platform ' +
      `(${process.platform}-${process.arch}); build it from source (node-gyp, with the headers of the client package) ` +
      `and ${CLIENT_INSTALL_HINT}`;
  }
  return `FoundationDB adapter: could not load the client (${firstLine(message)}): ${CLIENT_INSTALL_HINT}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** Held in a variable so that type-checking does not look for the optional package. */
const PACKAGE = 'foundationdb';
let loaded: FdbModule | undefined;

/** Imports the package once per process and selects the API version (also once per process). */
async function loadClient(apiVersion: number): Promise<FdbModule> {
  if (!loaded) {
    try {
      const ns = (await import(PACKAGE)) as { default?: FdbModule } & FdbModule;
      loaded = ns.default ?? ns;
    } catch (err) {
      throw new DefiniteError(missingClientMessage(err));
    }
  }
  try {
    loaded.setAPIVersion(apiVersion); // a no-op when already set to the same version
  } catch (err) {
    throw new DefiniteError(`FoundationDB adapter: cannot use API version ${apiVersion}: ${describe(err)}`);
  }
  return loaded;
}

// ---- keys and values -----------------------------------------------------------------------

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

/**
 * What a ledger entry already under this id means: this very transfer was applied earlier ('ok',
 * once; e.g. its commit answered commit_unknown_result and did land); the id moved other money
 * (a definite refusal); or nothing (undefined: go on).
 */
export function ledgerDecision(t: Transfer, entry: LedgerEntry | undefined): 'ok' | undefined {
  if (!entry) return undefined;
  if (entry.from === t.from && entry.to === t.to && entry.amount === t.amount) return 'ok';
  throw new DefiniteError(
    `transfer id ${t.id} is already in the ledger for another transfer (${entry.from} → ${entry.to}: ${entry.amount})`,
  );
}

// ---- classification -----------------------------------------------------------------------

/**
 * What a commit that failed with this error did: applied nothing; may have applied, but the
 * client made sure it can no longer land (so a later read of the ledger settles it); or may have
 * applied or may still apply.
 */
export type CommitOutcome = 'not-applied' | 'maybe-applied' | 'may-apply-later';

export interface FdbErrorRule {
  code: number;
  /** FDB's name (flow/error_definitions.h; https://apple.github.io/foundationdb/api-error-codes.html). */
  name: string;
  /** fdb_error_predicate(RETRYABLE) in libfdb_c 7.2/7.3: onError retries it. */
  retryable: boolean;
  /** When it is the commit's own answer. An error before the commit applied nothing. */
  commit: CommitOutcome;
  why: string;
}

/** Codes the adapter knows. A code not listed, answering a commit, may have applied. */
export const FDB_ERRORS: readonly FdbErrorRule[] = [
  // Retried by onError.
  { code: 1020, name: 'not_committed', retryable: true, commit: 'not-applied', why: 'conflict: the resolver refused the commit' },
  { code: 1007, name: 'transaction_too_old', retryable: true, commit: 'not-applied', why: 'read version older than the 5 s MVCC window: refused' },
  { code: 1009, name: 'future_version', retryable: true, commit: 'not-applied', why: 'storage server behind the read version: refused' },
  { code: 1037, name: 'process_behind', retryable: true, commit: 'not-applied', why: 'storage process behind: refused' },
  { code: 1038, name: 'database_locked', retryable: true, commit: 'not-applied', why: 'database locked: refused' },
  { code: 1042, name: 'commit_proxy_memory_limit_exceeded', retryable: true, commit: 'not-applied', why: 'commit proxy out of memory: refused before batching' },
  { code: 1078, name: 'grv_proxy_memory_limit_exceeded', retryable: true, commit: 'not-applied', why: 'read-version proxy out of memory: refused' },
  { code: 1051, name: 'batch_transaction_throttled', retryable: true, commit: 'not-applied', why: 'throttled: refused' },
  { code: 1213, name: 'tag_throttled', retryable: true, commit: 'not-applied', why: 'throttled: refused' },
  { code: 1021, name: 'commit_unknown_result', retryable: true, commit: 'maybe-applied', why: 'commit sent, answer lost; a conflicting dummy commit made sure it cannot land later' },
  { code: 1039, name: 'cluster_version_changed', retryable: true, commit: 'may-apply-later', why: 'multi-version client switched protocol during the commit: it may still land' },
  // Not retried: they end the call.
  { code: 1031, name: 'transaction_timed_out', retryable: false, commit: 'may-apply-later', why: 'our timeout cancelled the commit in flight: it may still land' },
  { code: 1025, name: 'transaction_cancelled', retryable: false, commit: 'may-apply-later', why: 'cancelled with the commit in flight' },
  { code: 1101, name: 'operation_cancelled', retryable: false, commit: 'may-apply-later', why: 'cancelled with the commit in flight' },
  { code: 1004, name: 'timed_out', retryable: false, commit: 'may-apply-later', why: 'no answer in time' },
  { code: 1030, name: 'request_maybe_delivered', retryable: false, commit: 'may-apply-later', why: 'the commit request may have arrived' },
  { code: 1022, name: 'commit_unknown_result_fatal', retryable: false, commit: 'may-apply-later', why: 'idempotency id expired: the outcome cannot be found out' },
  { code: 1100, name: 'broken_promise', retryable: false, commit: 'may-apply-later', why: 'the server side of the request went away' },
  { code: 4000, name: 'unknown_error', retryable: false, commit: 'may-apply-later', why: 'unknown' },
  { code: 4100, name: 'internal_error', retryable: false, commit: 'may-apply-later', why: 'internal error: nothing can be said' },
  { code: 2101, name: 'transaction_too_large', retryable: false, commit: 'not-applied', why: 'over 10 MB: the client refuses to send it' },
  { code: 2102, name: 'key_too_large', retryable: false, commit: 'not-applied', why: 'checked by the client' },
  { code: 2103, name: 'value_too_large', retryable: false, commit: 'not-applied', why: 'checked by the client' },
  { code: 2023, name: 'transaction_read_only', retryable: false, commit: 'not-applied', why: 'checked by the client' },
  { code: 2004, name: 'key_outside_legal_range', retryable: false, commit: 'not-applied', why: 'checked by the client' },
  { code: 2000, name: 'client_invalid_operation', retryable: false, commit: 'not-applied', why: 'invalid API call: refused by the client' },
  { code: 2006, name: 'invalid_option_value', retryable: false, commit: 'not-applied', why: 'refused by the client' },
  { code: 2007, name: 'invalid_option', retryable: false, commit: 'not-applied', why: 'refused by the client' },
  { code: 1036, name: 'accessed_unreadable', retryable: false, commit: 'not-applied', why: 'refused by the client' },
  { code: 2104, name: 'connection_string_invalid', retryable: false, commit: 'not-applied', why: 'bad cluster file: nothing can be sent' },
  { code: 1515, name: 'no_cluster_file_found', retryable: false, commit: 'not-applied', why: 'no cluster file: nothing can be sent' },
  { code: 2203, name: 'api_version_not_supported', retryable: false, commit: 'not-applied', why: 'libfdb_c older than the API version: nothing can be sent' },
];

const RULES = new Map(FDB_ERRORS.map((r) => [r.code, r]));

export function ruleFor(code: number): FdbErrorRule | undefined {
  return RULES.get(code);
}

/** The FDB error code of `err` (FDBError carries a numeric one; Node's system errors a string). */
export function fdbCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'number' ? code : undefined;
}

/** Whether an earlier attempt of this call may have applied, and what can settle it. */
export type Doubt = 'none' | 'ledger' | 'open';

/** What one call learnt from its attempts: the retries, and what the last failure tells. */
export class CallTrack {
  retries = 0;
  /** Where the last attempt failed: its reads and writes (nothing sent yet), or its commit. */
  failedIn: 'body' | 'commit' = 'body';
  /** The last attempt's own FDB error code (onError may end the call with another: timeout). */
  code: number | undefined;
  doubt: Doubt = 'none';

  /** An attempt read the ledger key: whatever it found settles a retried commit_unknown_result. */
  ledgerSeen(): void {
    if (this.doubt === 'ledger') this.doubt = 'none';
  }

  /** onError accepted `code` from a commit: the attempt may have applied (1021, 1039). */
  retriedCommit(code: number): void {
    const outcome = ruleFor(code)?.commit ?? 'may-apply-later';
    if (outcome === 'may-apply-later') this.doubt = 'open';
    else if (outcome === 'maybe-applied' && this.doubt === 'none') this.doubt = 'ledger';
  }
}

/**
 * The retry loop of doTransaction (run the body, commit, hand FDB errors to onError, which backs
 * off or rethrows), recording in `track` what classification needs. Errors that are not FDB's
 * (insufficient funds is a result, not an error; an id used for other money is a DefiniteError)
 * end the loop without committing.
 */
export async function runAttempts<T>(tn: Pick<FdbTxn, 'rawCommit' | 'rawOnError'>, track: CallTrack, body: () => Promise<T>): Promise<T> {
  for (;;) {
    let phase: 'body' | 'commit' = 'body';
    try {
      const value = await body();
      phase = 'commit';
      await tn.rawCommit();
      return value;
    } catch (err) {
      track.failedIn = phase;
      const code = fdbCode(err);
      track.code = code;
      if (code === undefined) throw err;
      await tn.rawOnError(code); // rejects when not retryable, past the retry limit or timed out
      if (phase === 'commit') track.retriedCommit(code);
      track.retries++;
    }
  }
}

/**
 * A failed write call. Doubt left by a retried commit makes it indeterminate. Otherwise a failure
 * in the body sent nothing (a read-only or unsent transaction commits nothing); a failed commit
 * is classified by its own error code in FDB_ERRORS; an unknown one may have applied.
 */
export function classifyWrite(err: unknown, track: CallTrack): DefiniteError | IndeterminateError {
  const attempts = `${track.retries + 1} attempt${track.retries ? 's' : ''}`;
  if (track.doubt !== 'none') {
    const why = track.doubt === 'ledger' ? 'a retried commit_unknown_result was not settled by a later read' : 'a retried commit may still land';
    return new IndeterminateError(`outcome unknown after ${attempts}: ${why} (${describe(err)})`, { cause: err });
  }
  if (err instanceof DefiniteError || err instanceof IndeterminateError) return err;
  if (track.failedIn === 'body') {
    return new DefiniteError(`not applied: failed before commit after ${attempts} (${describe(err)})`, { cause: err });
  }
  const rule = track.code === undefined ? undefined : ruleFor(track.code);
  const seen = track.code !== undefined && track.code !== fdbCode(err) ? `commit answered ${track.code}, then ` : '';
  const detail = `${rule ? `${rule.name}: ${rule.why}` : 'unclassified commit error'}; ${seen}${describe(err)}`;
  return rule?.commit === 'not-applied'
    ? new DefiniteError(`not applied after ${attempts} (${detail})`, { cause: err })
    : new IndeterminateError(`outcome unknown after ${attempts} (${detail})`, { cause: err });
}

/** Reads change nothing: definite, except no answer in time (as in etcd.ts and postgres.ts). */
export function classifyRead(err: unknown): DefiniteError | IndeterminateError {
  if (err instanceof DefiniteError || err instanceof IndeterminateError) return err;
  const code = fdbCode(err);
  if (code === 1031 || code === 1004) return new IndeterminateError(`read timed out: ${describe(err)}`, { cause: err });
  return new DefiniteError(`read failed: ${describe(err)}`, { cause: err });
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = fdbCode(err);
  if (code === undefined) return `${err.name}: ${err.message}`;
  const rule = ruleFor(code);
  return `FDB error ${code}${rule ? ` ${rule.name}` : ''}: ${err.message}`;
}

// ---- one transfer, on any transaction ------------------------------------------------------

/** What one attempt did: versions only when it wrote the transfer (its commit may still fail). */
export interface AttemptResult {
  result: TransferResult;
  versions?: Versions;
}

/**
 * One attempt of a transfer. The ledger key, both balances and both versions are read at once:
 * one round trip, one snapshot, so it is the same as reading the ledger first. Insufficient funds
 * and a known id return without writing (the commit of a read-only transaction sends nothing) and
 * without versions: a known id was applied by an earlier attempt or call, not by this one.
 */
export async function transferAttempt(tn: KvTxn, layout: Layout, t: Transfer, track?: CallTrack): Promise<AttemptResult> {
  const [entry, from, to, fromVer, toVer] = await Promise.all([
    tn.get(layout.ledgerKey(t.id)),
    tn.get(layout.accountKey(t.from)),
    tn.get(layout.accountKey(t.to)),
    tn.get(layout.versionKey(t.from)),
    tn.get(layout.versionKey(t.to)),
  ]);
  track?.ledgerSeen();
  const known = ledgerDecision(t, entry === undefined ? undefined : layout.decodeEntry(entry));
  if (known) return { result: known };
  if (from === undefined || to === undefined) throw new DefiniteError(`unknown account in transfer ${t.id}`);
  const fromBalance = decodeAmount(from);
  const toBalance = decodeAmount(to);
  if (fromBalance < t.amount) return { result: 'insufficient' };
  const versions = { [t.from]: decodeVersion(fromVer) + 1, [t.to]: decodeVersion(toVer) + 1 };
  tn.set(layout.accountKey(t.from), encodeAmount(fromBalance - t.amount));
  tn.set(layout.accountKey(t.to), encodeAmount(toBalance + t.amount));
  tn.set(layout.versionKey(t.from), encodeAmount(versions[t.from]!));
  tn.set(layout.versionKey(t.to), encodeAmount(versions[t.to]!));
  tn.set(layout.ledgerKey(t.id), layout.encodeEntry(t));
  return { result: 'ok', versions };
}

// ---- config -------------------------------------------------------------------------------

/** The highest API version the `foundationdb` 2.0.1 package supports. */
export const MAX_API_VERSION = 720;

export interface FdbStoreOptions {
  clusterFile?: string;
  clusterFileContents?: string;
  apiVersion: number;
  timeoutMs: number;
  run: string;
  /** onError retries per call; the timeout bounds the call anyway. */
  retryLimit: number;
  /** Longest backoff between attempts. */
  maxRetryDelayMs: number;
}

/** description:ID@address:port[,address:port...], addresses optionally with :tls. */
const CLUSTER_STRING = /^\w+:\w+@[^\s,@]+:\d+(:tls)?(,[^\s,@]+:\d+(:tls)?)*$/;

/** Parses the string config of a StoreFactory; a bad value is a definite error. */
export function parseConfig(config: Record<string, string>): FdbStoreOptions {
  const { clusterFile, clusterFileContents } = config;
  if (clusterFile !== undefined && clusterFileContents !== undefined) {
    throw new DefiniteError('config: give clusterFile or clusterFileContents, not both');
  }
  if (clusterFile !== undefined && clusterFile.trim() === '') throw new DefiniteError('config.clusterFile must be a path');
  const contents = clusterFileContents?.trim();
  if (contents !== undefined && !CLUSTER_STRING.test(contents)) {
    throw new DefiniteError('config.clusterFileContents must look like docker:docker@10.77.0.11:4500,10.77.0.12:4500');
  }
  const apiVersion = config.apiVersion === undefined ? MAX_API_VERSION : Number(config.apiVersion);
  // 610 and up keep the timeout across onError, which bounds a whole call.
  if (!Number.isInteger(apiVersion) || apiVersion < 610 || apiVersion > MAX_API_VERSION) {
    throw new DefiniteError(`config.apiVersion must be an integer in 610..${MAX_API_VERSION}`);
  }
  const timeoutMs = config.timeoutMs === undefined ? 4000 : Number(config.timeoutMs);
  // FDB's timeout option is a C int of milliseconds.
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > 2 ** 31 - 1) {
    throw new DefiniteError('config.timeoutMs must be a positive integer');
  }
  const run = config.run ?? '';
  if (!/^[\w.-]*$/.test(run)) throw new DefiniteError('config.run may hold only letters, digits, _ . -');
  return {
    clusterFile,
    clusterFileContents: contents,
    apiVersion,
    timeoutMs,
    run,
    retryLimit: defaultRetryPolicy.maxRetries,
    maxRetryDelayMs: defaultRetryPolicy.capMs,
  };
}

// ---- the store ----------------------------------------------------------------------------

/** ping() waits at most this long: the API node's /health gives it 1 s. */
const PING_TIMEOUT_MS = 1000;

export class FdbBankStore implements CountingBankStore {
  private retryCount = 0;
  private closed = false;

  constructor(
    private readonly db: FdbDatabase,
    readonly layout: Layout,
    readonly opts: FdbStoreOptions,
    /** A temp dir holding the cluster file written from clusterFileContents; removed on close. */
    private readonly tempDir?: string,
  ) {}

  /**
   * One transaction: the account, version and ledger ranges cleared, every account set with
   * version 0. Blind writes: a retry is harmless.
   */
  async setup(accounts: Balances): Promise<void> {
    const entries = Object.entries(accounts);
    for (const [id, b] of entries) {
      if (!Number.isSafeInteger(b) || b < 0) throw new DefiniteError(`balance of ${id} must be a non-negative safe integer`);
    }
    const track = new CallTrack();
    try {
      const tn = this.begin();
      await runAttempts(tn, track, async () => {
        for (const kind of ['acct', 'ver', 'xfer'] as const) {
          const { begin, end } = this.layout.range(kind);
          tn.clearRange(begin, end);
        }
        for (const [id, b] of entries) {
          tn.set(this.layout.accountKey(id), encodeAmount(b));
          tn.set(this.layout.versionKey(id), encodeAmount(0));
        }
      });
    } catch (err) {
      throw classifyWrite(err, track);
    }
  }

  async transfer(t: Transfer): Promise<TransferResult> {
    return (await this.transferCounted(t)).result;
  }

  async transferCounted(t: Transfer): Promise<CountedTransfer> {
    const invalid = invalidTransfer(t);
    if (invalid) throw new DefiniteError(`invalid transfer ${t.id}: ${invalid}`);
    const track = new CallTrack();
    try {
      const tn = this.begin();
      // The last attempt's versions: it committed, so this call applied the transfer.
      const { result, versions } = await runAttempts(tn, track, () => transferAttempt(tn, this.layout, t, track));
      return versions ? { result, retries: track.retries, versions } : { result, retries: track.retries };
    } catch (err) {
      throw withRetryCount(classifyWrite(err, track), track.retries);
    } finally {
      this.retryCount += track.retries;
    }
  }

  /** The balances of readVersioned: one snapshot. */
  async read(): Promise<Balances> {
    return (await this.readVersioned()).balances;
  }

  /**
   * Snapshot range reads of the accounts and their versions in one transaction: one read
   * version. Every account gets a version; a missing version key counts as 0.
   */
  async readVersioned(): Promise<{ balances: Balances; versions: Versions }> {
    return this.reading(this.opts.timeoutMs, async (tn) => {
      const snap = tn.snapshot();
      const [acct, ver] = await Promise.all([snap.getRangeAll(...this.bounds('acct')), snap.getRangeAll(...this.bounds('ver'))]);
      const balances = this.balances(acct);
      const stored = new Map(ver.map(([k, v]) => [this.layout.idOf('ver', k), decodeVersion(v)]));
      return { balances, versions: Object.fromEntries(Object.keys(balances).map((id) => [id, stored.get(id) ?? 0])) };
    });
  }

  /**
   * Accounts and ledger in one transaction (one read version). FDB serves a read version for
   * about 5 s and the call has timeoutMs, so this holds for ledgers that read within that
   * (millions of small keys on a local cluster; the notebooks write about 10^5). Paging over
   * several transactions would lose the single snapshot, so it is not done: a larger ledger
   * fails (transaction_too_old, retried until the timeout) rather than answer inconsistently.
   */
  async audit(): Promise<Audit> {
    return this.reading(this.opts.timeoutMs, async (tn) => {
      const snap = tn.snapshot();
      const [acct, xfer] = await Promise.all([snap.getRangeAll(...this.bounds('acct')), snap.getRangeAll(...this.bounds('xfer'))]);
      return { balances: this.balances(acct), transfers: xfer.map(([k]) => this.layout.idOf('xfer', k)) };
    });
  }

  retries(): number {
    return this.retryCount;
  }

  /** A read version: answered only when the cluster is up and recovered. */
  async ping(): Promise<void> {
    await this.reading(Math.min(this.opts.timeoutMs, PING_TIMEOUT_MS), (tn) => tn.getReadVersion());
  }

  /** Closes this database handle; the client's network thread is per process and stays. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
  }

  /** A transaction whose timeout covers all its attempts (API ≥ 610 keeps it across onError). */
  private begin(timeoutMs = this.opts.timeoutMs): FdbTxn {
    if (this.closed) throw new DefiniteError('the store is closed');
    return this.db.rawCreateTransaction({ timeout: timeoutMs, retry_limit: this.opts.retryLimit, max_retry_delay: this.opts.maxRetryDelayMs });
  }

  private async reading<T>(timeoutMs: number, body: (tn: FdbTxn) => Promise<T>): Promise<T> {
    try {
      const tn = this.begin(timeoutMs);
      return await runAttempts(tn, new CallTrack(), () => body(tn));
    } catch (err) {
      throw classifyRead(err);
    }
  }

  private bounds(kind: Kind): [Buffer, Buffer] {
    const { begin, end } = this.layout.range(kind);
    return [begin, end];
  }

  private balances(kvs: [Buffer, Buffer][]): Balances {
    return Object.fromEntries(kvs.map(([k, v]) => [this.layout.idOf('acct', k), decodeAmount(v)]));
  }
}

export const create: StoreFactory = async (config) => {
  const opts = parseConfig(config);
  const fdb = await loadClient(opts.apiVersion);
  let clusterFile = opts.clusterFile;
  let tempDir: string | undefined;
  if (opts.clusterFileContents !== undefined) {
    // Its own directory: the client may rewrite the file (coordinator changes).
    tempDir = await mkdtemp(path.join(tmpdir(), 'bankrun-fdb-'));
    clusterFile = path.join(tempDir, 'fdb.cluster');
    await writeFile(clusterFile, `${opts.clusterFileContents}\n`);
  }
  let db: FdbDatabase;
  try {
    // Database-wide defaults too, so no transaction of this handle can outlive the deadline.
    db = fdb.open(clusterFile, {
      transaction_timeout: opts.timeoutMs,
      transaction_retry_limit: opts.retryLimit,
      transaction_max_retry_delay: opts.maxRetryDelayMs,
    });
  } catch (err) {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw new DefiniteError(`FoundationDB adapter: cannot open the database (cluster file ${clusterFile ?? 'default'}): ${describe(err)}`);
  }
  return new FdbBankStore(db, new Layout(fdb.tuple, opts.run), opts, tempDir);
};
