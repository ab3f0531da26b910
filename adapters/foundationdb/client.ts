// The optional native client: the parts of the npm package `foundationdb` (2.0.1) in use, typed
// here so that type-checking never needs the package, and its loading, which fails wherever
// libfdb_c is absent. Kept apart so that everything else loads anywhere and the failure becomes
// one plain message saying what to install.
import { DefiniteError } from '../../lib/store.ts';
import { describe } from './errors.ts';

/** The tuple layer (`fdb.tuple`, the fdb-tuple package). */
export interface TupleCodec {
  pack(items: (string | number)[]): Buffer;
  unpack(key: Buffer): unknown[];
}

/** A transaction on raw (Buffer) keys and values. */
export interface KvTxn {
  get(key: Buffer): Promise<Buffer | undefined>;
  set(key: Buffer, value: Buffer): void;
  clearRange(start: Buffer, end: Buffer): void;
  getRangeAll(start: Buffer, end: Buffer): Promise<[Buffer, Buffer][]>;
}

export interface FdbTxn extends KvTxn {
  snapshot(): KvTxn;
  getReadVersion(): Promise<unknown>;
  rawCommit(): Promise<void>;
  /** Resolves after a backoff when `code` may be retried; rejects with the error otherwise. */
  rawOnError(code: number): Promise<void>;
}

/** Transaction options (names as in the package's TransactionOptions). */
export interface TxnOptions {
  timeout: number;
  retry_limit: number;
  max_retry_delay: number;
}

export interface FdbDatabase {
  rawCreateTransaction(opts?: TxnOptions): FdbTxn;
  close(): void;
}

export interface FdbModule {
  setAPIVersion(version: number): void;
  open(clusterFile?: string, dbOpts?: Record<string, number>): FdbDatabase;
  tuple: TupleCodec;
}

/** What to install, said once for every way loading can fail. */
export const CLIENT_INSTALL_HINT =
  'install the FoundationDB client package 7.3.x (foundationdb-clients_7.3.*_amd64.deb or _aarch64.deb from ' +
  'https://github.com/apple/foundationdb/releases, which puts libfdb_c.so in /usr/lib), or, in the API node ' +
  'image, copy /usr/lib/libfdb_c.so from the foundationdb/foundationdb:7.3.x server image (multi-stage build); ' +
  'its major.minor must match the servers';

/** A plain explanation of why `import('foundationdb')` failed (no stack trace). */
export function missingClientMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /foundationdb/.test(message)) {
    return 'FoundationDB adapter: the npm package "foundationdb" is not installed (it is an optional dependency ' +
      'of bankrun, which npm drops where it cannot install it; in Docker the API node image compose/api-fdb installs ' +
      'its own); it also needs libfdb_c: ' + CLIENT_INSTALL_HINT;
  }
  if (/libfdb_c/.test(message)) {
    return `FoundationDB adapter: the native client library libfdb_c.so is missing (${firstLine(message)}): ${CLIENT_INSTALL_HINT}`;
  }
  if (/No native build was found/.test(message)) {
    return 'FoundationDB adapter: the npm package "foundationdb" has no prebuilt binding for this platform ' +
      `(${process.platform}-${process.arch}); build it from source (node-gyp, with the headers of the client package) ` +
      `and ${CLIENT_INSTALL_HINT}`;
  }
  return `FoundationDB adapter: could not load the client (${firstLine(message)}): ${CLIENT_INSTALL_HINT}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** Held in a variable so that type-checking does not look for the optional package. */
const PACKAGE = 'foundationdb';
let loaded: FdbModule | undefined;

/** Imports the package once per process and selects the API version (also once per process). */
export async function loadClient(apiVersion: number): Promise<FdbModule> {
  if (!loaded) {
    try {
      const ns = (await import(PACKAGE)) as { default?: FdbModule } & FdbModule;
      loaded = ns.default ?? ns;
    } catch (err) {
      throw new DefiniteError(missingClientMessage(err));
    }
  }
  try {
    loaded.setAPIVersion(apiVersion); // a no-op when already set to the same version
  } catch (err) {
    throw new DefiniteError(`FoundationDB adapter: cannot use API version ${apiVersion}: ${describe(err)}`);
  }
  return loaded;
}
