// The raw Query service: its client, transaction control, and reading an ExecuteQuery answer.
// Raw because the SDK's helpers (sql.begin, Query) retry inside with no count and no budget; the
// store runs its own retries (adapters/ydb/store.ts). @ydbjs/api is the peer dependency of
// @ydbjs/query.
import type { Driver } from '@ydbjs/core';
import { YDBError } from '@ydbjs/error';
import { fromYdb, toJs } from '@ydbjs/value';
import { StatusIds_StatusCode } from '@ydbjs/api/operation';
import { QueryServiceDefinition, type ExecuteQueryResponsePart } from '@ydbjs/api/query';
import type { Row } from './values.ts';

export const makeClient = (driver: Driver) => driver.createClient(QueryServiceDefinition);
export type QueryClient = ReturnType<typeof makeClient>;
export type TxControl = NonNullable<Parameters<QueryClient['executeQuery']>[0]['txControl']>;
export type TxModeCase = 'serializableReadWrite' | 'snapshotReadOnly' | 'staleReadOnly';

export function beginTx(mode: TxModeCase, commit: boolean): TxControl {
  return { txSelector: { case: 'beginTx', value: { txMode: { case: mode, value: {} } } }, commitTx: commit };
}

export interface QueryResult {
  sets: Row[][];
  txId?: string;
}

/** Reads an ExecuteQuery stream: a part with a status other than SUCCESS ends it as a YDBError. */
export async function collectParts(parts: AsyncIterable<ExecuteQueryResponsePart>): Promise<QueryResult> {
  const result: QueryResult = { sets: [] };
  for await (const part of parts) {
    if (part.status !== StatusIds_StatusCode.SUCCESS) throw new YDBError(part.status, part.issues);
    if (part.txMeta?.id) result.txId = part.txMeta.id;
    const rs = part.resultSet;
    if (!rs) continue;
    const index = Number(part.resultSetIndex);
    while (result.sets.length <= index) result.sets.push([]);
    for (const row of rs.rows) {
      const out: Row = {};
      rs.columns.forEach((col, i) => {
        out[col.name] = toJs(fromYdb(row.items[i]!, col.type!));
      });
      result.sets[index]!.push(out);
    }
  }
  return result;
}
