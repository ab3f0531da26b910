import { Readable } from 'node:stream';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { create as createMemoryStore } from '../adapters/memory.ts';
import { createApiServer, type ApiServer } from '../lib/api/server.ts';
import {
  DefiniteError,
  IndeterminateError,
  withRetryCount,
  type BankStore,
  type CountingBankStore,
  type Transfer,
} from '../lib/store.ts';

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, unknown>;
}

async function call(base: string, method: 'GET' | 'POST' | 'PUT', path: string, body?: string): Promise<Reply> {
  const res = await request(base + path, { method, body });
  const text = await res.body.text();
  return { status: res.statusCode, body: JSON.parse(text) as Record<string, unknown>, headers: res.headers };
}

/** Starts a server on a free port; closed when the test ends. */
async function serve(t: Test, store: BankStore, deadlineMs?: number): Promise<string> {
  const api: ApiServer = createApiServer(store, { name: 'n1', deadlineMs });
  const port = await api.listen();
  t.teardown(() => api.close());
  return `http://127.0.0.1:${port}`;
}

/** A store that sets up fine and answers everything else with `behave()`. */
function fakeStore(behave: () => Promise<never> | never, extra: Partial<BankStore> = {}): BankStore {
  return {
    setup: async () => {},
    transfer: async () => behave(),
    read: async () => behave(),
    audit: async () => behave(),
    ping: async () => behave(),
    retries: () => 0,
    close: async () => {},
    ...extra,
  };
}

const hang = (): Promise<never> => new Promise(() => {});
const transfer = (id: string, amount = 1): string => JSON.stringify({ id, from: 'a', to: 'b', amount });

t.test('the happy path through the memory store', async (t) => {
  const base = await serve(t, await createMemoryStore({}));
  const setup = await call(base, 'POST', '/setup', JSON.stringify({ accounts: { a: 10, b: 0 } }));
  t.same([setup.body, setup.headers['content-type']], [{ status: 'ok' }, 'application/json']);
  t.same((await call(base, 'POST', '/transfer', transfer('t1', 4))).body, { status: 'ok', retries: 0, versions: { a: 1, b: 1 } }, 'with both accounts\' versions after it');
  const refused = await call(base, 'POST', '/transfer', transfer('t2', 40));
  t.same([refused.status, refused.body], [409, { status: 'insufficient', retries: 0 }]);
  t.same((await call(base, 'GET', '/read')).body, { balances: { a: 6, b: 4 }, versions: { a: 1, b: 1 } });
  t.same((await call(base, 'GET', '/audit?x=1')).body, { balances: { a: 6, b: 4 }, transfers: ['t1'] });
  t.same((await call(base, 'GET', '/health')).body, { status: 'up', node: 'n1' });
});

t.test('before setup every transfer is invalid', async (t) => {
  const base = await serve(t, await createMemoryStore({}));
  const r = await call(base, 'POST', '/transfer', transfer('t1'));
  t.same([r.status, r.body], [400, { status: 'invalid', error: 'no accounts set up' }]);
});

