// The two load drivers. Open loop (the default) sends operations at a fixed arrival rate whatever
// the database does, measures latency from each operation's intended start and counts what it
// could not send as dropped; closed loop runs K workers that each wait for their last answer.
import { nowNs } from '../clock.ts';
import type { CellRecorder } from '../metrics/cell-recorder.ts';
import type { ApiTarget, Completion, OpExecutor, ProcessIds } from './executor.ts';
import type { OpGenerator } from './generator.ts';

export interface DriverDeps {
  gen: OpGenerator;
  route: () => ApiTarget;
  exec: OpExecutor;
  processes: ProcessIds;
  metrics: CellRecorder;
  /** Aborted on Ctrl-C: no new operations are sent; those in flight still complete. */
  signal?: AbortSignal;
}

export interface OpenLoopOptions {
  durationMs: number;
  /** Operations per second. */
  rate: number;
  /** Operations allowed in flight at once; past it, due operations are dropped and counted. */
  maxInFlight: number;
}

/** The longest the open loop sleeps between checks of its abort signal (low rates, Ctrl-C). */
const MAX_SLEEP_MS = 50;

export async function openLoop(o: OpenLoopOptions, d: DriverDeps): Promise<void> {
  if (!(o.rate > 0)) throw new Error(`open loop needs a rate above 0 (got ${o.rate})`);
  const intervalNs = 1e9 / o.rate;
  const startNs = nowNs();
  const total = Math.floor((o.durationMs / 1000) * o.rate);
  // A count, not a set of promises: at 10,000/s a set and a promise per op cost more than the send.
  let inFlight = 0;
  let drained: (() => void) | undefined;
  let failure: unknown;
  const complete = (process: number, outcome: Completion): void => {
    d.processes.release(process, outcome);
    if (--inFlight === 0) drained?.();
  };
  let sent = 0;
  while (sent < total && !d.signal?.aborted && failure === undefined) {
    const now = nowNs();
    // Send everything that is due; timers fire at best each millisecond, so at high rates several
    // ops are due at once. Each keeps its own intended start, so the wait is still measured.
    while (sent < total && startNs + sent * intervalNs <= now) {
      const intendedNs = startNs + sent * intervalNs;
      sent++;
      if (inFlight >= o.maxInFlight) {
        d.metrics.recordDropped();
        continue;
      }
      const process = d.processes.acquire();
      inFlight++;
      d.exec.execute(process, d.gen.next(), d.route(), intendedNs).then(
        (outcome) => complete(process, outcome),
        (err: unknown) => {
          // The executor failed (e.g. the history was closed): the run stops with that error.
          failure ??= err;
          complete(process, 'info');
        },
      );
    }
    const nextDueMs = (startNs + sent * intervalNs - nowNs()) / 1e6;
    // setTimeout's floor is 1 ms; asking for less still waits about that long.
    await pause(Math.min(MAX_SLEEP_MS, Math.max(0, nextDueMs)));
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  if (failure !== undefined) throw failure;
}

/** A timer without an abort listener: the loop itself checks the signal at least every MAX_SLEEP_MS. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ClosedLoopOptions {
  durationMs: number;
  workers: number;
}

export async function closedLoop(o: ClosedLoopOptions, d: DriverDeps): Promise<void> {
  if (!(o.workers >= 1)) throw new Error(`closed loop needs at least 1 worker (got ${o.workers})`);
  const endNs = nowNs() + o.durationMs * 1e6;
  const worker = async () => {
    // A worker keeps its process until an operation ends indeterminate; that process is retired
    // (it may still be running in the database) and the worker goes on as a fresh one.
    let process = d.processes.acquire();
    while (nowNs() < endNs && !d.signal?.aborted) {
      const outcome = await d.exec.execute(process, d.gen.next(), d.route());
      if (outcome === 'info') {
        d.processes.release(process, outcome);
        process = d.processes.acquire();
      }
    }
    d.processes.release(process, 'ok');
  };
  await Promise.all(Array.from({ length: o.workers }, worker));
}
