// A BankStore called in-process, as the load drivers call an API node: "bankrun direct", the
// harness without HTTP. Outcomes are classified as the API node and its client classify them.
import { DefiniteError, isCountingStore, retriesOf, type BankStore, type Transfer } from '../../lib/store.ts';
import type { ApiTarget, ClassifiedOutcome } from '../../lib/workload/executor.ts';

export function storeTarget(name: string, store: BankStore): ApiTarget {
  return {
    name,
    async transfer(t: Transfer): Promise<ClassifiedOutcome> {
      try {
        const r = isCountingStore(store) ? await store.transferCounted(t) : { result: await store.transfer(t), retries: 0 };
        if (r.result === 'insufficient') return { type: 'fail', error: 'insufficient', retries: r.retries };
        return { type: 'ok', retries: r.retries, ...('versions' in r && r.versions ? { versions: r.versions } : {}) };
      } catch (err) {
        return { type: err instanceof DefiniteError ? 'fail' : 'info', error: (err as Error).message, retries: retriesOf(err) };
      }
    },
    async read(): Promise<ClassifiedOutcome> {
      try {
        return { type: 'ok', value: { balances: await store.read() } };
      } catch (err) {
        return { type: 'fail', error: (err as Error).message };
      }
    },
  };
}
