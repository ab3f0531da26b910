// One monotonic clock for the whole run, in nanoseconds as plain numbers (exact for 104 days).

const origin = process.hrtime.bigint();

/** Nanoseconds since this module was loaded (the run's time zero is taken from it). */
export function nowNs(): number {
  return Number(process.hrtime.bigint() - origin);
}

/** Waits `ms`, or less when `signal` aborts first (it resolves then, it does not throw). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
