// Everything a report is rendered from: plain data, so rendering is a pure function of it.
import type { CheckResult, SegmentVerdict } from '../check/verdict.ts';
import type { CellMetrics } from '../metrics/summary.ts';
import type { ReadPromise } from '../runtime/cluster.ts';

export type FaultStatus = 'applied' | 'unsupported' | 'failed';

export interface FaultRecord {
  kind: string;
  /** Database nodes actually hit (n1, n2, …). */
  targets: string[];
  /** Relative to the cell's start. */
  plannedAtMs: number;
  plannedForMs: number;
  /** When applying the fault began; absent when it was not applied. */
  appliedAtMs?: number;
  /** When its effect was verified on every target. */
  verifiedAtMs?: number;
  /** When the heal finished (node back and verified). */
  healedAtMs?: number;
  status: FaultStatus;
  /** Whether the fault was checked to have taken effect on every target (process gone, stopped, …). */
  verified: boolean;
  /** What went wrong, or how it was verified. */
  detail?: string;
}

export interface CellReport {
  name: string;
  /** The cell's settings as a person reads them: loop, rate, routing, isolation, … */
  settings: Record<string, string | number>;
  /** Run time (ns since the run started) of the cell's start and end. */
  startNs: number;
  endNs: number;
  faults: FaultRecord[];
  metrics: CellMetrics;
  verdict: SegmentVerdict;
  /** What the engine promised about reads in this cell; absent where it states nothing. */
  readPromise?: ReadPromise;
}

export interface RunReport {
  notebook: string;
  /** UTC ISO time the run started; also the results folder name. */
  startedAt: string;
  /** The command line that re-runs this exact run. */
  command: string;
  params: Record<string, unknown>;
  /** Database, versions, node count, machine. */
  environment: Record<string, string | number>;
  cells: CellReport[];
  check: CheckResult;
}
