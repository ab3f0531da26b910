// BankStore on etcd v3 through the `etcd3` client (grpc-js). etcd has no server-side arithmetic,
// so a transfer is optimistic: read both accounts and the ledger key (one read-only txn, one
// snapshot), then ONE write txn guarded by both accounts' mod_revision and the ledger key's
// absence. A failed guard applied nothing: its failure branch returns the ledger key, which says
// whether this very transfer is in already ('ok'), the id moved other money (definite), or
// another transfer got in between (a conflict: retried here, counted, jittered, bounded).
//
// Keys (base `bank/` or `bank/<run>/`): `<base>accounts/<id>` → balance as a decimal string;
// `<base>ledger/<transferId>` → JSON {from,to,amount}.
//
// Config keys (all strings): endpoints (comma-separated URLs; the API node names ONE node),
// timeoutMs (deadline of every call, default 4000), readMode (linearizable | serializable, for
// read(); default linearizable), run (optional key namespace).
//
// The client does not retry anything itself (its default policy retries "recoverable" errors,
// deadline and unavailable included, which would re-send writes) and has no circuit breaker (it
// would refuse calls for 5 s after a restart): retries are this adapter's, conflicts only.
import {
  ClientClosedError,
  CompareResult,
  CompareTarget,
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdPermissionDeniedError,
  Etcd3,
  GRPCAbortedError,
  GRPCAlreadyExistsError,
  GRPCCancelledError,
  GRPCDataLossError,
  GRPCDeadlineExceededError,
  GRPCFailedPreconditionError,
  GRPCInternalError,
  GRPCInvalidArgumentError,
  GRPCNotFoundError,
  GRPCNotImplementedError,
  GRPCOutOfRangeError,
  GRPCResourceExhastedError,
  GRPCUnauthenticatedError,
  GRPCUnavailableError,
  GRPCUnknownError,
  Range,
  type IKeyValue,
  type IOptions,
  type IRequestOp,
  type ITxnRequest,
} from 'etcd3';
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
  type LedgerEntry,
  type StoreFactory,
  type Transfer,
  type TransferResult,
  type Versions,
} from '../lib/store.ts';
import { defaultRetryPolicy, withRetries, type RetryPolicy } from '../lib/retry.ts';

// ---- classification -----------------------------------------------------------------------

export type ErrorOutcome = 'definite' | 'indeterminate';

export interface ErrorRule {
  /** etcd3's error class (it casts grpc-js errors by status code, dropping the code itself). */
  error: abstract new (...args: never[]) => Error;
  /** A substring of the message that refines the class; the first matching rule wins. */
  message?: string;
  outcome: ErrorOutcome;
  why: string;
}

/**
 * How a failed WRITE txn is classified. Messages look like "14 UNAVAILABLE: <details>"; the
 * details come from grpc-js (client side) or from etcd ("etcdserver: ..."). Refining rules come
 * before the class-wide ones. An error no rule matches is indeterminate (see classifyWrite).
 */