t.test('invalid input is answered 400 and changes nothing', async (t) => {
  const base = await serve(t, await createMemoryStore({}));
  await call(base, 'POST', '/setup', JSON.stringify({ accounts: { a: 100, b: 50 } }));
  await call(base, 'POST', '/transfer', transfer('t0', 7));
  const before = (await call(base, 'GET', '/audit')).body;
  const good = { id: 't1', from: 'a', to: 'b', amount: 5 };
  const cases: Record<string, [path: string, body: string]> = {
    'not JSON': ['/transfer', '{"id":'],
    '65 KiB body': ['/transfer', JSON.stringify({ ...good, id: 'x'.repeat(65 * 1024) })],
    'not an object': ['/transfer', JSON.stringify([good])],
    'missing field': ['/transfer', JSON.stringify({ id: 't1', from: 'a', to: 'b' })],
    'extra field': ['/transfer', JSON.stringify({ ...good, memo: 'hi' })],
    'amount 0': ['/transfer', JSON.stringify({ ...good, amount: 0 })],
    'amount -1': ['/transfer', JSON.stringify({ ...good, amount: -1 })],
    'amount 1.5': ['/transfer', JSON.stringify({ ...good, amount: 1.5 })],
    'amount "5"': ['/transfer', JSON.stringify({ ...good, amount: '5' })],
    'amount 2**53': ['/transfer', JSON.stringify({ ...good, amount: 2 ** 53 })],
    'from == to': ['/transfer', JSON.stringify({ ...good, to: 'a' })],
    'unknown account': ['/transfer', JSON.stringify({ ...good, to: 'c' })],
    'empty id': ['/transfer', JSON.stringify({ ...good, id: '' })],
    '65-char id': ['/transfer', JSON.stringify({ ...good, id: 'x'.repeat(65) })],
    'id with a control character': ['/transfer', JSON.stringify({ ...good, id: 't\u0001' })],
    'id with a newline': ['/transfer', JSON.stringify({ ...good, id: 't\n1' })],
    'numeric id': ['/transfer', JSON.stringify({ ...good, id: 1 })],
    'setup: not JSON': ['/setup', 'accounts'],
    'setup: negative balance': ['/setup', JSON.stringify({ accounts: { a: -1 } })],
    'setup: bad account id': ['/setup', JSON.stringify({ accounts: { 'a\u0007': 1 } })],
    'setup: extra field': ['/setup', JSON.stringify({ accounts: { a: 1 }, reset: true })],
  };
  for (const [name, [path, body]] of Object.entries(cases)) {
    const r = await call(base, 'POST', path, body);
    t.match([r.status, r.body], [400, { status: 'invalid', error: String }], name);
    t.same((await call(base, 'GET', '/audit')).body, before, `${name}: balances and ledger unchanged`);
  }
});

t.test('an oversized body is refused while streaming, without a content-length', async (t) => {
  const base = await serve(t, await createMemoryStore({}));
  const chunks = Readable.from(Array.from({ length: 100 }, () => Buffer.alloc(1024, 0x20)));
  const res = await request(`${base}/transfer`, { method: 'POST', body: chunks });
  t.same([res.statusCode, await res.body.json()], [400, { status: 'invalid', error: 'body over 64 KiB' }]);
  t.equal(res.headers.connection, 'close', 'the unread rest of the body is not left on a reused connection');
});

t.test('store errors map to 503, 504 and 500; the node survives them', async (t) => {
  const cases: [string, () => Promise<never> | never, number, string][] = [
    ['DefiniteError', () => Promise.reject(new DefiniteError('connection refused')), 503, 'unavailable'],
    ['IndeterminateError', () => Promise.reject(new IndeterminateError('commit unknown')), 504, 'indeterminate'],
    ['other error', () => Promise.reject(new TypeError('boom')), 500, 'indeterminate'],
    ['synchronous throw', () => { throw new RangeError('sync'); }, 500, 'indeterminate'],
    ['a thrown string', () => Promise.reject('just a string'), 500, 'indeterminate'],
  ];
  for (const [name, behave, status, word] of cases) {
    const base = await serve(t, fakeStore(behave));
    await call(base, 'POST', '/setup', JSON.stringify({ accounts: { a: 1, b: 1 } }));
    const tr = await call(base, 'POST', '/transfer', transfer('t1'));
    t.match([tr.status, tr.body], [status, { status: word, error: String }], `transfer: ${name}`);
    const rd = await call(base, 'GET', '/read');
    t.match([rd.status, rd.body], [status, { status: word, error: String }], `read: ${name}`);
    const au = await call(base, 'GET', '/audit');
    t.match([au.status, au.body], [status, { status: word, error: String }], `audit: ${name}`);
  }
});

t.test('a store call past the deadline is answered 504 at the deadline', async (t) => {
  const base = await serve(t, fakeStore(hang), 50);
  await call(base, 'POST', '/setup', JSON.stringify({ accounts: { a: 1, b: 1 } }));
  const started = Date.now();
  const r = await call(base, 'POST', '/transfer', transfer('t1'));
  t.match([r.status, r.body], [504, { status: 'indeterminate', error: /within 50 ms/ }]);
  t.ok(Date.now() - started < 2000, 'answered without waiting for the store');
  t.equal((await call(base, 'GET', '/read')).status, 504);
});

