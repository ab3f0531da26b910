// BankStore on one FoundationDB database handle: each call is one transaction run through the
// retry loop (attempts.ts), with the layout of encoding.ts. Kept apart from the entry file so
// that it can run on any object shaped like the client's database, such as an in-memory stand-in.
//
// No `settings`: FoundationDB has one isolation level (strictly serializable), and snapshot
// reads are a per-read choice already used where a read adds nothing to a conflict. No
// `leader()`: the client talks to the whole cluster (coordinators, proxies, storage servers), not
// to one node, and there is no single leader to name.
import { rm } from 'node:fs/promises';
import {
  DefiniteError,
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
import { CallTrack, classifyWrite, runAttempts } from './attempts.ts';
import type { FdbDatabase, FdbTxn } from './client.ts';
import type { FdbStoreOptions } from './config.ts';
import { decodeAmount, decodeVersion, encodeAmount, type Kind, type Layout } from './encoding.ts';
import { classifyRead } from './errors.ts';
import { runTransfer } from './transfer.ts';

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

  /**
   * Reports the versions a transfer left only when this call applied it (its last attempt
   * committed), not when the ledger says an earlier attempt or call did.
   */
  async transferCounted(t: Transfer): Promise<CountedTransfer> {
    const invalid = invalidTransfer(t);
    if (invalid) throw new DefiniteError(`invalid transfer ${t.id}: ${invalid}`);
    const track = new CallTrack();
    try {
      const { result, versions } = await runTransfer(this.begin(), this.layout, t, track);
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
