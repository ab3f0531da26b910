// The fault kinds bankrun knows, with how each is named in the terminal, the history and charts.
// A runtime says which it can apply; the rest are reported as unsupported, never as applied.

export const FAULT_KINDS = {
  kill: 'kill -9, restart after the window',
  pause: 'pause (SIGSTOP), resume after the window',
  stop: 'clean shutdown, start after the window',
  partition: 'network partition',
  loss: 'packet loss',
  bandwidth: 'bandwidth limit',
  latency: 'added latency and jitter',
} as const;
export type FaultKind = keyof typeof FAULT_KINDS;

export type Support = { ok: true } | { ok: false; reason: string };

/**
 * What a runtime does to one database node. `apply` and `heal` resolve with how the effect was
 * verified (e.g. "process group gone") and reject when it could not be applied or verified.
 */
export interface FaultDriver {
  /** Whether this runtime can apply `kind` here; may ask the machine (is there netem?). */
  support(kind: FaultKind): Support | Promise<Support>;
  /**
   * @param group every node this fault hits at once (a partition cuts `group` off from the rest)
   * @param level how hard, for the kinds that have one: loss in %, bandwidth in kbit/s
   */
  apply(kind: FaultKind, node: string, group: readonly string[], level?: number): Promise<string>;
  heal(kind: FaultKind, node: string, group: readonly string[]): Promise<string>;
}

/** A cluster whose nodes cannot be faulted: every fault is reported unsupported, with the reason. */
export function noFaults(reason: string): FaultDriver {
  return {
    support: () => ({ ok: false, reason }),
    apply: () => Promise.reject(new Error(reason)),
    heal: () => Promise.resolve('nothing to heal'),
  };
}
