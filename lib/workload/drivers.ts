// The two load drivers. Open loop (the default) sends operations at a fixed arrival rate whatever
// the database does, measures latency from each operation's intended start and counts what it
// could not send as dropped; closed loop runs K workers that each wait for their last answer.
import { nowNs, sleep } from '../clock.ts';
import type { CellRecorder } from '../metrics/cell-recorder.ts';
import type { ApiTarget, OpExecutor, ProcessIds } from './executor.ts';
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

export async function openLoop(o: OpenLoopOptions, d: DriverDeps): Promise<void> {
  if (!(o.rate > 0)) throw new Error(`open loop needs a rate above 0 (got ${o.rate})`);
  const intervalNs = 1e9 / o.rate;
  const startNs = nowNs();
  const total = Math.floor((o.durationMs / 1000) * o.rate);
  const inFlight = new Set<Promise<unknown>>();
  let sent = 0;
  while (sent < total && !d.signal?.aborted) {
    const now = nowNs();
    // Send everything that is due; timers are coarse, so several ops may be due at once.
    while (sent < total && startNs + sent * intervalNs <= now) {
      const intendedNs = startNs + sent * intervalNs;
      sent++;
      if (inFlight.size >= o.maxInFlight) {
        d.metrics.recordDropped();
        continue;
      }
      const process = d.processes.acquire();
      const p = d.exec.execute(process, d.gen.next(), d.route(), intendedNs).then((outcome) => {
        d.processes.release(process, outcome);
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
    const nextDueNs = startNs + sent * intervalNs;
    await sleep(Math.max(0, (nextDueNs - nowNs()) / 1e6), d.signal);
  }
  await Promise.all(inFlight);
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