export const WRITE_ERRORS: readonly ErrorRule[] = [
  // Never sent: grpc-js had no connection to put the call on.
  { error: GRPCUnavailableError, message: 'No connection established', outcome: 'definite', why: 'no connection to pick: the call was never written' },
  { error: GRPCUnavailableError, message: 'Channel closed before call started', outcome: 'definite', why: 'queued call dropped when its channel closed' },
  { error: GRPCUnavailableError, message: 'Stream refused by server', outcome: 'definite', why: 'HTTP/2 REFUSED_STREAM: the server guarantees it did not process it' },
  // Refused by etcd before the request is proposed to raft.
  { error: GRPCResourceExhastedError, message: 'etcdserver: too many requests', outcome: 'definite', why: 'apply lags commit: refused before proposing' },
  // Proposed to raft, outcome not seen.
  { error: GRPCUnavailableError, message: 'etcdserver: request timed out', outcome: 'indeterminate', why: 'proposed, not applied within the server timeout: may still commit' },
  { error: GRPCUnavailableError, message: 'etcdserver: leader changed', outcome: 'indeterminate', why: 'proposed under the old leader: may still commit' },
  { error: GRPCDeadlineExceededError, outcome: 'indeterminate', why: 'our deadline passed: the request may be applied without an answer' },
  { error: GRPCUnavailableError, outcome: 'indeterminate', why: 'connection dropped or reset during the call, server stopping, no leader' },
  { error: GRPCCancelledError, outcome: 'indeterminate', why: 'cancelled mid-call (a connection drop can look like a cancel)' },
  { error: GRPCInternalError, outcome: 'indeterminate', why: 'stream ended without a status: the answer was lost' },
  { error: GRPCUnknownError, outcome: 'indeterminate', why: 'unknown status after sending' },
  { error: GRPCAbortedError, outcome: 'indeterminate', why: 'etcd does not use it for txns: unknown meaning' },
  { error: GRPCDataLossError, outcome: 'indeterminate', why: 'corrupt cluster: nothing can be said' },
  // Refused: validated, checked or rejected without applying anything.
  { error: GRPCResourceExhastedError, outcome: 'definite', why: 'quota (database space exceeded) or client-side message limits: refused' },
  { error: GRPCInvalidArgumentError, outcome: 'definite', why: 'too many ops, request too large, duplicate key: validated before proposing' },
  { error: GRPCFailedPreconditionError, outcome: 'definite', why: 'not leader / precondition: refused' },
  { error: GRPCOutOfRangeError, outcome: 'definite', why: 'compacted or future revision: refused' },
  { error: GRPCNotFoundError, outcome: 'definite', why: 'refused' },
  { error: GRPCAlreadyExistsError, outcome: 'definite', why: 'refused' },
  { error: GRPCNotImplementedError, outcome: 'definite', why: 'no such RPC on this server: refused' },
  { error: GRPCUnauthenticatedError, outcome: 'definite', why: 'auth checked before applying: refused' },
  { error: EtcdPermissionDeniedError, outcome: 'definite', why: 'permission denied: refused' },
  { error: EtcdAuthenticationFailedError, outcome: 'definite', why: 'authentication failed: refused' },
  { error: EtcdInvalidAuthTokenError, outcome: 'definite', why: 'token refused' },
  { error: ClientClosedError, outcome: 'definite', why: 'our client was closed: nothing sent' },
];

/** The first rule that matches `err`, or undefined. */
export function ruleFor(err: unknown): ErrorRule | undefined {
  if (!(err instanceof Error)) return undefined;
  return WRITE_ERRORS.find((r) => err instanceof r.error && (r.message === undefined || err.message.includes(r.message)));
}

/** A failed write txn: the table decides; anything it does not know may have been applied. */
export function classifyWrite(err: unknown): DefiniteError | IndeterminateError {
  if (err instanceof DefiniteError || err instanceof IndeterminateError) return err;
  const rule = ruleFor(err);
  const message = `${rule ? rule.why : 'unclassified error'}: ${describe(err)}`;
  return rule?.outcome === 'definite'
    ? new DefiniteError(`not applied (${message})`, { cause: err })
    : new IndeterminateError(`outcome unknown (${message})`, { cause: err });
}

/** Reads change nothing: definite, except no answer in time ('info', as in postgres.ts). */
export function classifyRead(err: unknown): DefiniteError | IndeterminateError {
  if (err instanceof DefiniteError || err instanceof IndeterminateError) return err;
  if (err instanceof GRPCDeadlineExceededError) return new IndeterminateError(`read timed out: ${describe(err)}`, { cause: err });
  return new DefiniteError(`read failed: ${describe(err)}`, { cause: err });
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
}

// ---- conflicts -----------------------------------------------------------------------------

/** The guard of a write failed because another transfer got in between: nothing was applied. */
export class Conflict extends Error {
  constructor() {
    super('conflicting transfer');
    this.name = 'Conflict';
  }
}

// ---- config -------------------------------------------------------------------------------

export type ReadMode = 'linearizable' | 'serializable';

export interface EtcdStoreOptions {
  endpoints: string[];
  timeoutMs: number;
  reads: ReadMode;
  /** Key namespace under `bank/`; '' for none. */
  run: string;
  retry: RetryPolicy;
}

