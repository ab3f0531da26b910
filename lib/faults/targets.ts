// Symbolic fault targets, resolved late (when the fault starts) and recorded by name.

export type Target =
  | { kind: 'node'; number: number }
  | { kind: 'random' }
  | { kind: 'all' }
  /** The smaller side of a split: ⌊n/2⌋ nodes drawn from the seed. */
  | { kind: 'minority' }
  /** The node that leads when the fault starts, as the database says (where it can say). */
  | { kind: 'leader' };

export const target = {
  /** Node number `n`, counting from 1 (n1, n2, …). */
  node: (n: number): Target => ({ kind: 'node', number: n }),
  random: (): Target => ({ kind: 'random' }),
  all: (): Target => ({ kind: 'all' }),
  minority: (): Target => ({ kind: 'minority' }),
  leader: (): Target => ({ kind: 'leader' }),
};

export function describeTarget(t: Target): string {
  return t.kind === 'node' ? `n${t.number}` : t.kind;
}

/**
 * @param pick a seeded uniform integer in [0, n)
 * @param leader the leading node's name, when the target is the leader (asked of the database first)
 */
export function resolveTarget(t: Target, nodes: readonly string[], pick: (n: number) => number, leader?: string): string[] {
  switch (t.kind) {
    case 'leader': {
      if (!leader) throw new Error('no node could say which node leads, so the leader cannot be targeted');
      if (!nodes.includes(leader)) throw new Error(`the database names ${leader} as leader, which is not one of ${nodes.join(', ')}`);
      return [leader];
    }
    case 'node': {
      const name = nodes[t.number - 1];
      if (!name) throw new Error(`fault target n${t.number} does not exist: the cluster has ${nodes.length} node(s)`);
      return [name];
    }
    case 'random':
      return [nodes[pick(nodes.length)]!];
    case 'all':
      return [...nodes];
    case 'minority': {
      const pool = [...nodes];
      const chosen: string[] = [];
      while (chosen.length < Math.floor(nodes.length / 2)) chosen.push(pool.splice(pick(pool.length), 1)[0]!);
      return chosen.sort();
    }
  }
}
