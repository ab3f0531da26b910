import t from 'tap';
import type { ApiClient } from '../lib/api/client.ts';
import { leaderByMajority } from '../lib/runtime/cluster.ts';

const node = (answer: string | null | 'down') =>
  ({ leader: async () => (answer === 'down' ? { type: 'fail', error: 'unavailable' } : { type: 'ok', value: { leader: answer } }) }) as unknown as ApiClient;

t.test('the leader is the name most API nodes give, and only a majority of them', async (t) => {
  t.equal(await leaderByMajority([node('n2'), node('n2'), node('n2')]), 'n2');
  t.equal(await leaderByMajority([node('n2'), node('n1'), node('n2')]), 'n2', 'one stale belief is outvoted');
  t.equal(await leaderByMajority([node('n2'), node('down'), node('n2')]), 'n2', 'a node that cannot answer does not block');
  t.equal(await leaderByMajority([node('n2'), node('n1'), node('n3')]), undefined, 'no majority: unknown');
  t.equal(await leaderByMajority([node(null), node(null), node('n1')]), undefined, 'mid-election: unknown');
});
