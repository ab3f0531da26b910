// The engine's promise about reads set beside what the realtime-read check measured, per cell: a
// stale read where the engine promised none is a broken promise and the report says so; where it
// promised nothing, stale reads are expected and only counted.
import { count, table } from './format.ts';
import type { CellReport } from './model.ts';

export type PromiseVerdict = 'kept' | 'broken' | 'not promised' | 'not stated' | 'not checked';

export interface PromiseJudgement {
  verdict: PromiseVerdict;
  /** One line for the report: the promise, what was measured, and the verdict. */
  text: string;
}

export function judgeReadPromise(cell: Pick<CellReport, 'readPromise' | 'verdict'>): PromiseJudgement {
  const promise = cell.readPromise;
  const r = cell.verdict.realtime;
  const measured = r?.checked ? `${r.stale} stale of ${r.checked} checked` : 'no read checked';
  if (!promise) return { verdict: 'not stated', text: `the engine states no promise; ${measured}` };
  const claim = promise.fresh ? `promised fresh (${promise.why})` : `not promised fresh (${promise.why})`;
  if (!r?.checked) return { verdict: 'not checked', text: `${claim}; ${measured}` };
  if (!promise.fresh) return { verdict: 'not promised', text: `${claim}; ${measured}` };
  return r.stale > 0
    ? { verdict: 'broken', text: `${claim}; **${measured}: promise broken**` }
    : { verdict: 'kept', text: `${claim}; ${measured}: kept` };
}

/** Cells whose engine promised fresh reads and served stale ones. */
export function brokenReadPromises(cells: readonly CellReport[]): CellReport[] {
  return cells.filter((c) => judgeReadPromise(c).verdict === 'broken');
}

const VERDICT_TEXT: Record<PromiseVerdict, string> = {
  kept: '✅ kept',
  broken: '❌ broken',
  'not promised': 'not promised',
  'not stated': 'not stated',
  'not checked': 'not checked',
};

/** Per cell: what the engine promised about reads, what was measured, and whether the promise held. */
export function readPromiseTable(cells: readonly CellReport[]): string {
  const rows = cells.map((c) => {
    const r = c.verdict.realtime;
    const promise = c.readPromise ? `${c.readPromise.fresh ? 'fresh' : 'may be stale'}: ${c.readPromise.why}` : '—';
    return [c.name, promise, r?.checked ? `${count(r.stale)} / ${count(r.checked)}` : '—', VERDICT_TEXT[judgeReadPromise(c).verdict]];
  });
  return table(['cell', 'the engine promises', 'stale / checked', 'promise'], rows, ['l', 'l', 'r', 'l']);
}