t.test('a late store answer after the deadline is ignored', async (t) => {
  const late = fakeStore(() => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 100)));
  const base = await serve(t, { ...late, transfer: () => new Promise((resolve) => setTimeout(() => resolve('ok'), 100)) }, 20);
  await call(base, 'POST', '/setup', JSON.stringify({ accounts: { a: 1, b: 1 } }));
  t.equal((await call(base, 'POST', '/transfer', transfer('t1'))).status, 504);
  t.equal((await call(base, 'GET', '/read')).status, 504);
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.equal((await call(base, 'GET', '/health')).status, 503, 'still serving after the late answers');
});

t.test('an unexpected transfer result is indeterminate', async (t) => {
  const odd = fakeStore(hang, { transfer: async () => 'maybe' as 'ok' });
  const base = await serve(t, odd);
  await call(base, 'POST', '/setup', JSON.stringify({ accounts: { a: 1, b: 1 } }));
  t.match(await call(base, 'POST', '/transfer', transfer('t1')), { status: 500, body: { status: 'indeterminate', error: /"maybe"/ } });
});

t.test('retries: per call from a counting store, on errors too, else the running-total delta', async (t) => {
  let n = 0;
  const counting: CountingBankStore = {
    ...fakeStore(hang),
    transferCounted: async (tr: Transfer) => {
      if (tr.id === 'bad') throw withRetryCount(new DefiniteError('gave up'), 5);
      return { result: 'ok', retries: 3 };
    },
  };
  const base = await serve(t, counting);
  await call(base, 'POST', '/setup', JSON.stringify({ accounts: { a: 1, b: 1 } }));
  t.same((await call(base, 'POST', '/transfer', transfer('t1'))).body, { status: 'ok', retries: 3 });
  t.match(await call(base, 'POST', '/transfer', transfer('bad')), { status: 503, body: { retries: 5 } });

  const plain = fakeStore(hang, { transfer: async () => ((n += 2), 'insufficient'), retries: () => n });
  const base2 = await serve(t, plain);
  await call(base2, 'POST', '/setup', JSON.stringify({ accounts: { a: 1, b: 1 } }));
  t.same((await call(base2, 'POST', '/transfer', transfer('t1'))).body, { status: 'insufficient', retries: 2 });
});

t.test('/leader says which node leads where the adapter can tell, and 404 where it cannot', async (t) => {
  const knows = await serve(t, Object.assign(await createMemoryStore({}), { leader: async () => 'n2' }));
  t.same((await call(knows, 'GET', '/leader')).body, { leader: 'n2' });
  const plain = await serve(t, await createMemoryStore({}));
  const r = await call(plain, 'GET', '/leader');
  t.same([r.status, r.body.status], [404, 'unsupported']);
});

t.test('an API node whose bank was set up through another learns the accounts from its database', async (t) => {
  const store = await createMemoryStore({});
  const first = await serve(t, store);
  const second = await serve(t, store);
  t.equal((await call(second, 'POST', '/transfer', transfer('t0'))).body.error, 'no accounts set up', 'before any setup: nothing to learn');
  await call(first, 'POST', '/setup', JSON.stringify({ accounts: { a: 10, b: 0 } }));
  t.same((await call(second, 'POST', '/transfer', transfer('t1'))).body, { status: 'ok', retries: 0, versions: { a: 1, b: 1 } });
  const unknown = await call(second, 'POST', '/transfer', JSON.stringify({ id: 't2', from: 'a', to: 'zz', amount: 1 }));
  t.same([unknown.status, unknown.body.status], [400, 'invalid'], 'and still refuses unknown accounts');
});

t.test('health pings the store', async (t) => {
  const base = await serve(t, fakeStore(() => Promise.reject(new DefiniteError('database down'))));
  const r = await call(base, 'GET', '/health');
  t.same([r.status, r.body], [503, { status: 'down', node: 'n1', error: 'database down' }]);
});

t.test('unknown paths are 404, wrong methods 405', async (t) => {
  const base = await serve(t, await createMemoryStore({}));
  t.equal((await call(base, 'GET', '/nope')).status, 404);
  const r = await call(base, 'GET', '/transfer');
  t.same([r.status, r.headers.allow], [405, 'POST']);
  t.equal((await call(base, 'PUT', '/read')).status, 405);
  t.equal((await call(base, 'POST', '/health', '{}')).status, 405);
});

