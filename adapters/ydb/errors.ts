// How a failed attempt counts: retried or not, and whether it may have applied anything. Kept
// apart from the store so that the tables, which decide what the checker is told, read as one
// list against YDB's documentation.
//
// At a commit, only a proven abort is definite: ABORTED ("lock invalidation with
// TRANSACTION_LOCKS_INVALIDATED", https://ydb.tech/docs/en/reference/ydb-sdk/ydb-status-codes#aborted),
// or a request that never reached the server. Every other answer may come from a commit that
// applied: YDB has answered UNAVAILABLE where it meant UNDETERMINED
// (https://github.com/ydb-platform/ydb/issues/14848, https://github.com/ydb-platform/ydb/issues/23968),
// and @ydbjs retries UNAVAILABLE even for a non-idempotent commit (isRetryableError,
// https://github.com/ydb-platform/ydb-js-sdk/blob/main/packages/retry/src/index.ts), so the SDK's
// retryability is no proof that nothing was applied. Retrying any of them is safe here only
// because every attempt reads its ledger row first (adapters/ydb/store.ts).
import { YDBError } from '@ydbjs/error';
import type { StatusIds_StatusCode } from '@ydbjs/api/operation';

export type Outcome = 'definite' | 'indeterminate';

/** Where an attempt was when it failed: only a failure while committing can have applied anything. */
export type Phase = 'connect' | 'read' | 'commit';

export interface StatusRule {
  /** Retry the whole transaction (a transfer always re-reads its ledger row first). */
  retry: boolean;
  /** What the status means when it answers a commit; before the commit nothing was applied. */
  atCommit: Outcome;
  why: string;
}

/**
 * YDB server statuses (ydb.tech, "Status codes from the YDB server"). Retried always: ABORTED,
 * OVERLOADED, UNAVAILABLE, BAD_SESSION, SESSION_BUSY. Retried only because a transfer is
 * idempotent through its ledger check: SESSION_EXPIRED, UNDETERMINED, TIMEOUT.
 */
export const STATUS_RULES: Readonly<Record<string, StatusRule>> = {
  ABORTED: { retry: true, atCommit: 'definite', why: 'transaction aborted (locks invalidated by a concurrent write): rolled back' },
  OVERLOADED: { retry: true, atCommit: 'indeterminate', why: 'part of the cluster overloaded' },
  UNAVAILABLE: { retry: true, atCommit: 'indeterminate', why: 'part of the cluster unavailable (answered to commits that applied: ydb#14848, ydb#23968)' },
  BAD_SESSION: { retry: true, atCommit: 'indeterminate', why: 'session no longer available' },
  SESSION_BUSY: { retry: true, atCommit: 'indeterminate', why: 'session busy' },
  SESSION_EXPIRED: { retry: true, atCommit: 'indeterminate', why: 'session expired' },
  UNDETERMINED: { retry: true, atCommit: 'indeterminate', why: 'commit outcome unknown' },
  TIMEOUT: { retry: true, atCommit: 'indeterminate', why: 'server-side timeout' },
  CANCELLED: { retry: false, atCommit: 'indeterminate', why: 'cancelled on the server' },
  INTERNAL_ERROR: { retry: false, atCommit: 'indeterminate', why: 'internal error' },
  BAD_REQUEST: { retry: false, atCommit: 'indeterminate', why: 'invalid query' },
  UNAUTHORIZED: { retry: false, atCommit: 'indeterminate', why: 'access denied' },
  SCHEME_ERROR: { retry: false, atCommit: 'indeterminate', why: 'query does not match the schema' },
  GENERIC_ERROR: { retry: false, atCommit: 'indeterminate', why: 'query failed' },
  PRECONDITION_FAILED: { retry: false, atCommit: 'indeterminate', why: 'precondition failed' },
  ALREADY_EXISTS: { retry: false, atCommit: 'indeterminate', why: 'object exists' },
  NOT_FOUND: { retry: false, atCommit: 'indeterminate', why: 'object or transaction not found' },
  UNSUPPORTED: { retry: false, atCommit: 'indeterminate', why: 'unsupported' },
  EXTERNAL_ERROR: { retry: false, atCommit: 'indeterminate', why: 'external system failed' },
};

/** A status this table does not know: not retried, and a commit may have happened. */
export const UNKNOWN_STATUS: StatusRule = { retry: false, atCommit: 'indeterminate', why: 'unknown status' };

export interface TransportRule {
  /** gRPC status code (grpc-js, through nice-grpc's ClientError). */
  code: number;
  name: string;
  /** A substring of the details that refines the code; the first matching rule wins. */
  details?: string;
  /** False when the server certainly never processed the call: then nothing applied, even at a commit. */
  sent: boolean;
  retry: boolean;
  why: string;
}

