// One history line → one Op, or an error that names the line and what is wrong with it.
// Only the fields of the history contract (README) are required; extra fields pass through untouched. Values are
// checked only where the bank checker reads them, so unknown `f`s and nemesis ops stay free-form.

import type { Op } from '../history/op.ts';

/**
 * A history whose ops do not fit together (a process with two ops open at once, a completion with
 * no invoke, a transfer id used twice): checking it would give a verdict about something else.
 * The checker knows the op index; the file reader turns it into a line number.
 */
export class MalformedHistoryError extends Error {
  constructor(
    readonly index: number,
    readonly problem: string,
  ) {
    super(`index ${index}: ${problem}`);
    this.name = 'MalformedHistoryError';
  }
}

export class HistoryFormatError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'HistoryFormatError';
  }
}

const TYPES: ReadonlySet<string> = new Set(['invoke', 'ok', 'fail', 'info']);

export function parseOp(text: string, line: number): Op {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new HistoryFormatError(line, `not JSON (${(e as Error).message})`);
  }
  const problem = opProblem(raw);
  if (problem) throw new HistoryFormatError(line, problem);
  const op = raw as Op;
  // Other tools may leave out `node`; the checker's examples want null rather than undefined.
  if (op.node === undefined) op.node = null;
  return op;
}

function opProblem(raw: unknown): string | undefined {
  if (!isObject(raw)) return `expected a JSON object, got ${kind(raw)}`;
  if (!isCount(raw.index)) return `"index" must be a non-negative integer, got ${show(raw.index)}`;
  if (typeof raw.type !== 'string' || !TYPES.has(raw.type)) {
    return `"type" must be one of invoke, ok, fail, info, got ${show(raw.type)}`;
  }
  if (typeof raw.f !== 'string' || raw.f === '') return `"f" must be a non-empty string, got ${show(raw.f)}`;
  if (raw.process !== 'nemesis' && !isCount(raw.process)) {
    return `"process" must be a non-negative integer or "nemesis", got ${show(raw.process)}`;
  }
  if (raw.node !== undefined && raw.node !== null && typeof raw.node !== 'string') {
    return `"node" must be a string or null, got ${show(raw.node)}`;
  }
  if (typeof raw.time !== 'number' || !Number.isFinite(raw.time) || raw.time < 0) {
    return `"time" must be a non-negative number of nanoseconds, got ${show(raw.time)}`;
  }
  if (raw.process === 'nemesis') return undefined;
  if (raw.versions !== undefined && !(isObject(raw.versions) && Object.values(raw.versions).every(isCount))) {
    return `"versions" must be an object of account → non-negative whole number, got ${show(raw.versions)}`;
  }
  return valueProblem(raw.f, raw.type, raw.value);
}

/** The value shapes the checker relies on: setup ok, transfer invoke, read ok, audit ok. */
function valueProblem(f: string, type: string, value: unknown): string | undefined {
  const v = isObject(value) ? value : {};
  if (f === 'transfer' && type === 'invoke') {
    for (const field of ['id', 'from', 'to'] as const) {
      if (typeof v[field] !== 'string') return `transfer invoke needs value.${field} as a string, got ${show(v[field])}`;
    }
    if (!Number.isSafeInteger(v.amount)) {
      return `transfer invoke needs value.amount as a whole number, got ${show(v.amount)}`;
    }
    return undefined;
  }
  if (type !== 'ok' || (f !== 'setup' && f !== 'read' && f !== 'audit')) return undefined;
  if (!isBalances(v.balances)) {
    return `${f} ok needs value.balances as an object of account → whole number, got ${show(v.balances)}`;
  }
  if (f === 'audit' && !(Array.isArray(v.transfers) && v.transfers.every((id) => typeof id === 'string'))) {
    return `audit ok needs value.transfers as an array of transfer ids, got ${show(v.transfers)}`;
  }
  return undefined;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isCount(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

function isBalances(x: unknown): boolean {
  // Money is counted in whole units: sums of fractions would differ by rounding, not by bugs.
  return isObject(x) && Object.values(x).every((b) => Number.isSafeInteger(b));
}

function kind(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : `a ${typeof x}`;
}

/** A short rendering of a bad value for the error message; "missing" reads better than undefined. */
function show(x: unknown): string {
  if (x === undefined) return 'nothing (missing)';
  const s = JSON.stringify(x);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
