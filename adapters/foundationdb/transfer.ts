// One transfer as ONE FoundationDB transaction, and the rule for what its retries may answer.
// Each attempt reads the ledger key, both balances and both versions (one snapshot; the reads add
// read-conflict ranges, so the commit is serializable), then writes both balances, both versions
// (old + 1) and the ledger key. The ledger key in the same transaction is what makes a retry
// after a commit with an unknown outcome safe: it answers 'ok' once instead of applying twice.
import { DefiniteError, IndeterminateError, ledgerDecision, type Transfer, type TransferResult, type Versions } from '../../lib/store.ts';
import { CallTrack, runAttempts } from './attempts.ts';
import type { FdbTxn, KvTxn } from './client.ts';
import { decodeAmount, decodeVersion, encodeAmount, type Layout } from './encoding.ts';

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
  // Applied by an earlier attempt or call: ok, without versions (not this attempt's).
  if (ledgerDecision(t, entry === undefined ? undefined : layout.decodeEntry(entry))) return { result: 'ok' };
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

/**
 * A transfer through the retry loop. 'insufficient' says the transfer was not applied, so it ends
 * the call only while no earlier commit is in doubt. After a retried cluster_version_changed
 * (1039) the client abandoned a commit that may be in flight (errors.ts), and the retry not
 * finding the ledger key proves nothing the client itself was told: then only the ledger row
 * ('ok') or indeterminate may answer, as classifyWrite makes every failure after doubt
 * indeterminate. A retried commit_unknown_result is no such doubt once an attempt has read the
 * ledger: FDB fenced that commit before answering 1021 (errors.ts), so an absent ledger key means
 * it never applied.
 */
export async function runTransfer(tn: FdbTxn, layout: Layout, t: Transfer, track: CallTrack): Promise<AttemptResult> {
  const attempt = await runAttempts(tn, track, () => transferAttempt(tn, layout, t, track));
  if (attempt.result === 'insufficient' && track.doubt !== 'none') {
    throw new IndeterminateError(
      `transfer ${t.id}: insufficient funds after ${track.retries + 1} attempts, but an earlier commit ` +
        `(${track.doubtSource()}) may still land`,
    );
  }
  return attempt;
}