/** Parses the string config of a StoreFactory; a bad value is a definite error. */
export function parseConfig(config: Record<string, string>): EtcdStoreOptions {
  const endpoints = (config.endpoints ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (endpoints.length === 0 || !endpoints.every((e) => /^https?:\/\/[^/]+$/.test(e))) {
    throw new DefiniteError('config.endpoints must be comma-separated URLs like http://10.77.0.11:2379');
  }
  const timeoutMs = config.timeoutMs === undefined ? 4000 : Number(config.timeoutMs);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new DefiniteError('config.timeoutMs must be a positive number');
  const reads = (config.readMode ?? 'linearizable') as ReadMode;
  if (reads !== 'linearizable' && reads !== 'serializable') throw new DefiniteError('config.readMode must be linearizable or serializable');
  const run = config.run ?? '';
  if (!/^[\w.-]*$/.test(run)) throw new DefiniteError('config.run may hold only letters, digits, _ . -');
  // bank/accounts/ and bank/ledger/ are the keys of the default (empty) namespace.
  if (run === 'accounts' || run === 'ledger') throw new DefiniteError(`config.run cannot be ${run}: it would overlap the default keys`);
  return { endpoints, timeoutMs, reads, run, retry: defaultRetryPolicy };
}

// ---- the store ----------------------------------------------------------------------------

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** Calls straight through: no retry, no circuit breaker (cockatiel's Policy.noop, without the import). */
const passThrough: Policy = {
  _altReturn: undefined as never,
  onSuccess: () => ({ dispose: () => undefined }),
  onFailure: () => ({ dispose: () => undefined }),
  execute: async (fn) => fn({ signal: new AbortController().signal }),
};

/** Ledger ids per page in audit(): keeps each response far below grpc's 4 MiB limit. */
const LEDGER_PAGE = 10_000;

export class EtcdBankStore implements CountingBankStore {
  /** Public for tests, as PgBankStore's pool is. */
  readonly client: Etcd3;
  private readonly base: string;
  private retryCount = 0;

  constructor(readonly opts: EtcdStoreOptions) {
    this.base = opts.run ? `bank/${opts.run}/` : 'bank/';
    this.client = new Etcd3({
      hosts: opts.endpoints,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + opts.timeoutMs }),
      faultHandling: { host: () => passThrough, global: passThrough },
      // Reconnect quickly after a restart; grpc-js backs off up to 120 s by default.
      grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1_000 },
    });
  }

  /**
   * One txn: delete the namespace except the given account keys, then put every account. It
   * takes 2n+2 ops for n accounts, so etcd's default --max-txn-ops 128 allows 63 accounts.
   */
  async setup(accounts: Balances): Promise<void> {
    for (const [id, b] of Object.entries(accounts)) {
      if (!Number.isSafeInteger(b) || b < 0) throw new DefiniteError(`balance of ${id} must be a non-negative safe integer`);
    }
    const keys = Object.keys(accounts).map((id) => this.accountKey(id)).sort(Buffer.compare);
    const puts: IRequestOp[] = Object.entries(accounts).map(([id, b]) => ({ request_put: { key: this.accountKey(id), value: Buffer.from(String(b)) } }));
    const deletes = gapsAround(this.accounts(), keys);
    deletes.push(this.ledger());
    const success = [...deletes.map((r) => ({ request_delete_range: { key: r.start, range_end: r.end } })), ...puts];
    try {
      await this.client.kv.txn({ success });
    } catch (err) {
      throw classifyWrite(err);
    }
  }

  async transfer(t: Transfer): Promise<TransferResult> {
    return (await this.transferCounted(t)).result;
  }

  async transferCounted(t: Transfer): Promise<CountedTransfer> {
    const invalid = invalidTransfer(t);
    if (invalid) throw new DefiniteError(`invalid transfer ${t.id}: ${invalid}`);
    try {
      const { value, retries } = await withRetries(this.opts.retry, (e) => e instanceof Conflict, () => this.transferOnce(t), () => this.retryCount++);
      return { ...value, retries };
    } catch (err) {
      // Giving up on conflicts is definite: none of the attempts applied anything.
      if (err instanceof Conflict) throw withRetryCount(new DefiniteError(`gave up after ${retriesOf(err) + 1} conflicting attempts`), retriesOf(err));
      throw err;
    }
  }

  async read(): Promise<Balances> {
    return (await this.readVersioned()).balances;
  }

  /**
   * One range over the accounts: one revision, so one consistent snapshot. A key's etcd
   * `version` counts its writes, so it is the account's version (lib/store.ts Versions).
   */
  async readVersioned(): Promise<{ balances: Balances; versions: Versions }> {
    const acc = this.accounts();
    try {
      const res = await this.client.kv.range({ key: acc.start, range_end: acc.end, serializable: this.opts.reads === 'serializable' });
      const prefix = this.accountKey('').length;
      return { balances: this.toBalances(res.kvs), versions: Object.fromEntries(res.kvs.map((kv) => [kv.key.toString().slice(prefix), Number(kv.version)])) };
    } catch (err) {
      throw classifyRead(err);
    }
  }

  /** Accounts (linearizable), then the ledger at the same revision, paged: one snapshot. */
  async audit(): Promise<Audit> {
    const acc = this.accounts();
    try {
      const res = await this.client.kv.range({ key: acc.start, range_end: acc.end });
      return { balances: this.toBalances(res.kvs), transfers: await this.ledgerIdsAt(res.header.revision) };
    } catch (err) {
      throw classifyRead(err);
    }
  }

  retries(): number {
    return this.retryCount;
  }

  /** Maintenance status needs no leader and no data: "the node answers at all". */
  async ping(): Promise<void> {
    try {
      await this.client.maintenance.status({ deadline: Date.now() + Math.min(this.opts.timeoutMs, 2_000) });
    } catch (err) {
      throw classifyRead(err);
    }
  }

  /** The member this node believes leads, by its --name (bankrun starts members as n1, n2, …). */
  async leader(): Promise<string | undefined> {
    const deadline = () => Date.now() + Math.min(this.opts.timeoutMs, 2_000);
    try {
      const status = await this.client.maintenance.status({ deadline: deadline() });
      if (!status.leader || status.leader === '0') return undefined;
      const { members } = await this.client.cluster.memberList({ linearizable: false }, { deadline: deadline() });
      return members.find((m) => m.ID === status.leader)?.name || undefined;
    } catch (err) {
      throw classifyRead(err);
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }

  /** One read, then one guarded write; throws Conflict when another transfer changed an account first. */
  private async transferOnce(t: Transfer): Promise<{ result: TransferResult; versions?: Versions }> {
    const [from, to, entry] = await this.readForTransfer(t);
    const settled = ledgerAnswer(t, entry);
    if (settled) return { result: settled };
    if (!from || !to) throw new DefiniteError(`unknown account in transfer ${t.id}`);
    const fromBalance = this.balanceOf(from);
    if (fromBalance < t.amount) return { result: 'insufficient' };
    const ledgerKey = this.ledgerKey(t.id);
    const req: ITxnRequest = {
      compare: [
        { key: from.key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: from.mod_revision },
        { key: to.key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: to.mod_revision },
        { key: ledgerKey, target: CompareTarget.Version, result: CompareResult.Equal, version: 0 },
      ],
      success: [
        { request_put: { key: from.key, value: Buffer.from(String(fromBalance - t.amount)) } },
        { request_put: { key: to.key, value: Buffer.from(String(this.balanceOf(to) + t.amount)) } },
        { request_put: { key: ledgerKey, value: Buffer.from(JSON.stringify({ from: t.from, to: t.to, amount: t.amount })) } },
      ],
      failure: [{ request_range: { key: ledgerKey } }],
    };
    let res;
    try {
      res = await this.client.kv.txn(req);
    } catch (err) {
      throw classifyWrite(err);
    }
    // The guard held, so this write is each account's next one: its version is one more.
    if (res.succeeded) return { result: 'ok', versions: { [t.from]: Number(from.version) + 1, [t.to]: Number(to.version) + 1 } };
    const answer = ledgerAnswer(t, res.responses[0]?.response_range.kvs[0]);
    if (answer === undefined) throw new Conflict();
    return { result: answer };
  }

  /**
   * Both accounts and the ledger key in one read-only txn (one snapshot, linearizable). It
   * writes nothing, and no earlier attempt of this call applied anything (a conflict applies
   * nothing, an unclear write is never retried), so any failure here is definite.
   */
  private async readForTransfer(t: Transfer): Promise<(IKeyValue | undefined)[]> {
    const keys = [this.accountKey(t.from), this.accountKey(t.to), this.ledgerKey(t.id)];
    try {
      const res = await this.client.kv.txn({ success: keys.map((key) => ({ request_range: { key } })) });
      return res.responses.map((r) => r.response_range.kvs[0]);
    } catch (err) {
      throw new DefiniteError(`not applied: the read before the write failed (${describe(err)})`, { cause: err });
    }
  }

  /** Ledger keys only (ids), page by page at one revision. */
  private async ledgerIdsAt(revision: string): Promise<string[]> {
    const { start, end } = this.ledger();
    const prefix = this.ledgerKey('').length;
    const ids: string[] = [];
    for (let key = start; ; ) {
      const page = await this.client.kv.range({ key, range_end: end, revision, keys_only: true, limit: LEDGER_PAGE });
      for (const kv of page.kvs) ids.push(kv.key.toString().slice(prefix));
      if (!page.more || page.kvs.length === 0) return ids;
      key = Buffer.concat([page.kvs[page.kvs.length - 1]!.key, Buffer.from([0])]); // the next key after the last
    }
  }

  private toBalances(kvs: IKeyValue[]): Balances {
    const prefix = this.accountKey('').length;
    return Object.fromEntries(kvs.map((kv) => [kv.key.toString().slice(prefix), this.balanceOf(kv)]));
  }

  private balanceOf(kv: IKeyValue): number {
    const n = Number(kv.value.toString());
    if (!Number.isSafeInteger(n)) throw new DefiniteError(`corrupt balance at ${kv.key.toString()}: ${kv.value.toString()}`);
    return n;
  }

  private accountKey(id: string): Buffer {
    return Buffer.from(`${this.base}accounts/${id}`);
  }

  private ledgerKey(id: string): Buffer {
    return Buffer.from(`${this.base}ledger/${id}`);
  }

  private accounts(): Range {
    return Range.prefix(this.accountKey(''));
  }

  private ledger(): Range {
    return Range.prefix(this.ledgerKey(''));
  }
}

