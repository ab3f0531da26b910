// What the audits settled: how indeterminate transfers resolved, and how many transfers no audit
// came after. Computed per epoch (a setup starts a new one), overall and per segment.

import type { IndeterminateResolution } from './verdict.ts';

/** How the last audit after an `info` transfer resolved it. */
export type Resolution = 'applied' | 'notApplied' | 'unresolved';

export interface Settled {
  indeterminate: IndeterminateResolution;
  /** Transfers that completed with no audit invoked after them. */
  unsettled: number;
}

function emptySettled(): Settled {
  return { indeterminate: { total: 0, applied: 0, notApplied: 0, unresolved: 0 }, unsettled: 0 };
}

export class Settlement {
  readonly overall: Settled = emptySettled();
  private readonly bySegment = new Map<number, Settled>();

  /** One completed transfer; `resolution` only for those that ended `info`. */
  add(segment: number, resolution: Resolution | null, unsettled: boolean): void {
    let seg = this.bySegment.get(segment);
    if (!seg) this.bySegment.set(segment, (seg = emptySettled()));
    for (const s of [this.overall, seg]) {
      if (unsettled) s.unsettled++;
      if (resolution) {
        s.indeterminate.total++;
        s.indeterminate[resolution]++;
      }
    }
  }

  segment(index: number): Settled {
    return this.bySegment.get(index) ?? emptySettled();
  }

  /** A new Settlement holding both; neither input changes (result() must not disturb the run). */
  merged(other: Settlement): Settlement {
    const out = new Settlement();
    for (const from of [this, other]) {
      addInto(out.overall, from.overall);
      for (const [i, s] of from.bySegment) {
        let seg = out.bySegment.get(i);
        if (!seg) out.bySegment.set(i, (seg = emptySettled()));
        addInto(seg, s);
      }
    }
    return out;
  }
}

function addInto(into: Settled, from: Settled): void {
  into.unsettled += from.unsettled;
  const a = into.indeterminate;
  const b = from.indeterminate;
  a.total += b.total;
  a.applied += b.applied;
  a.notApplied += b.notApplied;
  a.unresolved += b.unresolved;
}
