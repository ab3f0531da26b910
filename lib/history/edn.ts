// A bankrun history as the EDN history Jepsen's bank checker reads (jepsen.tests.bank), so a run
// can be checked by Jepsen's own tools. One op per line, Jepsen's op model:
//   {:index 2 :type :invoke :f :transfer :process 3 :time 9000000 :value {:from "a0" :to "a1" :amount 5 :id "t-42"}}
//   {:index 5 :type :ok :f :read :process 1 :time 10400000 :value {"a0" 95 "a1" 105}}
//   {:index 9 :type :info :f :kill :process :nemesis :time 2500000000 :value ["n1"]}
// Mapping: transfer → :transfer with {:from :to :amount} (and its :id); read → :read with {account balance};
// the audit → :read of its balances (Jepsen's bank model has no ledger: the ledger checks stay
// bankrun's); setup → left out (the checker takes accounts and total from the test map, printed
// in the header); nemesis events keep their kind as :f with :process :nemesis and :type :info.
// :error, :node and :retries are kept as extra keys, which Jepsen's checkers ignore.
import { toEDNString, type EDNKeyword, type EDNVal } from 'edn-data';
import type { Op } from './op.ts';

const kw = (key: string): EDNKeyword => ({ key });

/** The EDN line of one op, or null for an op Jepsen's bank model has no place for (setup). */
export function opToEdn(op: Op): string | null {
  if (op.f === 'setup') return null;
  const f = op.f === 'audit' ? 'read' : op.f;
  const entries: [EDNVal, EDNVal][] = [
    [kw('index'), op.index],
    // Jepsen's nemesis ops are :info, start and end alike.
    [kw('type'), kw(op.process === 'nemesis' ? 'info' : op.type)],
    [kw('f'), kw(f)],
    [kw('process'), op.process === 'nemesis' ? kw('nemesis') : op.process],
    [kw('time'), op.time],
  ];
  const value = ednValue(op, f);
  if (value !== undefined) entries.push([kw('value'), value]);
  if (op.error !== undefined) entries.push([kw('error'), op.error]);
  if (op.node) entries.push([kw('node'), op.node]);
  if (op.retries !== undefined) entries.push([kw('retries'), op.retries]);
  if (op.f === 'audit') entries.push([kw('audit'), true]);
  return toEDNString({ map: entries });
}

function ednValue(op: Op, f: string): EDNVal | undefined {
  const v = op.value as Record<string, unknown> | null;
  if (v === null || v === undefined) return null;
  if (f === 'transfer') {
    const t = v as { id: string; from: string; to: string; amount: number };
    return { map: [[kw('from'), t.from], [kw('to'), t.to], [kw('amount'), t.amount], [kw('id'), t.id]] };
  }
  if (f === 'read') {
    const balances = (v as { balances?: Record<string, number> }).balances ?? {};
    return { map: Object.entries(balances) };
  }
  if (op.process === 'nemesis') return toEdnData(v);
  return undefined;
}

/** Plain JSON data (nemesis details) as EDN: objects become maps with keyword keys. */
function toEdnData(v: unknown): EDNVal {
  if (Array.isArray(v)) return v.map(toEdnData);
  if (v && typeof v === 'object') return { map: Object.entries(v).map(([k, x]) => [kw(k), toEdnData(x)]) };
  return v as EDNVal;
}

/** The header: what Jepsen's bank checker takes from the test map. */
export function ednHeader(balances: Record<string, number>): string {
  const accounts = Object.keys(balances).map((a) => JSON.stringify(a)).join(' ');
  const total = Object.values(balances).reduce((s, x) => s + x, 0);
  return `; bankrun history for jepsen.tests.bank/checker: test map {:accounts [${accounts}] :total-amount ${total}}`;
}
