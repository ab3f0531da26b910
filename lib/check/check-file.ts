// Streams a history file (.jsonl, or gzip by extension or magic bytes) through the parser and the
// bank checker, one line at a time, so a history of any length checks in flat memory.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BankChecker, type BankCheckerOptions } from './bank-checker.ts';
import { HistoryFormatError, MalformedHistoryError, parseOp } from './parse.ts';
import type { CheckResult } from './verdict.ts';

/** Throws HistoryFormatError (with the line) for malformed input, a system error if unreadable. */
export async function checkFile(path: string, options: BankCheckerOptions = {}): Promise<CheckResult> {
  return checkLines(await historyLines(path), options);
}

/** The lines of a history file, plain or gzip, streamed. */
export async function historyLines(path: string): Promise<AsyncIterable<string>> {
  return createInterface({ input: await openHistory(path), crlfDelay: Infinity });
}

/** Checks history lines (1-based numbering for errors); blank lines are skipped. */
export async function checkLines(
  lines: AsyncIterable<string> | Iterable<string>,
  options: BankCheckerOptions = {},
): Promise<CheckResult> {
  const checker = new BankChecker(options);
  let line = 0;
  let lastIndex = -1;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      const op = parseOp(text, line);
      // Segments and "completed before the audit" both lean on index order.
      if (op.index <= lastIndex) {
        throw new HistoryFormatError(line, `"index" ${op.index} does not follow the previous index ${lastIndex}`);
      }
      lastIndex = op.index;
      try {
        checker.observe(op);
      } catch (e) {
        if (e instanceof MalformedHistoryError) throw new HistoryFormatError(line, e.problem);
        throw e;
      }
    }
  } catch (e) {
    throw isZlibError(e) ? new HistoryFormatError(line + 1, `gzip data is corrupt (${e.message})`) : e;
  }
  return checker.result();
}

async function openHistory(path: string): Promise<Readable> {
  const gzip = (await startsWithGzipMagic(path)) || path.endsWith('.gz');
  const source = createReadStream(path);
  if (!gzip) return source;
  // pipeline, not pipe: a read error must reach the line reader instead of hanging it.
  return pipeline(source, createGunzip(), () => {});
}

/** Also surfaces a missing or unreadable file before any stream is started. */
async function startsWithGzipMagic(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const { bytesRead, buffer } = await file.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await file.close();
  }
}

function isZlibError(e: unknown): e is Error {
  const code: unknown = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && code.startsWith('Z_');
}
