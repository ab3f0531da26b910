// In-process reference BankStore: obviously correct, no I/O. Tests use it as the oracle for the
// contract, and runs use it to measure what the harness itself costs.
import {
  DefiniteError,
  invalidTransfer,
  ledgerDecision,
  type Audit,
  type Balances,
  type CountedTransfer,
  type CountingBankStore,
  type StoreFactory,
  type Transfer,
  type TransferResult,
  type Versions,
} from '../lib/store.ts';

export class MemoryStore implements CountingBankStore {
  private balances = new Map<string, number>();
  /** Per-account versions (lib/store.ts Versions): one more on each transfer that moves it. */
  private versions = new Map<string, number>();
  private ledger: string[] = [];
  private ledgerIds = new Map<string, Transfer>();
  private closed = false;

  async setup(accounts: Balances): Promise<void> {
    this.assertOpen();
    for (const [id, balance] of Object.entries(accounts)) {
      if (!Number.isSafeInteger(balance) || balance < 0) {
        throw new DefiniteError(`balance of ${id} must be a non-negative safe integer`);
      }
    }
    this.balances = new Map(Object.entries(accounts));
    this.versions = new Map(Object.keys(accounts).map((id) => [id, 0]));
    this.ledger = [];
    this.ledgerIds = new Map();
  }

  async transfer(t: Transfer): Promise<TransferResult> {
    return (await this.transferCounted(t)).result;
  }

  async transferCounted(t: Transfer): Promise<CountedTransfer> {
    this.assertOpen();
    // Yield once so concurrent callers interleave as they would against a real database;
    // everything after this line runs in one tick, which makes the transfer atomic.
    await Promise.resolve();
    const before = this.ledgerIds.get(t.id);
    const result = this.apply(t);
    // Versions only for a transfer this call applied (a re-sent one was applied before).
    if (result === 'ok' && !before) return { result, retries: 0, versions: { [t.from]: this.versions.get(t.from)!, [t.to]: this.versions.get(t.to)! } };
    return { result, retries: 0 };
  }

  async read(): Promise<Balances> {
    this.assertOpen();
    return Object.fromEntries(this.balances);
  }

  async readVersioned(): Promise<{ balances: Balances; versions: Versions }> {
    this.assertOpen();
    return { balances: Object.fromEntries(this.balances), versions: Object.fromEntries(this.versions) };
  }

  async audit(): Promise<Audit> {
    this.assertOpen();
    return { balances: Object.fromEntries(this.balances), transfers: [...this.ledger] };
  }

  retries(): number {
    return 0;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private apply(t: Transfer): TransferResult {
    const invalid = invalidTransfer(t);
    if (invalid) throw new DefiniteError(`invalid transfer ${t.id}: ${invalid}`);
    const from = this.balances.get(t.from);
    const to = this.balances.get(t.to);
    if (from === undefined || to === undefined) throw new DefiniteError(`unknown account in transfer ${t.id}`);
    // Same id again = the caller retrying one transfer: it was applied once, report it applied.
    // The same id for other money is refused, as the PostgreSQL adapter does.
    if (ledgerDecision(t, this.ledgerIds.get(t.id))) return 'ok';
    if (from < t.amount) return 'insufficient';
    this.balances.set(t.from, from - t.amount);
    this.balances.set(t.to, to + t.amount);
    this.versions.set(t.from, this.versions.get(t.from)! + 1);
    this.versions.set(t.to, this.versions.get(t.to)! + 1);
    this.ledger.push(t.id);
    this.ledgerIds.set(t.id, t);
    return 'ok';
  }

  private assertOpen(): void {
    if (this.closed) throw new DefiniteError('memory store is closed');
  }
}

/** Config is ignored: the memory store has nothing to connect to. */
export const create: StoreFactory = async () => new MemoryStore();