t.test('PUT /settings opens a store with the changed config, keeps earlier changes, and closes the old one', async (t) => {
  const opened: Record<string, string>[] = [];
  const closed: string[] = [];
  /** A memory store whose read names the settings it was opened with. */
  const storeWith = (tag: string): BankStore => ({
    ...fakeStore(() => { throw new Error('unused'); }),
    read: async () => ({ [tag]: 1 }),
    // A config naming an unreachable database opens, but its store does not answer.
    ping: async () => { if (tag.includes('nowhere')) throw new Error('connection refused'); },
    close: async () => void closed.push(tag),
  });
  const api = createApiServer(storeWith('initial'), {
    name: 'n1',
    deadlineMs: 50,
    settings: {
      names: ['isolation', 'forUpdate', 'host'],
      async open(settings) {
        if (settings.isolation === 'snapshot') throw new DefiniteError('config.isolation must be one of serializable, read committed');
        opened.push(settings);
        return storeWith(JSON.stringify(settings));
      },
    },
  });
  const base = `http://127.0.0.1:${await api.listen()}`;
  t.teardown(() => api.close());

  const unknown = await call(base, 'PUT', '/settings', JSON.stringify({ settings: { durability: 'none' } }));
  t.same([unknown.status, unknown.body.error], [400, "no setting \"durability\"; this adapter has: isolation, forUpdate, host"]);
  const refused = await call(base, 'PUT', '/settings', JSON.stringify({ settings: { isolation: 'snapshot' } }));
  t.equal(refused.status, 400);
  t.match(refused.body.error, /the adapter refused these settings: config.isolation must be one of/);
  t.same((await call(base, 'GET', '/read')).body.balances, { initial: 1 }, 'a refused change leaves the store in use');
  t.same(opened, [], 'nothing was opened for an unknown name');
  const unreachable = await call(base, 'PUT', '/settings', JSON.stringify({ settings: { host: 'nowhere' } }));
  t.same([unreachable.status, unreachable.body.status], [503, 'unavailable']);
  t.match(unreachable.body.error, /a store with these settings does not answer: connection refused/);
  t.same((await call(base, 'GET', '/read')).body.balances, { initial: 1 }, 'a store that does not answer does not replace one that does');
  t.same(closed, [JSON.stringify({ host: 'nowhere' })], 'and it is closed');
  closed.length = 0;
  opened.length = 0;

  const first = await call(base, 'PUT', '/settings', JSON.stringify({ settings: { isolation: 'read committed' } }));
  t.same([first.status, first.body.settings], [200, { isolation: 'read committed' }]);
  const second = await call(base, 'PUT', '/settings', JSON.stringify({ settings: { forUpdate: 'false' } }));
  t.same(second.body.settings, { isolation: 'read committed', forUpdate: 'false' }, 'the first change is kept');
  t.same(opened, [{ isolation: 'read committed' }, { isolation: 'read committed', forUpdate: 'false' }]);
  t.same((await call(base, 'GET', '/read')).body.balances, { [JSON.stringify(opened[1])]: 1 }, 'requests go to the newest store');
  await new Promise((r) => setTimeout(r, 150));
  t.same(closed, ['initial', JSON.stringify(opened[0])], 'replaced stores are closed after the deadline');
  t.same(await api.store.read(), { [JSON.stringify(opened[1])]: 1 }, 'the store closed at shutdown is the newest one');
});

t.test('PUT /settings on an adapter without settings is 404, and malformed bodies are 400', async (t) => {
  const base = await serve(t, await createMemoryStore({}));
  const none = await call(base, 'PUT', '/settings', JSON.stringify({ settings: { isolation: 'serializable' } }));
  t.same([none.status, none.body.status], [404, 'unsupported']);
  const api = createApiServer(await createMemoryStore({}), { name: 'n1', settings: { names: ['isolation'], open: () => createMemoryStore({}) } });
  const url = `http://127.0.0.1:${await api.listen()}`;
  t.teardown(() => api.close());
  for (const [body, error] of [
    ['{"settings":{}}', /must not be empty/],
    ['{"settings":{"isolation":7}}', /setting isolation must be a string/],
    ['{"isolation":"serializable"}', /missing field\(s\): settings/],
    ['not json', /JSON/],
  ] as const) {
    const r = await call(url, 'PUT', '/settings', body);
    t.equal(r.status, 400, body);
    t.match(r.body.error, error);
  }
  t.equal((await call(url, 'POST', '/settings', '{}')).status, 405, 'PUT only');
});
