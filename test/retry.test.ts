import t from 'tap';
import { defaultRetryPolicy, withRetries } from '../lib/retry.ts';
import { retriesOf } from '../lib/store.ts';

class Conflict extends Error {}
const policy = { ...defaultRetryPolicy, baseMs: 1, capMs: 2 };
const isConflict = (e: unknown) => e instanceof Conflict;

t.test('retries what the predicate accepts, and counts', async (t) => {
  let calls = 0;
  let counted = 0;
  const r = await withRetries(policy, isConflict, async () => {
    if (++calls < 3) throw new Conflict();
    return 'done';
  }, () => counted++);
  t.same(r, { value: 'done', retries: 2 });
  t.equal(counted, 2);
});

t.test('any other error is thrown at once', async (t) => {
  const boom = new Error('boom');
  let calls = 0;
  const err = await withRetries(policy, isConflict, async () => { calls++; throw boom; }).catch((e: unknown) => e);
  t.equal(err, boom);
  t.equal(calls, 1);
  t.equal(retriesOf(err), 0);
});

t.test('gives up after maxRetries with the count attached, and is bounded in time', async (t) => {
  const err = await withRetries({ ...policy, maxRetries: 4 }, isConflict, async () => { throw new Conflict(); }).catch((e: unknown) => e);
  t.type(err, Conflict);
  t.equal(retriesOf(err), 4);
  const start = Date.now();
  await withRetries({ ...policy, maxRetries: 1e6, maxMs: 50 }, isConflict, async () => { throw new Conflict(); }).catch(() => undefined);
  t.ok(Date.now() - start < 1000);
});
