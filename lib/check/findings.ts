// The anomaly tally: count plus first, worst and last example per class. Only examples are kept,
// never the ops themselves, so memory stays flat however many anomalies a run produces.

import { ANOMALY_CLASSES } from './verdict.ts';
import type { Anomaly, AnomalyClass, AnomalyExample } from './verdict.ts';

export class Findings {
  private readonly byClass = new Map<AnomalyClass, Anomaly>();
  private total = 0;

  add(cls: AnomalyClass, example: AnomalyExample): void {
    this.total++;
    const seen = this.byClass.get(cls);
    if (!seen) {
      this.byClass.set(cls, { count: 1, first: example, worst: example, last: example });
      return;
    }
    seen.count++;
    seen.last = example;
    if (example.severity > seen.worst.severity) seen.worst = example;
  }

  count(): number {
    return this.total;
  }

  /** A copy in the canonical class order, so the JSON output reads the same run after run. */
  snapshot(): Partial<Record<AnomalyClass, Anomaly>> {
    const out: Partial<Record<AnomalyClass, Anomaly>> = {};
    for (const cls of ANOMALY_CLASSES) {
      const a = this.byClass.get(cls);
      if (a) out[cls] = { ...a };
    }
    return out;
  }
}

/** "a, b, c and 4 more": keeps detail sentences short when many accounts are involved. */
export function listSome(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
