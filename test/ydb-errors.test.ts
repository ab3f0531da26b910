// YDB's failure classification without a server: which YDB statuses and gRPC failures are
// retried, and which may have applied a commit (adapters/ydb/errors.ts).
import t from 'tap';
import { StatusIds_StatusCode as S } from '@ydbjs/api/operation';
import { YDBError } from '@ydbjs/error';
import { decide, STATUS_RULES, TRANSPORT_RULES, transportRuleFor } from '../adapters/ydb/errors.ts';

t.test('no server: every YDB status has a rule, and the rules are the documented ones', async (t) => {
  const retriedAlways = ['ABORTED', 'OVERLOADED', 'UNAVAILABLE', 'BAD_SESSION', 'SESSION_BUSY'];
  const retriedAsIdempotent = ['SESSION_EXPIRED', 'UNDETERMINED', 'TIMEOUT'];
  // Only ABORTED proves a commit rolled back ("lock invalidation", ydb-status-codes#aborted); YDB
  // answered UNAVAILABLE to commits that applied (ydb#14848, ydb#23968), so no other status does.
  const provenNotApplied = ['ABORTED'];
  const statuses = Object.entries(YDBError.codes).filter(([, name]) => name !== 'SUCCESS' && name !== 'UNSPECIFIED');
  t.ok(statuses.length >= 19, `${statuses.length} statuses`);
  for (const [code, name] of statuses) {
    t.ok(STATUS_RULES[name], `${name} has a rule`);
    const err = new YDBError(Number(code) as S, []);
    const commit = decide(err, 'commit');
    const wantRetry = retriedAlways.includes(name) || retriedAsIdempotent.includes(name);
    const wantAtCommit = provenNotApplied.includes(name) ? 'definite' : 'indeterminate';
    t.same([commit.retry, commit.outcome], [wantRetry, wantAtCommit], `${name} answering a commit`);
    t.match(commit.why, name, 'the reason names the status');
    for (const phase of ['connect', 'read'] as const) {
      t.same([decide(err, phase).retry, decide(err, phase).outcome], [wantRetry, 'definite'], `${name} before the commit: nothing applied`);
    }
    // The SDK's own view for an idempotent operation: retryable true or 'conditionally'.
    t.equal(commit.retry, err.retryable !== false, `${name}: retried exactly when the SDK would retry an idempotent call`);
  }
  const unknown = decide(new YDBError(499_999 as S, []), 'commit');
  t.same([unknown.retry, unknown.outcome], [false, 'indeterminate'], 'an unknown status at commit may have applied');
});

t.test('no server: transport failures before and after the commit', async (t) => {
  const grpc = (code: number, details: string) => Object.assign(new Error(`/Ydb.Query.V1.QueryService/ExecuteQuery X: ${details}`), { name: 'ClientError', code, details });
  const abort = Object.assign(new Error('The operation has been aborted'), { name: 'AbortError' });
  const cases: [unknown, string, boolean, 'definite' | 'indeterminate', 'definite' | 'indeterminate'][] = [
    // error, what, retry, at commit, before commit. At commit only a request never sent (or refused
    // unprocessed, REFUSED_STREAM) is definite: whatever reached the server may have applied.
    [grpc(14, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1'), 'no connection', false, 'definite', 'definite'],
    [grpc(14, 'Channel closed before call started'), 'closed channel', false, 'definite', 'definite'],
    [grpc(14, 'Stream refused by server'), 'REFUSED_STREAM', true, 'definite', 'definite'],
    [grpc(14, 'Connection dropped'), 'dropped mid-call', true, 'indeterminate', 'definite'],
    [grpc(13, 'Received RST_STREAM with code 2 (Call ended without gRPC status)'), 'no status', true, 'indeterminate', 'definite'],
    [grpc(1, 'Call cancelled'), 'cancelled', true, 'indeterminate', 'definite'],
    [grpc(4, 'Deadline exceeded'), 'transport deadline', true, 'indeterminate', 'definite'],
    [grpc(2, 'Unknown'), 'unknown', false, 'indeterminate', 'definite'],
    [grpc(8, 'Bandwidth exhausted or memory limit exceeded'), 'resource exhausted', true, 'indeterminate', 'definite'],
    [grpc(16, 'bad token'), 'unauthenticated', false, 'indeterminate', 'definite'],
    [grpc(12, 'unimplemented'), 'unimplemented', false, 'indeterminate', 'definite'],
    [grpc(99, 'made up'), 'an unknown gRPC code', false, 'indeterminate', 'definite'],
    [abort, 'our own deadline or close', false, 'indeterminate', 'definite'],
    [new Error('something else'), 'an unknown error', false, 'indeterminate', 'definite'],
  ];
  for (const [err, what, retry, atCommit, before] of cases) {
    const c = decide(err, 'commit');
    t.same([c.retry, c.outcome], [retry, atCommit], `${what}, answering a commit`);
    t.equal(decide(err, 'read').outcome, before, `${what}, before the commit`);
    t.equal(decide(err, 'connect').outcome, 'definite', `${what}, opening a session`);
  }
  TRANSPORT_RULES.forEach((rule, i) => {
    t.equal(transportRuleFor(grpc(rule.code, `x ${rule.details ?? 'anything'} y`)), rule, `rule ${i} (${rule.name} ${rule.details ?? '*'}) is reachable`);
  });
});
