// Retrying. `withRetries` is the one retry loop of the adapters: conflicts that certainly applied
// nothing (serialization failures, failed compares) are retried inside the adapter, with
// full-jitter exponential backoff, bounded in count and time, and counted. `retryUntil` is the
// tester's wait for something to come up (set-up, health, an audit), with a named deadline.
import { nowNs, sleep } from './clock.ts';
import { withRetryCount } from './store.ts';

export interface RetryPolicy {
  /** Attempts after the first one. */
  maxRetries: number;
  /** No new attempt starts after this long since the first. */
  maxMs: number;
  baseMs: number;
  capMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxRetries: 30, maxMs: 10_000, baseMs: 2, capMs: 200 };

/**
 * Runs `attempt` until it does not throw an error that `retryable` accepts. Returns the value and
 * how many retries it took; when it gives up, or on any other error, rethrows that error
 * unchanged with the retry count attached (see `retriesOf` in lib/store.ts).
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  retryable: (err: unknown) => boolean,
  attempt: (n: number) => Promise<T>,
  onRetry: () => void = () => undefined,
): Promise<{ value: T; retries: number }> {
  const started = Date.now();
  for (let n = 0; ; n++) {
    try {
      return { value: await attempt(n), retries: n };
    } catch (err) {
      const delay = Math.random() * Math.min(policy.capMs, policy.baseMs * 2 ** n);
      const inTime = Date.now() + delay - started < policy.maxMs;
      if (!retryable(err) || n >= policy.maxRetries || !inTime) {
        throw err instanceof Error ? withRetryCount(err, n) : err;
      }
      onRetry();
      await sleep(delay);
    }
  }
}

/** Retries `attempt` with backoff until it succeeds or `deadlineMs` passes; the error names what was awaited. */
export async function retryUntil(what: string, deadlineMs: number, attempt: () => Promise<void>): Promise<void> {
  const endNs = nowNs() + deadlineMs * 1e6;
  let last: unknown;
  for (let delay = 100; nowNs() < endNs; delay = Math.min(delay * 2, 2000)) {
    try {
      return await attempt();
    } catch (err) {
      last = err;
      await sleep(delay);
    }
  }
  throw new Error(`gave up after ${deadlineMs / 1000} s waiting for ${what}: ${(last as Error)?.message ?? last}`);
}