/** gRPC failures (ydb.tech, "gRPC status codes"); the "conditionally retryable" ones are retried for the same reason as above. */
export const TRANSPORT_RULES: readonly TransportRule[] = [
  { code: 14, name: 'UNAVAILABLE', details: 'No connection established', sent: false, retry: false, why: 'no connection to the node: never sent' },
  { code: 14, name: 'UNAVAILABLE', details: 'Channel closed before call started', sent: false, retry: false, why: 'driver closed: never sent' },
  { code: 14, name: 'UNAVAILABLE', details: 'Stream refused by server', sent: false, retry: true, why: 'HTTP/2 REFUSED_STREAM: not processed' },
  { code: 14, name: 'UNAVAILABLE', sent: true, retry: true, why: 'connection lost during the call' },
  { code: 13, name: 'INTERNAL', sent: true, retry: true, why: 'stream ended without a status' },
  { code: 1, name: 'CANCELLED', sent: true, retry: true, why: 'call cancelled by the server or the connection' },
  { code: 4, name: 'DEADLINE_EXCEEDED', sent: true, retry: true, why: 'transport deadline passed' },
  { code: 2, name: 'UNKNOWN', sent: true, retry: false, why: 'unknown transport failure' },
  { code: 15, name: 'DATA_LOSS', sent: true, retry: false, why: 'data loss reported' },
  { code: 8, name: 'RESOURCE_EXHAUSTED', sent: true, retry: true, why: 'transport limits or overload' },
  { code: 10, name: 'ABORTED', sent: true, retry: true, why: 'aborted by the transport' },
  { code: 3, name: 'INVALID_ARGUMENT', sent: true, retry: false, why: 'invalid argument' },
  { code: 5, name: 'NOT_FOUND', sent: true, retry: false, why: 'not found' },
  { code: 6, name: 'ALREADY_EXISTS', sent: true, retry: false, why: 'already exists' },
  { code: 7, name: 'PERMISSION_DENIED', sent: true, retry: false, why: 'permission denied' },
  { code: 9, name: 'FAILED_PRECONDITION', sent: true, retry: false, why: 'failed precondition' },
  { code: 11, name: 'OUT_OF_RANGE', sent: true, retry: false, why: 'out of range' },
  { code: 12, name: 'UNIMPLEMENTED', sent: true, retry: false, why: 'no such RPC on this server' },
  { code: 16, name: 'UNAUTHENTICATED', sent: true, retry: false, why: 'authentication refused' },
];

export interface Decision {
  retry: boolean;
  outcome: Outcome;
  why: string;
}

/** nice-grpc's ClientError, recognised by shape (nice-grpc is the SDK's dependency, not ours). */
interface GrpcFailure {
  code: number;
  details: string;
}

function grpcFailure(err: unknown): GrpcFailure | undefined {
  const e = err as { name?: unknown; code?: unknown; details?: unknown } | null;
  return e && e.name === 'ClientError' && typeof e.code === 'number' && typeof e.details === 'string'
    ? { code: e.code, details: e.details }
    : undefined;
}

function isAbort(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'AbortError';
}

export function statusName(code: number): string {
  return YDBError.codes[code as StatusIds_StatusCode] ?? `status ${code}`;
}

export function transportRuleFor(err: unknown): TransportRule | undefined {
  const g = grpcFailure(err);
  if (!g) return undefined;
  return TRANSPORT_RULES.find((r) => r.code === g.code && (r.details === undefined || g.details.includes(r.details)));
}

/** How one failed attempt counts: retried or not, and whether it may have applied anything. */
export function decide(err: unknown, phase: Phase): Decision {
  const atCommit = (o: Outcome): Outcome => (phase === 'commit' ? o : 'definite');
  if (err instanceof YDBError) {
    const name = statusName(err.code);
    const rule = STATUS_RULES[name] ?? UNKNOWN_STATUS;
    return { retry: rule.retry, outcome: atCommit(rule.atCommit), why: `${name}: ${rule.why}` };
  }
  const g = grpcFailure(err);
  if (g) {
    const rule = transportRuleFor(err);
    if (!rule) return { retry: false, outcome: atCommit('indeterminate'), why: `gRPC status ${g.code}` };
    return { retry: rule.retry, outcome: rule.sent ? atCommit('indeterminate') : 'definite', why: `gRPC ${rule.name}: ${rule.why}` };
  }
  if (isAbort(err)) return { retry: false, outcome: atCommit('indeterminate'), why: 'cancelled by our deadline or close()' };
  return { retry: false, outcome: atCommit('indeterminate'), why: 'unclassified error' };
}

/** One attempt failed; the retry loop reads `decision`, the caller turns it into a store error. */
export class AttemptFailure extends Error {
  constructor(readonly decision: Decision, readonly phase: Phase, readonly cause: unknown) {
    super(`${decision.why} (during ${phase}): ${describe(cause)}`);
    this.name = 'AttemptFailure';
  }
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}