/**
 * What a ledger entry already under this id means: this very transfer applied earlier ('ok',
 * once); the id used for other money (definite refusal); or nothing (undefined: go on).
 */
function ledgerAnswer(t: Transfer, entry: IKeyValue | undefined): TransferResult | undefined {
  if (!entry) return undefined;
  const stored = parseEntry(entry.value.toString());
  if (!stored) throw new DefiniteError(`transfer id ${t.id} is already in the ledger, under an entry this adapter cannot read (${entry.value.toString()})`);
  return ledgerDecision(t, stored) === 'applied' ? 'ok' : undefined;
}

function parseEntry(text: string): LedgerEntry | undefined {
  try {
    const e = JSON.parse(text) as Partial<LedgerEntry> | null;
    return typeof e?.from === 'string' && typeof e.to === 'string' && typeof e.amount === 'number' ? { from: e.from, to: e.to, amount: e.amount } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The parts of `range` that hold none of `keys` (sorted): what setup deletes. etcd refuses a txn
 * that puts a key inside a range it also deletes, so the whole prefix cannot be deleted at once.
 */
export function gapsAround(range: Range, keys: Buffer[]): Range[] {
  const gaps: Range[] = [];
  let start = range.start;
  for (const key of keys) {
    if (Buffer.compare(start, key) < 0) gaps.push(new Range(start, key));
    start = Buffer.concat([key, Buffer.from([0])]);
  }
  gaps.push(new Range(start, range.end));
  return gaps;
}

export const create: StoreFactory = async (config) => new EtcdBankStore(parseConfig(config));
/** Config keys a notebook may change between cells (see AdapterModule). */
export const settings = ['readMode'] as const;
