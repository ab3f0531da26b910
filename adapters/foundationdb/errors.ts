// What an FDB error code says about a failed attempt: whether onError retries it, and what a
// commit that answered it did. Kept apart so that the table, which decides what the checker is
// told, reads as one list against FoundationDB's own definitions: the codes and names of
// flow/include/flow/error_definitions.h, the predicates of fdb_error_predicate in
// bindings/c/fdb_c.cpp and the retries of Transaction::onError in fdbclient/NativeAPI.actor.cpp
// (https://github.com/apple/foundationdb/tree/release-7.3;
// https://apple.github.io/foundationdb/api-error-codes.html).
import { DefiniteError, IndeterminateError } from '../../lib/store.ts';

/**
 * What a commit that failed with this error did: applied nothing; may have applied, but the
 * client made sure it can no longer land (so a later read of the ledger settles it); or may have
 * applied or may still apply.
 */
export type CommitOutcome = 'not-applied' | 'maybe-applied' | 'may-apply-later';

export interface FdbErrorRule {
  code: number;
  /** FDB's name (flow/error_definitions.h; https://apple.github.io/foundationdb/api-error-codes.html). */
  name: string;
  /** fdb_error_predicate(RETRYABLE) in libfdb_c 7.2/7.3: onError retries it. */
  retryable: boolean;
  /** When it is the commit's own answer. An error before the commit applied nothing. */
  commit: CommitOutcome;
  why: string;
}

/** Codes the adapter knows. A code not listed, answering a commit, may have applied. */
export const FDB_ERRORS: readonly FdbErrorRule[] = [
  // Retried by onError: FDB_ERROR_PREDICATE_RETRYABLE_NOT_COMMITTED.
  { code: 1020, name: 'not_committed', retryable: true, commit: 'not-applied', why: 'conflict: the resolver refused the commit' },
  { code: 1007, name: 'transaction_too_old', retryable: true, commit: 'not-applied', why: 'read version older than the 5 s MVCC window: refused' },
  { code: 1009, name: 'future_version', retryable: true, commit: 'not-applied', why: 'storage server behind the read version: refused' },
  { code: 1037, name: 'process_behind', retryable: true, commit: 'not-applied', why: 'storage process behind: refused' },
  { code: 1038, name: 'database_locked', retryable: true, commit: 'not-applied', why: 'database locked: refused' },
  { code: 1042, name: 'commit_proxy_memory_limit_exceeded', retryable: true, commit: 'not-applied', why: 'commit proxy out of memory: refused before batching' },
  { code: 1078, name: 'grv_proxy_memory_limit_exceeded', retryable: true, commit: 'not-applied', why: 'read-version proxy out of memory: refused' },
  { code: 1051, name: 'batch_transaction_throttled', retryable: true, commit: 'not-applied', why: 'throttled: refused' },
  { code: 1213, name: 'tag_throttled', retryable: true, commit: 'not-applied', why: 'throttled: refused' },
  // Retried by onError: FDB_ERROR_PREDICATE_MAYBE_COMMITTED. tryCommit throws 1021 only after
  // committing a dummy transaction that conflicts with the unknown one (commitDummyTransaction);
  // the multi-version client answers 1039 by abandoning the commit future, not the commit
  // (abortableFuture in MultiVersionTransaction::executeOperation).
  { code: 1021, name: 'commit_unknown_result', retryable: true, commit: 'maybe-applied', why: 'commit sent, answer lost; a conflicting dummy commit made sure it cannot land later' },
  { code: 1039, name: 'cluster_version_changed', retryable: true, commit: 'may-apply-later', why: 'multi-version client switched protocol during the commit: it may still land' },
  // Not retried: they end the call.
  { code: 1031, name: 'transaction_timed_out', retryable: false, commit: 'may-apply-later', why: 'our timeout cancelled the commit in flight: it may still land' },
  { code: 1025, name: 'transaction_cancelled', retryable: false, commit: 'may-apply-later', why: 'cancelled with the commit in flight' },
  { code: 1101, name: 'operation_cancelled', retryable: false, commit: 'may-apply-later', why: 'cancelled with the commit in flight' },
  { code: 1004, name: 'timed_out', retryable: false, commit: 'may-apply-later', why: 'no answer in time' },
  { code: 1030, name: 'request_maybe_delivered', retryable: false, commit: 'may-apply-later', why: 'the commit request may have arrived' },
  { code: 1022, name: 'commit_unknown_result_fatal', retryable: false, commit: 'may-apply-later', why: 'idempotency id expired: the outcome cannot be found out' },
  { code: 1100, name: 'broken_promise', retryable: false, commit: 'may-apply-later', why: 'the server side of the request went away' },
  { code: 4000, name: 'unknown_error', retryable: false, commit: 'may-apply-later', why: 'unknown' },
  { code: 4100, name: 'internal_error', retryable: false, commit: 'may-apply-later', why: 'internal error: nothing can be said' },
  { code: 2101, name: 'transaction_too_large', retryable: false, commit: 'not-applied', why: 'over 10 MB: the client refuses to send it' },
  { code: 2102, name: 'key_too_large', retryable: false, commit: 'not-applied', why: 'checked by the client' },
  { code: 2103, name: 'value_too_large', retryable: false, commit: 'not-applied', why: 'checked by the client' },
  { code: 2023, name: 'transaction_read_only', retryable: false, commit: 'not-applied', why: 'checked by the client' },
  { code: 2004, name: 'key_outside_legal_range', retryable: false, commit: 'not-applied', why: 'checked by the client' },
  { code: 2000, name: 'client_invalid_operation', retryable: false, commit: 'not-applied', why: 'invalid API call: refused by the client' },
  { code: 2006, name: 'invalid_option_value', retryable: false, commit: 'not-applied', why: 'refused by the client' },
  { code: 2007, name: 'invalid_option', retryable: false, commit: 'not-applied', why: 'refused by the client' },
  { code: 1036, name: 'accessed_unreadable', retryable: false, commit: 'not-applied', why: 'refused by the client' },
  { code: 2104, name: 'connection_string_invalid', retryable: false, commit: 'not-applied', why: 'bad cluster file: nothing can be sent' },
  { code: 1515, name: 'no_cluster_file_found', retryable: false, commit: 'not-applied', why: 'no cluster file: nothing can be sent' },
  { code: 2203, name: 'api_version_not_supported', retryable: false, commit: 'not-applied', why: 'libfdb_c older than the API version: nothing can be sent' },
];

const RULES = new Map(FDB_ERRORS.map((r) => [r.code, r]));

export function ruleFor(code: number): FdbErrorRule | undefined {
  return RULES.get(code);
}

/** The FDB error code of `err` (FDBError carries a numeric one; Node's system errors a string). */
export function fdbCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'number' ? code : undefined;
}

/** Reads change nothing: definite, except no answer in time (as in etcd.ts and postgres.ts). */
export function classifyRead(err: unknown): DefiniteError | IndeterminateError {
  if (err instanceof DefiniteError || err instanceof IndeterminateError) return err;
  const code = fdbCode(err);
  if (code === 1031 || code === 1004) return new IndeterminateError(`read timed out: ${describe(err)}`, { cause: err });
  return new DefiniteError(`read failed: ${describe(err)}`, { cause: err });
}

/** An error for a message: its FDB code and name when it has one. */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = fdbCode(err);
  if (code === undefined) return `${err.name}: ${err.message}`;
  const rule = ruleFor(code);
  return `FDB error ${code}${rule ? ` ${rule.name}` : ''}: ${err.message}`;
}
