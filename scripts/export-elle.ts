// Writes a bankrun history as the EDN history Jepsen's tools read (mapping: lib/history/edn.ts),
// so a run can be checked with jepsen.tests.bank/checker — or any Jepsen checker of that model.
//   npx tsx scripts/export-elle.ts results/…/history.jsonl.gz > history.edn
//   npx tsx scripts/export-elle.ts results/…/history.jsonl.gz --out history.edn
// Exit 0 when written, 2 when the history is unreadable or malformed (the message names the line).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { historyLines } from '../lib/check/check-file.ts';
import { HistoryFormatError, parseOp } from '../lib/check/parse.ts';
import { ednHeader, opToEdn } from '../lib/history/edn.ts';

const USAGE = 'usage: npx tsx scripts/export-elle.ts HISTORY.jsonl[.gz] [--out FILE.edn]';

let args;
try {
  args = parseArgs({ options: { out: { type: 'string' } }, allowPositionals: true, strict: true });
} catch (err) {
  console.error(`export-elle: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (args.positionals.length !== 1) {
  console.error(`export-elle: name one history file\n${USAGE}`);
  process.exit(2);
}
const out = args.values.out ? createWriteStream(args.values.out) : process.stdout;
// `… | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 2));
const write = async (line: string) => {
  if (!out.write(`${line}\n`)) await once(out, 'drain');
};

try {
  let line = 0;
  let headed = false;
  for await (const text of await historyLines(args.positionals[0]!)) {
    line++;
    if (text.trim() === '') continue;
    const op = parseOp(text, line);
    if (op.f === 'setup' && !headed) {
      headed = true;
      await write(ednHeader((op.value as { balances: Record<string, number> }).balances));
    }
    const edn = opToEdn(op);
    if (edn !== null) await write(edn);
  }
  if (out !== process.stdout) out.end();
} catch (err) {
  const where = err instanceof HistoryFormatError ? '' : `${args.positionals[0]}: `;
  console.error(`export-elle: ${where}${(err as Error).message}`);
  process.exit(2);
}
