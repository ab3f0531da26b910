// Runs one operation against one API node and records it: the invoke and its completion in the
// history, the latency in the cell's histograms. Both drivers go through here.
import { nowNs } from '../clock.ts';
import type { HistoryWriter } from '../history/writer.ts';
import type { CellRecorder } from '../metrics/cell-recorder.ts';
import type { OpType } from '../history/op.ts';
import type { Transfer } from '../store.ts';
import type { GeneratedOp } from './generator.ts';

/** What the drivers need from an API client: classified outcomes, never a throw. */
export type Completion = Exclude<OpType, 'invoke'>;

export interface ClassifiedOutcome {
  type: Completion;
  value?: unknown;
  error?: string;
  retries?: number;
  versions?: Record<string, number>;
}

export interface ApiTarget {
  name: string;
  transfer(t: Transfer): Promise<ClassifiedOutcome>;
  read(): Promise<ClassifiedOutcome>;
}

/**
 * Process numbers, Jepsen's way: a process runs one operation at a time; after an indeterminate
 * outcome it may still be running in the database, so it is retired and never invokes again.
 */
export class ProcessIds {
  private next: number;
  private readonly free: number[] = [];

  constructor(first = 1) {
    this.next = first;
  }

  acquire(): number {
    return this.free.pop() ?? this.next++;
  }

  release(process: number, outcome: Completion): void {
    if (outcome !== 'info') this.free.push(process);
  }
}

export class OpExecutor {
  /** Conflict retries the adapters reported for the operations run here. */
  retries = 0;

  constructor(
    private readonly history: HistoryWriter,
    private readonly metrics: CellRecorder,
  ) {}

  /** @param intendedNs open loop: when the op was due; latency is measured from then. */
  async execute(process: number, op: GeneratedOp, target: ApiTarget, intendedNs?: number): Promise<Completion> {
    const invokedNs = nowNs();
    this.history.append({
      type: 'invoke', f: op.f, process, node: target.name, time: invokedNs, value: op.value,
      ...(intendedNs === undefined ? {} : { intended: intendedNs }),
    });
    const result = op.f === 'transfer' ? await target.transfer(op.value) : await target.read();
    const completedNs = nowNs();
    // A read's versions come in its value; the history keeps them beside it, as a transfer's.
    const read = op.f === 'read' && result.type === 'ok' ? (result.value as { balances: unknown; versions?: Record<string, number> }) : undefined;
    const versions = wellFormed(result.versions ?? read?.versions);
    this.history.append({
      type: result.type, f: op.f, process, node: target.name, time: completedNs,
      value: op.f === 'transfer' ? op.value : read ? { balances: read.balances } : null,
      ...(result.error === undefined ? {} : { error: result.error }),
      ...(result.retries ? { retries: result.retries } : {}),
      ...(versions ? { versions } : {}),
    });
    const outcome = result.type === 'fail' && result.error === 'insufficient' ? 'insufficient' : result.type;
    this.metrics.record(op.f, outcome, intendedNs ?? invokedNs, completedNs, target.name);
    if (op.f === 'transfer' && result.retries !== undefined) this.metrics.recordRetries(result.retries);
    this.retries += result.retries ?? 0;
    return result.type;
  }
}

/** Versions as the checker reads them, or none: a malformed map (a user's adapter may send strings) leaves the read unchecked instead of voiding the history. */
function wellFormed(versions: unknown): Record<string, number> | undefined {
  if (typeof versions !== 'object' || versions === null || Array.isArray(versions)) return undefined;
  const ok = Object.values(versions).every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
  return ok ? (versions as Record<string, number>) : undefined;
}
