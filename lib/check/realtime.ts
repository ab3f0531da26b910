// Realtime reads: a read must not miss a transfer that was acknowledged before the read was
// invoked. That is strict serializability (linearizability of the whole bank), which some engines
// and settings promise and others do not, so it is reported beside the money anomalies, not
// among them. The check is exact where the adapter reports account versions (lib/store.ts
// Versions): each transfer adds one to both its accounts' versions in its own transaction, so a
// read whose snapshot precedes a transfer shows at least one of its accounts at a lower version
// than the one the transfer left, and a read whose snapshot includes it cannot.
import type { Op } from '../history/op.ts';

export interface StaleRead {
  /** History index of the read's completion. */
  index: number;
  node: string | null;
  detail: string;
}

export interface RealtimeSummary {
  /** Ok reads that carried versions, compared against every transfer acknowledged before them. */
  checked: number;
  /** Ok reads without versions (the adapter reports none): not checked. */
  unchecked: number;
  stale: number;
  first?: StaleRead;
  /** The read that missed the most acknowledged transfers' accounts. */
  worst?: StaleRead & { accounts: number };
}

interface Acked {
  version: number;
  id: string;
  index: number;
}

export class RealtimeReads {
  /** Per account, the highest version an acknowledged transfer left it at. */
  private acked = new Map<string, Acked>();
  /** Per process with a read open: what was acknowledged when it was invoked, in which bank. */
  private atInvoke = new Map<Op['process'], { bank: number; acked: Map<string, Acked> }>();
  /** Per process with a transfer open: the bank it was invoked in. */
  private transferBank = new Map<Op['process'], number>();
  /** Bumped by every setup: versions start again, so nothing from an earlier bank compares. */
  private bank = 0;
  private summary: RealtimeSummary = { checked: 0, unchecked: 0, stale: 0 };

  /** A new bank (setup): versions start again. */
  reset(): void {
    this.acked = new Map();
    this.bank++;
  }

  onTransferInvoke(op: Op): void {
    this.transferBank.set(op.process, this.bank);
  }

  /** Any completion of a transfer; only an ok one in the current bank counts. */
  onTransferDone(op: Op, id: string | undefined): void {
    const bank = this.transferBank.get(op.process);
    this.transferBank.delete(op.process);
    if (op.type !== 'ok' || id === undefined || bank !== this.bank) return;
    for (const [account, version] of Object.entries(op.versions ?? {})) {
      const known = this.acked.get(account);
      if (!known || version > known.version) this.acked.set(account, { version, id, index: op.index });
    }
  }

  onReadInvoke(op: Op): void {
    this.atInvoke.set(op.process, { bank: this.bank, acked: new Map(this.acked) });
  }

  /**
   * A read completed: undefined when it could not be checked (not ok, or no versions), else
   * null when it saw every acknowledged transfer, or what it missed.
   */
  onReadDone(op: Op): StaleRead | null | undefined {
    const invoked = this.atInvoke.get(op.process);
    this.atInvoke.delete(op.process);
    // A read that spans a setup compares against nothing: versions started again.
    if (op.type !== 'ok' || !invoked || invoked.bank !== this.bank) return undefined;
    const before = invoked.acked;
    if (!op.versions) {
      this.summary.unchecked++;
      return undefined;
    }
    this.summary.checked++;
    const missed: string[] = [];
    for (const [account, acked] of before) {
      const seen = op.versions[account];
      if (seen !== undefined && seen < acked.version) missed.push(`${account} at version ${seen}, but transfer ${acked.id} (acknowledged at index ${acked.index}) left it at ${acked.version}`);
    }
    if (missed.length === 0) return null;
    const stale = { index: op.index, node: op.node, detail: `read missed ${missed.length} account update(s): ${missed.slice(0, 3).join('; ')}${missed.length > 3 ? '; …' : ''}` };
    this.summary.stale++;
    this.summary.first ??= stale;
    if (!this.summary.worst || missed.length > this.summary.worst.accounts) this.summary.worst = { ...stale, accounts: missed.length };
    return stale;
  }

  result(): RealtimeSummary {
    return { ...this.summary };
  }
}
