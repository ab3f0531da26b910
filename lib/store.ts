// The contract every adapter implements: how to talk to ONE database node.
// Outcomes are classified the Jepsen way: a failure is either definite (certainly not applied)
// or indeterminate (may or may not have been applied; the final audit decides).

export type Balances = Record<string, number>;

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
  /** Final state and ledger, read in one snapshot. */
  audit(): Promise<Audit>;
  /** Conflict retries done inside the adapter since it was created. */
  retries(): number;
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

/** What a notebook or the API node needs to build a store connected to one node. */
export type StoreFactory = (config: Record<string, string>) => Promise<BankStore>;
