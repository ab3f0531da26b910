// The FoundationDB adapter's error table and the classification of a failed call, without a
// server: which codes onError retries, and which failures may have applied.
import t from 'tap';
import { CallTrack, classifyWrite } from '../adapters/foundationdb/attempts.ts';
import { classifyRead, FDB_ERRORS, fdbCode, ruleFor } from '../adapters/foundationdb/errors.ts';
import { DefiniteError } from '../lib/store.ts';

/** What FDBError looks like to the adapter: an Error with a numeric code. */
class FakeFdbError extends Error {
  constructor(readonly code: number) {
    super(`fake FDB error ${code}`);
  }
}

const RETRYABLE = new Set(FDB_ERRORS.filter((r) => r.retryable).map((r) => r.code));

t.test('no server: the error table classifies every code', async (t) => {
  const codes = FDB_ERRORS.map((r) => r.code);
  t.equal(new Set(codes).size, codes.length, 'one rule per code');
  t.same(
    [...RETRYABLE].sort(),
    [1007, 1009, 1020, 1021, 1037, 1038, 1039, 1042, 1051, 1078, 1213],
    'retryable rows are fdb_error_predicate(RETRYABLE) of libfdb_c 7.2/7.3',
  );
  const track = (failedIn: 'body' | 'commit', code: number) => Object.assign(new CallTrack(), { failedIn, code });
  for (const rule of FDB_ERRORS) {
    t.equal(ruleFor(rule.code), rule);
    const err = new FakeFdbError(rule.code);
    const want = rule.commit === 'not-applied' ? 'definite' : 'indeterminate';
    t.equal(classifyWrite(err, track('commit', rule.code)).kind, want, `${rule.code} ${rule.name} answering a commit: ${want}`);
    t.equal(classifyWrite(err, track('body', rule.code)).kind, 'definite', `${rule.code} ${rule.name} before the commit: definite`);
  }
  const spot: [number, string][] = [
    [1020, 'definite'],
    [1007, 'definite'],
    [1021, 'indeterminate'],
    [1031, 'indeterminate'],
    [1039, 'indeterminate'],
    [2101, 'definite'],
    [9999, 'indeterminate'],
  ];
  for (const [code, want] of spot) {
    t.equal(classifyWrite(new FakeFdbError(code), track('commit', code)).kind, want, `commit answered ${code}: ${want}`);
  }
  t.equal(classifyWrite(new FakeFdbError(9999), track('body', 9999)).kind, 'definite', 'an unknown code before the commit sent nothing');
  t.equal(classifyWrite(new FakeFdbError(1031), track('commit', 1020)).kind, 'definite', 'conflict, then timed out in the backoff: nothing applied');
  t.equal(classifyWrite(new TypeError('boom'), track('commit', NaN)).kind, 'indeterminate', 'a non-FDB failure of the commit');

  const doubtful = (doubt: 'ledger' | 'open') => Object.assign(track('body', 1031), { doubt });
  t.equal(classifyWrite(new FakeFdbError(1031), doubtful('ledger')).kind, 'indeterminate', 'a retried 1021 not yet settled by a read');
  t.equal(classifyWrite(new FakeFdbError(1031), doubtful('open')).kind, 'indeterminate', 'a retried 1039 may still land');
  t.equal(classifyWrite(new DefiniteError('other money'), doubtful('open')).kind, 'indeterminate', 'doubt outweighs a definite refusal');
  const d = new DefiniteError('already classified');
  t.equal(classifyWrite(d, new CallTrack()), d, 'classified errors pass through');

  const settled = new CallTrack();
  settled.retriedCommit(1021);
  t.equal(settled.doubt, 'ledger', 'a retried commit_unknown_result leaves doubt a read can settle');
  settled.ledgerSeen();
  t.equal(settled.doubt, 'none', 'reading the ledger settles it');
  settled.retriedCommit(1039);
  settled.ledgerSeen();
  t.equal(settled.doubt, 'open', 'a commit that may land later stays in doubt');
  settled.retriedCommit(1020);
  t.equal(settled.doubt, 'open', 'and a conflict does not clear it');

  t.equal(classifyRead(new FakeFdbError(1031)).kind, 'indeterminate', 'a read without an answer in time');
  t.equal(classifyRead(new FakeFdbError(1020)).kind, 'definite', 'a failed read changed nothing');
  t.equal(classifyRead(new Error('plain')).kind, 'definite');
  t.equal(fdbCode(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), undefined, "Node's string codes are not FDB codes");
  t.equal(fdbCode(new FakeFdbError(1020)), 1020);
});
