// The retry loop of one call and what its attempts leave behind. node-foundationdb's
// doTransaction runs body, commit and onError in a loop and hides the error codes
// (Transaction._exec in lib/transaction.ts, https://github.com/josephg/node-foundationdb); this is
// the same loop written out, so that each call counts its retries and knows whether an earlier
// attempt's commit may have applied, which decides between a definite and an indeterminate answer.
import { DefiniteError, IndeterminateError } from '../../lib/store.ts';
import type { FdbTxn } from './client.ts';
import { describe, fdbCode, ruleFor } from './errors.ts';

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
  /** The retried commit error that left the doubt. */
  doubtCode: number | undefined;

  /** An attempt read the ledger key: whatever it found settles a retried commit_unknown_result. */
  ledgerSeen(): void {
    if (this.doubt === 'ledger') {
      this.doubt = 'none';
      this.doubtCode = undefined;
    }
  }

  /** onError accepted `code` from a commit: the attempt may have applied (1021, 1039). */
  retriedCommit(code: number): void {
    const outcome = ruleFor(code)?.commit ?? 'may-apply-later';
    if (outcome === 'may-apply-later') this.doubt = 'open';
    else if (outcome === 'maybe-applied' && this.doubt === 'none') this.doubt = 'ledger';
    else return; // a proven abort, or 1021 when in doubt already: the doubt stays as it is
    this.doubtCode = code;
  }

  /** The doubtful commit's error, for messages. */
  doubtSource(): string {
    const code = this.doubtCode;
    return code === undefined ? 'none' : `${code} ${ruleFor(code)?.name ?? 'unclassified'}`;
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
 * A failed write call. Doubt left by a retried commit makes it indeterminate, whatever the last
 * attempt said. Otherwise a failure in the body sent nothing (a read-only or unsent transaction
 * commits nothing); a failed commit is classified by its own error code in FDB_ERRORS; an unknown
 * one may have applied.
 */
export function classifyWrite(err: unknown, track: CallTrack): DefiniteError | IndeterminateError {
  if (err instanceof IndeterminateError) return err;
  const attempts = `${track.retries + 1} attempt${track.retries ? 's' : ''}`;
  if (track.doubt !== 'none') {
    const why = track.doubt === 'ledger'
      ? `a retried commit (${track.doubtSource()}) was not settled by a later read`
      : `a retried commit (${track.doubtSource()}) may still land`;
    return new IndeterminateError(`outcome unknown after ${attempts}: ${why} (${describe(err)})`, { cause: err });
  }
  if (err instanceof DefiniteError) return err;
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
