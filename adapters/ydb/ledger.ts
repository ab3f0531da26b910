// What one transfer attempt must do, decided from what it read: the ledger row for its id first
// (an earlier attempt of the same call may have applied it), then the balances. Pure, so the
// idempotency logic is tested without a server.
import { DefiniteError, ledgerDecision, type LedgerEntry, type Transfer } from '../../lib/store.ts';
import { bigintOf, textOf, type Row } from './values.ts';

export type Plan = { kind: 'applied' } | { kind: 'insufficient' } | { kind: 'apply'; from: bigint; to: bigint };

/** The ledger first (lib/store.ts ledgerDecision), then the balances: what this attempt must do. */
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
  return { from: textOf(r.src, 'ledger src'), to: textOf(r.dst, 'ledger dst'), amount: bigintOf(r.amount, 'ledger amount') };
}

/** Both accounts' versions after the transfer: one more than read (planTransfer checked both exist). */
export function nextVersions(t: Transfer, versions: ReadonlyMap<string, bigint>): { from: bigint; to: bigint } {
  const from = versions.get(t.from);
  const to = versions.get(t.to);
  if (from === undefined || to === undefined) throw new DefiniteError(`unknown account in transfer ${t.id}`);
  return { from: from + 1n, to: to + 1n };
}
