// One history entry: Jepsen's operation model, as one JSON object per line.
// `time` is nanoseconds since the start of the run (monotonic).

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

export interface Op {
  index: number;
  type: OpType;
  /** 'setup' | 'transfer' | 'read' | 'audit' for clients; the fault kind for the nemesis. */
  f: string;
  /** A client process number, or 'nemesis' for fault events. */
  process: number | 'nemesis';
  /** The API node that served the operation (n1, n2, …), or null. */
  node: string | null;
  time: number;
  value: unknown;
  /** Why a `fail` or `info` happened. */
  error?: string;
  /** Conflict retries the adapter did for this operation (transfers). */
  retries?: number;
  /**
   * On ok transfers and reads, where the adapter reports them: account versions (lib/store.ts
   * Versions) after the transfer, or in the read's snapshot. The realtime-read check uses them.
   */
  versions?: Record<string, number>;
  /**
   * Open loop, on invokes: when the operation was due (ns). Latency is measured from here, so a
   * stall that delays sending shows up in the figures (coordinated omission).
   */
  intended?: number;
}
