// A closed-loop load of transfers only, measured as bankrun measures a cell (every operation in
// the history and in the HDR histograms), for throughput comparisons with other clients.
import { join } from 'node:path';
import { nowNs } from '../../lib/clock.ts';
import { HistoryWriter } from '../../lib/history/writer.ts';
import { CellRecorder } from '../../lib/metrics/cell-recorder.ts';
import type { Quantiles } from '../../lib/metrics/summary.ts';
import { closedLoop } from '../../lib/workload/drivers.ts';
import { OpExecutor, ProcessIds, type ApiTarget } from '../../lib/workload/executor.ts';
import { OpGenerator } from '../../lib/workload/generator.ts';

export interface ClosedLoadOptions {
  workers: number;
  durationMs: number;
  accounts: number;
  maxAmount: number;
  /** Seeds the operations; transfer ids carry it, so give each load of one bank its own. */
  seed: number;
  /** Where the history file goes (a scratch folder). */
  dir: string;
}

export interface ClosedLoadResult {
  /** Transfers answered (ok or insufficient) per second of load. */
  tps: number;
  completed: number;
  /** Failed or indeterminate transfers: a comparison is void when these are not zero. */
  errors: number;
  latency: Quantiles;
}

export async function closedLoad(target: ApiTarget, o: ClosedLoadOptions): Promise<ClosedLoadResult> {
  const history = new HistoryWriter(join(o.dir, `closed-load-${o.seed}.jsonl`));
  const startNs = nowNs();
  const metrics = new CellRecorder(startNs);
  try {
    await closedLoop({ durationMs: o.durationMs, workers: o.workers }, {
      gen: new OpGenerator({ seed: o.seed, accounts: o.accounts, maxAmount: o.maxAmount, readShare: 0 }),
      route: () => target,
      exec: new OpExecutor(history, metrics),
      processes: new ProcessIds(1),
      metrics,
    });
  } finally {
    history.close();
  }
  const endNs = nowNs();
  const m = metrics.summary(endNs, 0);
  const completed = m.transfers.ok.count + m.transfers.insufficient.count;
  return { tps: completed / ((endNs - startNs) / 1e9), completed, errors: m.transfers.fail.count + m.transfers.info.count, latency: m.allTransfers };
}
