// Symbolic fault targets, resolved late (when the fault starts) and recorded by name.

export type Target =
  | { kind: 'node'; number: number }
  | { kind: 'random' }
  | { kind: 'all' }
  /** The smaller side of a split: ⌊n/2⌋ nodes drawn from the seed. */
  | { kind: 'minority' }
  /** The node that leads when the fault starts, as the database says (where it can say). */
  | { kind: 'leader' }
  /**
   * Two sides that cannot reach each other and one node (drawn from the seed) that reaches both:
   * the targets are the two sides; the bridge node itself is left alone.
   */
  | { kind: 'bridge' };

export const target = {
  /** Node number `n`, counting from 1 (n1, n2, …). */
  node: (n: number): Target => ({ kind: 'node', number: n }),
  random: (): Target => ({ kind: 'random' }),
  all: (): Target => ({ kind: 'all' }),
  minority: (): Target => ({ kind: 'minority' }),
  leader: (): Target => ({ kind: 'leader' }),
  bridge: (): Target => ({ kind: 'bridge' }),
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
    case 'minority':
      return draw(nodes, Math.floor(nodes.length / 2), pick).sort();
    case 'bridge': {
      if (nodes.length < 3) throw new Error(`a bridge needs at least 3 nodes (two sides and the bridge); the cluster has ${nodes.length}`);
      // Drawn order, not sorted: groupsOf reads the sides back from it.
      return draw(nodes, nodes.length, pick).slice(1);
    }
  }
}

/**
 * The group each target belongs to, as the fault driver needs it: a partition cuts a node's
 * group off from every node outside it. Usually all targets form one group; for a bridge, each
 * side forms one with the bridge node, so the sides lose each other but both keep the bridge.
 */
export function groupsOf(t: Target, targets: readonly string[], nodes: readonly string[]): Map<string, string[]> {
  if (t.kind !== 'bridge') return new Map(targets.map((n) => [n, [...targets]]));
  const bridge = nodes.filter((n) => !targets.includes(n));
  const half = Math.ceil(targets.length / 2);
  const sides = [targets.slice(0, half), targets.slice(half)];
  return new Map(sides.flatMap((side) => side.map((n) => [n, [...side, ...bridge]] as [string, string[]])));
}

function draw(nodes: readonly string[], count: number, pick: (n: number) => number): string[] {
  const pool = [...nodes];
  const chosen: string[] = [];
  while (chosen.length < count) chosen.push(pool.splice(pick(pool.length), 1)[0]!);
  return chosen;
}
