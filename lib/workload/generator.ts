// The seeded operation generator: the same seed gives the same operations, targets and amounts,
// so a run can be repeated. Transfer ids are unique for the whole run.
import { SeededRandom } from '../random.ts';
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
  private readonly rng: SeededRandom;
  private readonly ids: string[];
  private transfers = 0;

  constructor(private readonly opts: GeneratorOptions) {
    if (opts.accounts < 2) throw new Error('the bank needs at least 2 accounts to transfer between');
    this.rng = new SeededRandom(opts.seed, 'ops');
    this.ids = accountIds(opts.accounts);
  }

  next(): GeneratedOp {
    if (this.rng.float() < this.opts.readShare) return { f: 'read', value: null };
    const n = this.ids.length;
    const from = this.rng.int(n);
    // A distinct pair without rejection sampling: pick among the other n-1 accounts.
    const to = (from + this.rng.between(1, n - 1)) % n;
    const amount = this.rng.between(1, this.opts.maxAmount);
    const id = `t${this.opts.seed}-${this.transfers++}`;
    return { f: 'transfer', value: { id, from: this.ids[from]!, to: this.ids[to]!, amount } };
  }
}
