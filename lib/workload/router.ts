// Which API node an operation goes to: `all` picks one at random (seeded) per operation,
// `one` pins every operation to one node.
import type { ApiTarget } from './executor.ts';
import type { SeededRandom } from '../random.ts';

export type Routing = 'all' | 'one';

export function router(targets: readonly ApiTarget[], routing: Routing, random: SeededRandom, pinned = 0): () => ApiTarget {
  if (targets.length === 0) throw new Error('no API nodes to send operations to');
  if (routing === 'one') {
    const target = targets[pinned];
    if (!target) throw new Error(`cannot pin to API node ${pinned + 1}: there are ${targets.length}`);
    return () => target;
  }
  return () => targets[random.int(targets.length)]!;
}
