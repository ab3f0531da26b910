// Checks a bank history and prints the verdict as JSON: npx tsx scripts/check.ts --help

import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { checkFile } from '../lib/check/check-file.ts';
import { HistoryFormatError } from '../lib/check/parse.ts';
import type { Segment, Validity } from '../lib/check/verdict.ts';

const USAGE = `usage: npx tsx scripts/check.ts HISTORY.jsonl[.gz] [--segments | --segments-file FILE.json]

Checks a bank history (JSON Lines, gzip allowed) and prints the verdict as JSON on stdout.

  --segments             one segment per audit: "cell 1" runs up to and including the first
                         audit, "cell 2" to the second, and so on
  --segments-file FILE   named segments from a JSON array of {"name": "...", "fromIndex": N},
                         or a run's params.json (its cells, by name)
  --help                 this text

exit status:
  0  valid: no anomaly, and audits settled every transfer
  1  anomalies found
  2  unusable input: bad arguments, unreadable file, or a malformed line (the message names it)
  3  unknown: no anomaly, but nothing settled the transfers (no setup, no audit, or transfers
     after the last audit), or the checker itself failed
`;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { segments: { type: 'boolean' }, 'segments-file': { type: 'string' }, help: { type: 'boolean' } },
    });
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [path, ...extra] = args.positionals;
  if (path === undefined || extra.length > 0) return usageError('give exactly one history file');
  if (args.values.segments && args.values['segments-file']) {
    return usageError('give either --segments or --segments-file, not both');
  }
  try {
    const file = args.values['segments-file'];
    const segments = file ? await readSegments(file) : args.values.segments ? 'per-audit' : undefined;
    const result = await checkFile(path, { segments });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return exitFor(result.valid);
  } catch (e) {
    return failure(e, path);
  }
}

function exitFor(valid: Validity): number {
  return valid === true ? 0 : valid === false ? 1 : 3;
}

async function readSegments(file: string): Promise<Segment[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw e instanceof SyntaxError ? new InputError(`${file}: not JSON (${e.message})`) : e;
  }
  // A run's params.json carries its cells' segments under "segments".
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'segments' in parsed) parsed = parsed.segments;
  const ok = Array.isArray(parsed) && parsed.every((s) =>
    typeof s?.name === 'string' && Number.isSafeInteger(s?.fromIndex) && s.fromIndex >= 0);
  if (!ok) throw new InputError(`${file}: expected a JSON array of {"name": string, "fromIndex": integer >= 0}`);
  return parsed as Segment[];
}

class InputError extends Error {}

/** Unusable input is exit 2; anything else is the checker failing, which makes the verdict unknown. */
function failure(e: unknown, path: string): number {
  if (e instanceof HistoryFormatError) return fail(2, `${path}: ${e.message}`);
  if (e instanceof InputError) return fail(2, e.message);
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('E')) return fail(2, (e as Error).message);
  return fail(3, `the checker failed, so the verdict is unknown: ${(e as Error).stack ?? e}`);
}

function usageError(message: string): number {
  return fail(2, `${message}\n\n${USAGE}`);
}

function fail(code: number, message: string): number {
  process.stderr.write(`check: ${message}\n`);
  return code;
}

// exitCode, not exit(): a large JSON verdict on a pipe must be flushed before the process ends.
process.exitCode = await main(process.argv.slice(2));
