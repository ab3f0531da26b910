import t from 'tap';
import { DefiniteError, IndeterminateError } from '../lib/store.ts';

t.test('outcome errors carry their kind, so the API node can map them without instanceof', async (t) => {
  t.equal(new DefiniteError('x').kind, 'definite');
  t.equal(new IndeterminateError('x').kind, 'indeterminate');
  t.ok(new IndeterminateError('y', { cause: new Error('z') }).cause);
});
