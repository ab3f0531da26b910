// The contract every adapter implements: how to talk to ONE database node.
// Outcomes are classified the Jepsen way: a failure is either definite (certainly not applied)
// or indeterminate (may or may not have been applied; the final audit decides).

export type Balances = Record<string, number>;

/**
 * Per-account version counters, for the realtime-read check: every transfer adds one to the
 * version of both its accounts, in its own transaction. A read that shows an account at a lower
 * version than a transfer acknowledged before the read began has missed that transfer.
 */
export type Versions = Record<string, number>;

export interface Transfer {
  id: string;
  from: string;
  to: string;
  amount: number;
}

export type TransferResult = 'ok' | 'insufficient';

export interface Audit {
  balances: Balances;
  /** Ledger ids, one entry per ledger row/key (a duplicate here is a double apply). */
  transfers: string[];
}

export interface BankStore {
  /** Idempotent: the same accounts give the same state (balances set, ledger emptied). */
  setup(accounts: Balances): Promise<void>;
  /** Moves money and writes the ledger entry `t.id` in the same transaction. */
  transfer(t: Transfer): Promise<TransferResult>;
  /** ONE consistent snapshot of all balances. */
  read(): Promise<Balances>;
  /** Optional: the same snapshot with every account's version (see Versions). */
  readVersioned?(): Promise<{ balances: Balances; versions: Versions }>;
  /** Final state and ledger, read in one snapshot. */
  audit(): Promise<Audit>;
  /** Conflict retries done inside the adapter since it was created. */
  retries(): number;
  /** Resolves when the database node answers at all (for /health, before or after setup). */
  ping(): Promise<void>;
  /**
   * Optional: which node leads, as this node sees it, by the name it was started with (n1, n2, …);
   * undefined when it knows of no leader. Lets a notebook aim a fault at the leader.
   */
  leader?(): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Certainly not applied: the database refused, or the request never reached it. */
export class DefiniteError extends Error {
  readonly kind = 'definite' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DefiniteError';
  }
}

/** May or may not have been applied: timeout, connection lost around commit, ambiguous result. */
export class IndeterminateError extends Error {
  readonly kind = 'indeterminate' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IndeterminateError';
  }
}

/** What an adapter read back from its ledger under a transfer's id. */
export interface LedgerEntry {
  from: string;
  to: string;
  amount: number | bigint;
}

/**
 * The ledger-idempotency rule every adapter keeps: an entry already under a transfer's id is this
 * very transfer, applied by an earlier attempt or call ('applied': answer ok, once), or the id
 * moving other money (refused, definitely: applying it would use one id twice). No entry: undefined.
 */
export function ledgerDecision(t: Transfer, entry: LedgerEntry | undefined): 'applied' | undefined {
  if (!entry) return undefined;
  if (entry.from === t.from && entry.to === t.to && BigInt(entry.amount) === BigInt(t.amount)) return 'applied';
  throw new DefiniteError(`transfer id ${t.id} is already in the ledger for another transfer (${entry.from} → ${entry.to}, ${entry.amount})`);
}

/** What a notebook or the API node needs to build a store connected to one node. */
export type StoreFactory = (config: Record<string, string>) => Promise<BankStore>;

/**
 * What an adapter module exports: `create`, and optionally `settings`, the config keys a
 * notebook may change between cells (isolation, read mode, durability). The API node applies a
 * change by opening a new store with the changed config and closing the old one, so an adapter
 * needs no code of its own for it; a setting the database keeps server-wide (not per session)
 * must be applied by the adapter on every new connection, so a restarted node gets it again.
 */
export interface AdapterModule {
  create: StoreFactory;
  settings?: readonly string[];
}

/** One transfer's result and the conflict retries that ONE call took inside the adapter. */
export interface CountedTransfer {
  result: TransferResult;
  retries: number;
  /** For 'ok' applied by this call: both accounts' versions after it (see Versions). */
  versions?: Versions;
}

/**
 * Optional extension for stores that retry conflicts: the API node reports retries per transfer.
 * `transfer` alone cannot say this safely (a `lastRetries` field would race between concurrent
 * calls), so the count travels with the result, and with a thrown error via `retriesOf`.
 */
export interface CountingBankStore extends BankStore {
  transferCounted(t: Transfer): Promise<CountedTransfer>;
}

export function isCountingStore(store: BankStore): store is CountingBankStore {
  return typeof (store as Partial<CountingBankStore>).transferCounted === 'function';
}

/** Attaches the retries one call took to the error it throws (read back with `retriesOf`). */
export function withRetryCount<E extends Error>(err: E, retries: number): E {
  return Object.assign(err, { retries });
}

/** Retries carried by an error from `transferCounted`; 0 when none were recorded. */
export function retriesOf(err: unknown): number {
  const n = (err as { retries?: unknown } | null)?.retries;
  return typeof n === 'number' ? n : 0;
}

/**
 * Why a transfer can never be applied (stores reject it with a DefiniteError before touching
 * data), or undefined when it is well formed. Unknown accounts are checked by each store.
 */
export function invalidTransfer(t: Transfer): string | undefined {
  if (typeof t.id !== 'string' || t.id.length === 0) return 'id must be a non-empty string';
  if (typeof t.from !== 'string' || typeof t.to !== 'string') return 'from and to must be strings';
  if (t.from === t.to) return 'from and to must differ';
  if (!Number.isSafeInteger(t.amount) || t.amount <= 0) return 'amount must be a positive safe integer';
  return undefined;
}
