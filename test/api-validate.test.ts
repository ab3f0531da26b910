import t from 'tap';
import {
  MAX_BODY_BYTES,
  NO_ACCOUNTS,
  TOO_LARGE,
  parseBody,
  shortPrintableError,
  validateSetup,
  validateTransfer,
} from '../lib/api/validate.ts';

const accounts = new Set(['a', 'b']);
const good = { id: 't-1', from: 'a', to: 'b', amount: 5 };
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const transferError = (body: unknown): string | undefined => {
  const r = validateTransfer(body, accounts);
  return r.ok ? undefined : r.error;
};
const setupError = (body: unknown): string | undefined => {
  const r = validateSetup(body);
  return r.ok ? undefined : r.error;
};

t.test('parseBody', async (t) => {
  t.same(parseBody(bytes('{"a":1}')), { ok: true, value: { a: 1 } });
  t.match(parseBody(bytes('{"a":')), { ok: false, error: /^not JSON: / });
  t.match(parseBody(new Uint8Array([0x22, 0xff, 0x22])), { ok: false, error: /^not JSON: / }, 'invalid UTF-8');
  t.same(parseBody(new Uint8Array(MAX_BODY_BYTES + 1)), { ok: false, error: TOO_LARGE });
  t.equal(TOO_LARGE, 'body over 64 KiB');
});

t.test('a valid transfer passes unchanged', async (t) => {
  t.same(validateTransfer(good, accounts), { ok: true, value: good });
});

t.test('every invalid transfer gets its own message', async (t) => {
  t.same(validateTransfer(good, undefined), { ok: false, error: NO_ACCOUNTS }, 'before setup');
  t.match(transferError([good]), /^body must be a JSON object/);
  t.match(transferError(null), /^body must be a JSON object/);
  t.equal(transferError({ id: 't', from: 'a', to: 'b' }), 'missing field(s): amount');
  t.equal(transferError({}), 'missing field(s): id, from, to, amount');
  t.equal(transferError({ ...good, note: 'x' }), 'unexpected field(s): "note"');
  t.match(transferError({ ...good, amount: 0 }), /^amount must be a positive safe integer, got 0$/);
  t.match(transferError({ ...good, amount: -1 }), /got -1$/);
  t.match(transferError({ ...good, amount: 1.5 }), /got 1.5$/);
  t.match(transferError({ ...good, amount: '5' }), /got "5"$/);
  t.match(transferError({ ...good, amount: 2 ** 53 }), /got 9007199254740992$/);
  t.match(transferError({ ...good, amount: null }), /^amount must be/);
  t.equal(transferError({ ...good, to: 'a' }), 'from and to are the same account "a"');
  t.equal(transferError({ ...good, from: 'zz' }), 'unknown account "zz" in from');
  t.equal(transferError({ ...good, to: 'zz' }), 'unknown account "zz" in to');
  t.equal(transferError({ ...good, from: 7 }), 'from must be a string, got 7');
  t.equal(transferError({ ...good, id: '' }), 'id must not be empty');
  t.equal(transferError({ ...good, id: 'x'.repeat(65) }), `id "${'x'.repeat(36)}... has 65 characters, at most 64 allowed`);
  t.equal(transferError({ ...good, id: 'a\nb' }), 'id "a\\nb" has a non-printable or non-ASCII character at 1');
  t.equal(transferError({ ...good, id: 'é' }), 'id "é" has a non-printable or non-ASCII character at 0');
  t.equal(transferError({ ...good, id: 42 }), 'id must be a string, got 42');
});

t.test('short printable ids: 1..64 characters from space to tilde', async (t) => {
  t.equal(shortPrintableError('id', 'x'.repeat(64)), undefined);
  t.equal(shortPrintableError('id', ' ~'), undefined);
  t.match(shortPrintableError('id', '\x7f'), /non-printable/);
  t.match(shortPrintableError('id', 'a\tb'), /non-printable/);
});

t.test('setup', async (t) => {
  t.same(validateSetup({ accounts: { a: 0, b: 10 } }), { ok: true, value: { a: 0, b: 10 } });
  t.equal(setupError({}), 'missing field(s): accounts');
  t.equal(setupError({ accounts: { a: 1 }, x: 1 }), 'unexpected field(s): "x"');
  t.match(setupError({ accounts: [1, 2] }), /^accounts must be an object/);
  t.equal(setupError({ accounts: {} }), 'accounts must not be empty');
  t.match(setupError({ accounts: { a: -1 } }), /^balance of "a" must be a non-negative safe integer, got -1$/);
  t.match(setupError({ accounts: { a: 1.5 } }), /got 1.5$/);
  t.match(setupError({ accounts: { a: '1' } }), /got "1"$/);
  t.match(setupError({ accounts: { ['x'.repeat(65)]: 1 } }), /^account id "x+\.\.\. has 65 characters/);
  t.equal(setupError({ accounts: { 'a\u0000': 1 } }), 'account id "a\\u0000" has a non-printable or non-ASCII character at 1');
  t.equal(setupError(JSON.parse('{"accounts":{"__proto__":1}}')), 'account id "__proto__" is reserved');
  t.equal(setupError({ accounts: { a: 2 ** 52, b: 2 ** 52 } }), 'total of balances exceeds the safe integer range');
});
