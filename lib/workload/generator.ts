// The seeded operation generator: the same seed gives the same operations, targets and amounts,
// so a run can be repeated. Transfer ids are unique for the whole run.
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { Transfer } from '../store.ts';
import { accountIds } from './bank.ts';

export type GeneratedOp = { f: 'transfer'; value: Transfer } | { f: 'read'; value: null };

export interface GeneratorOptions {
  seed: number;
  accounts: number;
  /** Largest transfer amount; amounts are uniform in 1..maxAmount. */
  maxAmount: number;
  /** Share of full reads among operations, 0..1. */
  readShare: number;
}

export class OpGenerator {
  private readonly rng;
  private readonly ids: string[];
  private transfers = 0;

  constructor(private readonly opts: GeneratorOptions) {
    if (opts.accounts < 2) throw new Error('the bank needs at least 2 accounts to transfer between');
    this.rng = xoroshiro128plus(opts.seed);
    this.ids = accountIds(opts.accounts);
  }

  next(): GeneratedOp {
    if (uniformFloat64(this.rng) < this.opts.readShare) return { f: 'read', value: null };
    const n = this.ids.length;
    const from = uniformInt(this.rng, 0, n - 1);
    // A distinct pair without rejection sampling: pick among the other n-1 accounts.
    const to = (from + uniformInt(this.rng, 1, n - 1)) % n;
    const amount = uniformInt(this.rng, 1, this.opts.maxAmount);
    const id = `t${this.opts.seed}-${this.transfers++}`;
    return { f: 'transfer', value: { id, from: this.ids[from]!, to: this.ids[to]!, amount } };
  }

  /** A uniform integer in [0, n), from the same seeded stream (routing choices). */
  pick(n: number): number {
    return uniformInt(this.rng, 0, n - 1);
  }
}
