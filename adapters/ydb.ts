// BankStore on YDB through the official JS SDK (@ydbjs/core 6), over the Query service. The
// driver runs with discovery off: an API node talks to ITS database node only, never to the
// endpoints the cluster advertises.
//
// This file is the adapter's entry (adapters are loaded by path: it exports `create` and
// `settings`); the work is in adapters/ydb/, one job a module:
//   store.ts     YdbBankStore: deadlines, attempts, retries, and what a failed call reports
//   errors.ts    which YDB and gRPC failures are retried, and which may have applied a commit
//   ledger.ts    what an attempt must do, from the ledger row for its id and the balances
//   yql.ts       the statements and their typed parameters
//   values.ts    Int64 in and out, result rows as balances and versions
//   query.ts     the raw Query service: transaction control, reading an answer
//   sessions.ts  the session pool
//   config.ts    the string config an API node is started with
//
// Versions (lib/store.ts Versions): each account row has a `version Int64` column, 0 after setup,
// one more on every transfer that moves it. transferCounted reports both accounts' new versions
// for a transfer applied by that very call (not when the ledger shows an earlier attempt applied
// it); readVersioned() reads balances and versions in one query, in the readMode's transaction.
//
// retries() counts every retry this store made (transfers, reads, setup); transferCounted gives
// a transfer's own. No leader(): a YDB database has no single leader (each table partition's
// tablet has its own).
import { DefiniteError, type StoreFactory } from '../lib/store.ts';
import { parseConfig } from './ydb/config.ts';
import { describe } from './ydb/errors.ts';
import { YdbBankStore } from './ydb/store.ts';

// The store and its config parser, for tools that build one directly (as scripts/bench does with
// the PostgreSQL adapter's); the parts are imported from adapters/ydb/ by their tests.
export { parseConfig, type YdbStoreOptions } from './ydb/config.ts';
export { YdbBankStore } from './ydb/store.ts';

export const create: StoreFactory = async (config) => {
  const opts = parseConfig(config);
  try {
    return new YdbBankStore(opts);
  } catch (err) {
    throw new DefiniteError(`cannot open a YDB driver for ${opts.endpoint}: ${describe(err)}`, { cause: err });
  }
};
/** Config keys a notebook may change between cells (see AdapterModule). */
export const settings = ['readMode'] as const;
