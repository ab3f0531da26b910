// The operations around the load, run alone as process 0: set up the accounts before the first
// cell, and after each cell wait for every API node to be healthy and audit the ledger. Each
// attempt goes into the history, so the checker sees exactly what the tester saw.
import type { ApiClient } from '../api/client.ts';
import { nowNs } from '../clock.ts';
import { retryUntil } from '../retry.ts';
import type { HistoryWriter } from '../history/writer.ts';
import type { Balances } from '../store.ts';

export const ADMIN_PROCESS = 0;

/**
 * Sets up the accounts through one API node, retried for up to `deadlineMs`. The other API nodes
 * learn the account set from their database node when their first transfer comes.
 */
export async function setupAccounts(history: HistoryWriter, node: ApiClient, balances: Balances, deadlineMs = 30_000): Promise<void> {
  await retryUntil(`set up ${Object.keys(balances).length} accounts through ${node.name}`, deadlineMs, async () => {
    const value = { balances };
    history.append({ type: 'invoke', f: 'setup', process: ADMIN_PROCESS, node: node.name, time: nowNs(), value });
    const r = await node.setup(balances);
    history.append({ type: r.type, f: 'setup', process: ADMIN_PROCESS, node: node.name, time: nowNs(), value, ...(r.error ? { error: r.error } : {}) });
    if (r.type !== 'ok') throw new Error(r.error ?? r.type);
  });
}

/** Waits until every API node answers healthy, then reads balances and ledger through the first. */
export async function healthyThenAudit(history: HistoryWriter, api: readonly ApiClient[], deadlineMs = 60_000): Promise<void> {
  await retryUntil('every API node healthy', deadlineMs, async () => {
    const health = await Promise.all(api.map((a) => a.health()));
    const down = api.filter((_, i) => health[i]!.type !== 'ok').map((a) => a.name);
    if (down.length) throw new Error(`not healthy: ${down.join(', ')}`);
  });
  const node = api[0]!;
  await retryUntil(`audit through ${node.name}`, deadlineMs / 2, async () => {
    history.append({ type: 'invoke', f: 'audit', process: ADMIN_PROCESS, node: node.name, time: nowNs(), value: null });
    const r = await node.audit();
    // A failed audit read has no effect: it is a fail, whatever the reason.
    history.append({
      type: r.type === 'ok' ? 'ok' : 'fail', f: 'audit', process: ADMIN_PROCESS, node: node.name, time: nowNs(),
      value: r.type === 'ok' ? r.value : null, ...(r.error ? { error: r.error } : {}),
    });
    if (r.type !== 'ok') throw new Error(r.error ?? r.type);
  });
}
