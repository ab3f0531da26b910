// BankStore on FoundationDB through the npm package `foundationdb` (2.0.1, API version ≤ 720) and
// the native client library libfdb_c, which is installed separately. The package is an optional
// dependency and loads libfdb_c when imported, so it is imported inside `create`: this module and
// the ones beside it load anywhere, and a missing library becomes one clear error.
//
// The parts, in adapters/foundationdb/: client.ts (the package's API in use, loading it),
// config.ts (the string config), encoding.ts (keys and values), errors.ts (what each FDB error
// code means), attempts.ts (the retry loop and its doubt), transfer.ts (one transfer as one
// transaction), store.ts (the BankStore). This file is what bankrun loads by path: it opens the
// database and hands it to the store.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DefiniteError, type StoreFactory } from '../lib/store.ts';
import { loadClient, type FdbDatabase } from './foundationdb/client.ts';
import { parseConfig } from './foundationdb/config.ts';
import { Layout } from './foundationdb/encoding.ts';
import { describe } from './foundationdb/errors.ts';
import { FdbBankStore } from './foundationdb/store.ts';

// test/foundationdb-engine.test.ts checks the engine's config against the adapter's parser.
export { parseConfig };

export const create: StoreFactory = async (config) => {
  const opts = parseConfig(config);
  const fdb = await loadClient(opts.apiVersion);
  let clusterFile = opts.clusterFile;
  let tempDir: string | undefined;
  if (opts.clusterFileContents !== undefined) {
    // Its own directory: the client may rewrite the file (coordinator changes).
    tempDir = await mkdtemp(path.join(tmpdir(), 'bankrun-fdb-'));
    clusterFile = path.join(tempDir, 'fdb.cluster');
    await writeFile(clusterFile, `${opts.clusterFileContents}\n`);
  }
  let db: FdbDatabase;
  try {
    // Database-wide defaults too, so no transaction of this handle can outlive the deadline.
    db = fdb.open(clusterFile, {
      transaction_timeout: opts.timeoutMs,
      transaction_retry_limit: opts.retryLimit,
      transaction_max_retry_delay: opts.maxRetryDelayMs,
    });
  } catch (err) {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw new DefiniteError(`FoundationDB adapter: cannot open the database (cluster file ${clusterFile ?? 'default'}): ${describe(err)}`);
  }
  return new FdbBankStore(db, new Layout(fdb.tuple, opts.run), opts, tempDir);
};
