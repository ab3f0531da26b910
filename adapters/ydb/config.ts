// The adapter's string config (what an API node is started with) parsed into options once, so a
// bad value is a definite error before any driver exists.
//
// Keys (all strings):
//   endpoint        grpc://host:2136/Root/testdb (grpcs:// for TLS; the path is the database;
//                   grpc://host:2136?database=/Root/testdb also works)
//   timeoutMs       deadline of every call (default 4000); ping uses at most 2000
//   setupTimeoutMs  deadline of setup (default 60000)
//   readMode        how read() and readVersioned() read (default serializable):
//                     serializable  serializable read-write transaction: the read takes its place
//                                   in YDB's serializable order; a concurrent write may abort it
//                                   (retried here)
//                     snapshot      snapshot read-only: one consistent snapshot holding every
//                                   transaction committed before it began; writers never abort it
//                     stale         stale read-only: consistent within the one SELECT, but may lag
//                                   fractions of a second behind the latest commits
//   run             optional table-name prefix: <run>_accounts, <run>_ledger
//   poolMax         idle sessions kept for reuse (default 50; at least the calls in flight)
import { DefiniteError } from '../../lib/store.ts';
import { defaultRetryPolicy, type RetryPolicy } from '../../lib/retry.ts';
import type { TxModeCase } from './query.ts';

export type ReadMode = 'serializable' | 'snapshot' | 'stale';

/** The YDB transaction mode behind each `readMode` setting. */
export const READ_MODES: Readonly<Record<ReadMode, TxModeCase>> = {
  serializable: 'serializableReadWrite',
  snapshot: 'snapshotReadOnly',
  stale: 'staleReadOnly',
};

export interface YdbStoreOptions {
  /** The connection string as given. */
  endpoint: string;
  /** The database path it names (/Root/testdb). */
  database: string;
  timeoutMs: number;
  setupTimeoutMs: number;
  reads: ReadMode;
  run: string;
  poolMax: number;
  retry: RetryPolicy;
}

/** Parses the string config of a StoreFactory; a bad value is a definite error. */
export function parseConfig(config: Record<string, string>): YdbStoreOptions {
  const endpoint = config.endpoint ?? '';
  const format = 'config.endpoint must look like grpc://host:2136/Root/testdb (grpcs:// for TLS)';
  let url: URL;
  try {
    url = new URL(endpoint.replace(/^grpc(s?):/, 'http$1:'));
  } catch {
    throw new DefiniteError(format);
  }
  if (!/^grpcs?:\/\//.test(endpoint) || !url.hostname || !url.port) throw new DefiniteError(format);
  const database = url.pathname.length > 1 ? url.pathname : (url.searchParams.get('database') ?? '');
  if (!database.startsWith('/') || database.length < 2) throw new DefiniteError(`${format}: the database path is missing`);
  const num = (key: string, dflt: number): number => {
    const v = config[key] === undefined ? dflt : Number(config[key]);
    if (!Number.isFinite(v) || v <= 0) throw new DefiniteError(`config.${key} must be a positive number`);
    return v;
  };
  const reads = (config.readMode ?? 'serializable') as ReadMode;
  if (!(reads in READ_MODES)) throw new DefiniteError(`config.readMode must be one of ${Object.keys(READ_MODES).join(', ')}`);
  const run = config.run ?? '';
  if (!/^[A-Za-z0-9_]*$/.test(run)) throw new DefiniteError('config.run may hold only letters, digits and _');
  return {
    endpoint,
    database,
    timeoutMs: num('timeoutMs', 4000),
    setupTimeoutMs: num('setupTimeoutMs', 60_000),
    reads,
    run,
    poolMax: Math.floor(num('poolMax', 50)),
    retry: defaultRetryPolicy,
  };
}
