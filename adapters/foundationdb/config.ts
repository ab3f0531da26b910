// The adapter's string config, checked before the native client is loaded, so that a bad value
// is named as a config error rather than hidden behind a missing library. Keys: clusterFile (a
// path) or clusterFileContents (e.g. "docker:docker@10.77.0.11:4500,10.77.0.12:4500", written to a
// temp file); with neither, the client's default lookup (FDB_CLUSTER_FILE, ./fdb.cluster,
// /etc/foundationdb/fdb.cluster). apiVersion (default 720: the highest the package supports; a 7.2
// or 7.3 libfdb_c accepts it). timeoutMs (per call, retries included; default 4000). run
// (optional key namespace).
import { defaultRetryPolicy } from '../../lib/retry.ts';
import { DefiniteError } from '../../lib/store.ts';

/** The highest API version the `foundationdb` 2.0.1 package supports. */
export const MAX_API_VERSION = 720;

export interface FdbStoreOptions {
  clusterFile?: string;
  clusterFileContents?: string;
  apiVersion: number;
  timeoutMs: number;
  run: string;
  /** onError retries per call; the timeout bounds the call anyway. */
  retryLimit: number;
  /** Longest backoff between attempts. */
  maxRetryDelayMs: number;
}

/** description:ID@address:port[,address:port...], addresses optionally with :tls. */
const CLUSTER_STRING = /^\w+:\w+@[^\s,@]+:\d+(:tls)?(,[^\s,@]+:\d+(:tls)?)*$/;

/** Parses the string config of a StoreFactory; a bad value is a definite error. */
export function parseConfig(config: Record<string, string>): FdbStoreOptions {
  const { clusterFile, clusterFileContents } = config;
  if (clusterFile !== undefined && clusterFileContents !== undefined) {
    throw new DefiniteError('config: give clusterFile or clusterFileContents, not both');
  }
  if (clusterFile !== undefined && clusterFile.trim() === '') throw new DefiniteError('config.clusterFile must be a path');
  const contents = clusterFileContents?.trim();
  if (contents !== undefined && !CLUSTER_STRING.test(contents)) {
    throw new DefiniteError('config.clusterFileContents must look like docker:docker@10.77.0.11:4500,10.77.0.12:4500');
  }
  const apiVersion = config.apiVersion === undefined ? MAX_API_VERSION : Number(config.apiVersion);
  // 610 and up keep the timeout across onError, which bounds a whole call.
  if (!Number.isInteger(apiVersion) || apiVersion < 610 || apiVersion > MAX_API_VERSION) {
    throw new DefiniteError(`config.apiVersion must be an integer in 610..${MAX_API_VERSION}`);
  }
  const timeoutMs = config.timeoutMs === undefined ? 4000 : Number(config.timeoutMs);
  // FDB's timeout option is a C int of milliseconds.
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > 2 ** 31 - 1) {
    throw new DefiniteError('config.timeoutMs must be a positive integer');
  }
  const run = config.run ?? '';
  if (!/^[\w.-]*$/.test(run)) throw new DefiniteError('config.run may hold only letters, digits, _ . -');
  return {
    clusterFile,
    clusterFileContents: contents,
    apiVersion,
    timeoutMs,
    run,
    retryLimit: defaultRetryPolicy.maxRetries,
    maxRetryDelayMs: defaultRetryPolicy.capMs,
  };
}
