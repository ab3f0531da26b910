import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { ApiClient } from '../lib/api/client.ts';

/** A raw HTTP server answering each path with a fixed status and body, or never ('hang'). */
async function fakeNode(t: Test, answers: Record<string, [number, unknown] | 'hang' | 'reset'>): Promise<ApiClient> {
  const server = http.createServer((req, res) => {
    const a = answers[req.url ?? ''];
    if (a === 'hang') return;
    if (a === 'reset' || a === undefined) return req.socket.destroy();
    req.resume();
    res.writeHead(a[0], { 'content-type': 'application/json' }).end(JSON.stringify(a[1]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new ApiClient({ name: 'n1', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 200 });
  t.teardown(async () => {
    server.closeAllConnections();
    await client.close();
    await new Promise((resolve) => server.close(resolve));
  });
  return client;
}

const tr = { id: 't1', from: 'a', to: 'b', amount: 1 };

t.test('transfer answers map to ok / fail / info', async (t) => {
  const cases: [number, unknown, object][] = [
    [200, { status: 'ok', retries: 2 }, { type: 'ok', retries: 2 }],
    [409, { status: 'insufficient', retries: 0 }, { type: 'fail', error: 'insufficient', retries: 0 }],
    [400, { status: 'invalid', error: 'amount must be …' }, { type: 'fail', error: 'invalid: amount must be …' }],
    [503, { status: 'unavailable', error: 'refused' }, { type: 'fail', error: 'unavailable: refused' }],
    [504, { status: 'indeterminate', error: 'commit unknown' }, { type: 'info', error: 'indeterminate: commit unknown' }],
    [500, { status: 'indeterminate', error: 'TypeError: x' }, { type: 'info', error: 'indeterminate: TypeError: x' }],
    [502, 'not the API node', { type: 'info', error: 'http 502' }],
  ];
  for (const [status, body, expected] of cases) {
    const client = await fakeNode(t, { '/transfer': [status, body] });
    t.match(await client.transfer(tr), expected, `${status}`);
  }
});

t.test('no answer: a timeout or a dropped connection is info for a transfer, fail for a read', async (t) => {
  const client = await fakeNode(t, { '/transfer': 'hang', '/read': 'hang', '/audit': 'reset' });
  t.same(await client.transfer(tr), { type: 'info', error: 'timeout' });
  t.same(await client.read(), { type: 'fail', error: 'timeout' });
  t.match(await client.audit(), { type: 'fail', error: /^socket: / });
  const dropped = await fakeNode(t, { '/transfer': 'reset' });
  t.match(await dropped.transfer(tr), { type: 'info', error: /^socket: / });
});

t.test('reads: an error answer is a fail, never info', async (t) => {
  const client = await fakeNode(t, { '/read': [504, { status: 'indeterminate', error: 'slow' }], '/health': [503, { status: 'down' }] });
  t.same(await client.read(), { type: 'fail', error: 'indeterminate: slow' });
  t.same(await client.health(), { type: 'fail', error: 'down' });
});

t.test('connection refused before sending is a definite fail', async (t) => {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const client = new ApiClient({ name: 'n1', url: `http://127.0.0.1:${port}` });
  t.teardown(() => client.close());
  t.same(await client.transfer(tr), { type: 'fail', error: 'api-unreachable' });
  t.same(await client.read(), { type: 'fail', error: 'api-unreachable' });
});

t.test('with a connection cap, a request that times out still waiting for a connection is a definite fail', async (t) => {
  const server = http.createServer(() => undefined); // never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new ApiClient({ name: 'n1', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 200, connections: 1 });
  t.teardown(async () => {
    server.closeAllConnections();
    await client.close();
    await new Promise((resolve) => server.close(resolve));
  });
  const [sent, queued] = await Promise.all([client.transfer(tr), client.transfer({ ...tr, id: 't2' })]);
  t.same(sent, { type: 'info', error: 'timeout' }, 'the one on the connection may have been applied');
  t.same(queued, { type: 'fail', error: 'timeout before sending' }, 'the one that never left certainly was not');
});

t.test('connections are reused: many sequential requests, one connection', async (t) => {
  let connections = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","retries":0}');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new ApiClient({ name: 'n1', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  t.teardown(async () => {
    await client.close();
    await new Promise((resolve) => server.close(resolve));
  });
  for (let i = 0; i < 20; i++) t.equal((await client.transfer({ ...tr, id: `t${i}` })).type, 'ok');
  t.equal(connections, 1);
  const burst = await Promise.all(Array.from({ length: 5 }, (_, i) => client.transfer({ ...tr, id: `b${i}` })));
  t.ok(burst.every((r) => r.type === 'ok'));
  t.ok(connections <= 5, `a burst of 5 opens at most 5 connections (${connections})`);
});
