// Seeded randomness. Each consumer (operations, routing, the nemesis) draws from its own stream,
// derived from the run's seed, so that how their calls interleave in time cannot change what
// any of them draws: the same seed gives the same run.
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';

export type Stream = 'ops' | 'routing' | 'nemesis';
const STREAM_OFFSET: Record<Stream, number> = { ops: 0, routing: 0x5bd1e995, nemesis: 0x2545f491 };

export class SeededRandom {
  private readonly rng;

  constructor(seed: number, stream: Stream = 'ops') {
    this.rng = xoroshiro128plus((seed ^ STREAM_OFFSET[stream]) | 0);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return uniformInt(this.rng, 0, n - 1);
  }

  /** A uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return uniformInt(this.rng, lo, hi);
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return uniformFloat64(this.rng);
  }
}
