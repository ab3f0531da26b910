// Validation of API node request bodies. Pure functions: each returns the checked value or one
// precise message, so that invalid input is refused before the store is touched.

import type { Balances, Transfer } from '../store.ts';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export const MAX_BODY_BYTES = 64 * 1024;
export const TOO_LARGE = `body over ${MAX_BODY_BYTES / 1024} KiB`;
export const NO_ACCOUNTS = 'no accounts set up';
const MAX_ID_LENGTH = 64;
const TRANSFER_FIELDS = ['id', 'from', 'to', 'amount'];
const SETUP_FIELDS = ['accounts'];
const SETTINGS_FIELDS = ['settings'];

const utf8 = new TextDecoder('utf-8', { fatal: true });

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** A value quoted for an error message, cut short so a huge input does not come back whole. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Parses a whole request body; the size check repeats the streaming one for direct callers. */
export function parseBody(body: Uint8Array): Checked<unknown> {
  if (body.byteLength > MAX_BODY_BYTES) return fail(TOO_LARGE);
  try {
    return { ok: true, value: JSON.parse(utf8.decode(body)) };
  } catch (err) {
    return fail(`not JSON: ${(err as Error).message}`);
  }
}

/**
 * Why `value` is not 1..64 printable ASCII characters (space included), or undefined when it is:
 * such ids are safe as SQL keys, in logs and in file names.
 */
export function shortPrintableError(what: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return `${what} must be a string, got ${show(value)}`;
  if (value.length === 0) return `${what} must not be empty`;
  if (value.length > MAX_ID_LENGTH) return `${what} ${show(value)} has ${value.length} characters, at most ${MAX_ID_LENGTH} allowed`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return `${what} ${show(value)} has a non-printable or non-ASCII character at ${i}`;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Exactly the expected fields: a missing or extra one is refused, never ignored. */
function checkFields(body: unknown, fields: string[]): string | undefined {
  if (!isPlainObject(body)) return `body must be a JSON object, got ${show(body)}`;
  // The common case, every field and no other, without allocating (a transfer passes here each time).
  let own = 0;
  for (const key in body) if (Object.hasOwn(body, key)) own++;
  let present = 0;
  for (const f of fields) if (Object.hasOwn(body, f)) present++;
  if (own === fields.length && present === fields.length) return undefined;
  const missing = fields.filter((f) => !Object.hasOwn(body, f));
  if (missing.length > 0) return `missing field(s): ${missing.join(', ')}`;
  const extra = Object.keys(body).filter((k) => !fields.includes(k));
  if (extra.length > 0) return `unexpected field(s): ${extra.map(show).join(', ')}`;
  return undefined;
}

function checkAccountId(id: string): string | undefined {
  const error = shortPrintableError('account id', id);
  if (error) return error;
  // A plain-object store doing `balances[id] = …` would change its prototype instead.
  if (id === '__proto__') return 'account id "__proto__" is reserved';
  return undefined;
}

/** `{accounts: {id: balance}}`: at least one account, balances non-negative safe integers. */
export function validateSetup(body: unknown): Checked<Balances> {
  const fieldError = checkFields(body, SETUP_FIELDS);
  if (fieldError) return fail(fieldError);
  const accounts = (body as { accounts: unknown }).accounts;
  if (!isPlainObject(accounts)) return fail(`accounts must be an object of id → balance, got ${show(accounts)}`);
  const entries = Object.entries(accounts);
  if (entries.length === 0) return fail('accounts must not be empty');
  let total = 0;
  for (const [id, balance] of entries) {
    const idError = checkAccountId(id);
    if (idError) return fail(idError);
    if (!Number.isSafeInteger(balance) || (balance as number) < 0) {
      return fail(`balance of ${show(id)} must be a non-negative safe integer, got ${show(balance)}`);
    }
    total += balance as number;
  }
  // Every balance stays below the total, so a safe total keeps all arithmetic exact.
  if (!Number.isSafeInteger(total)) return fail('total of balances exceeds the safe integer range');
  return { ok: true, value: accounts as Balances };
}

/** `{id, from, to, amount}` against the accounts learnt at setup (undefined before setup). */
export function validateTransfer(body: unknown, accounts: ReadonlySet<string> | undefined): Checked<Transfer> {
  if (accounts === undefined) return fail(NO_ACCOUNTS);
  const fieldError = checkFields(body, TRANSFER_FIELDS);
  if (fieldError) return fail(fieldError);
  const { id, from, to, amount } = body as Record<string, unknown>;
  const idError = shortPrintableError('id', id);
  if (idError) return fail(idError);
  if (typeof from !== 'string') return fail(`from must be a string, got ${show(from)}`);
  if (typeof to !== 'string') return fail(`to must be a string, got ${show(to)}`);
  if (from === to) return fail(`from and to are the same account ${show(from)}`);
  if (!accounts.has(from)) return fail(`unknown account ${show(from)} in from`);
  if (!accounts.has(to)) return fail(`unknown account ${show(to)} in to`);
  if (!Number.isSafeInteger(amount) || (amount as number) <= 0) {
    return fail(`amount must be a positive safe integer, got ${show(amount)}`);
  }
  return { ok: true, value: { id: id as string, from, to, amount: amount as number } };
}

/** `{settings: {name: value}}`: at least one, each a setting the adapter has, values short printable strings. */
export function validateSettings(body: unknown, names: readonly string[]): Checked<Record<string, string>> {
  const fieldError = checkFields(body, SETTINGS_FIELDS);
  if (fieldError) return fail(fieldError);
  const settings = (body as { settings: unknown }).settings;
  if (!isPlainObject(settings)) return fail(`settings must be an object of name → value, got ${show(settings)}`);
  const entries = Object.entries(settings);
  if (entries.length === 0) return fail('settings must not be empty');
  for (const [name, value] of entries) {
    if (!names.includes(name)) return fail(`no setting ${show(name)}; this adapter has: ${names.join(', ') || 'none'}`);
    const error = shortPrintableError(`setting ${name}`, value);
    if (error) return fail(error);
  }
  return { ok: true, value: settings as Record<string, string> };
}
