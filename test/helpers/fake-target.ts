// An API target that answers after a chosen delay, for driver and metrics tests without servers.
import { sleep } from '../../lib/clock.ts';
import type { ApiTarget, ClassifiedOutcome } from '../../lib/workload/executor.ts';
import type { Transfer } from '../../lib/store.ts';

export interface FakeTarget extends ApiTarget {
  calls: number;
  maxConcurrent: number;
}

/** @param delayMs how long each call takes, given its start time (ms since creation) and its number (from 1) */
export function fakeTarget(name: string, delayMs: (sinceStartMs: number, call: number) => number, answer: ClassifiedOutcome = { type: 'ok' }): FakeTarget {
  const start = performance.now();
  let concurrent = 0;
  const call = async (): Promise<ClassifiedOutcome> => {
    target.calls++;
    concurrent++;
    target.maxConcurrent = Math.max(target.maxConcurrent, concurrent);
    await sleep(delayMs(performance.now() - start, target.calls));
    concurrent--;
    return answer;
  };
  const target: FakeTarget = {
    name,
    calls: 0,
    maxConcurrent: 0,
    transfer: (_t: Transfer) => call(),
    read: () => call(),
  };
  return target;
}
