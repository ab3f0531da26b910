import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ApiClient } from '../lib/api/client.ts';
import { childExecArgv, spawnApiNode } from '../lib/api/spawn.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

t.test('an API node process with the memory adapter, driven through ApiClient', async (t) => {
  const node = await spawnApiNode({ name: 'n1', adapter: 'memory', deadlineMs: 2000 });
  t.match(node, { name: 'n1', url: /^http:\/\/127\.0\.0\.1:\d+$/, pid: Number });
  const client = new ApiClient(node);
  t.teardown(() => client.close());

  t.same(await client.health(), { type: 'ok', value: { status: 'up', node: 'n1' } });
  t.match(await client.setup({ a: 10, b: 0 }), { type: 'ok' });
  t.match(await client.transfer({ id: 't1', from: 'a', to: 'b', amount: 4 }), { type: 'ok', retries: 0 });
  t.match(await client.transfer({ id: 't2', from: 'a', to: 'b', amount: 40 }), { type: 'fail', error: 'insufficient' });
  t.match(await client.transfer({ id: 't3', from: 'a', to: 'a', amount: 1 }), { type: 'fail', error: /^invalid: / });
  t.same(await client.read(), { type: 'ok', value: { balances: { a: 6, b: 4 }, versions: { a: 1, b: 1 } } });
  t.same(await client.audit(), { type: 'ok', value: { balances: { a: 6, b: 4 }, transfers: ['t1'] } });

  await node.stop();
  t.notOk(alive(node.pid), 'stop() leaves no process');
  t.same(await client.transfer({ id: 't4', from: 'a', to: 'b', amount: 1 }), { type: 'fail', error: 'api-unreachable' });
  await node.stop(); // idempotent
});

t.test('an adapter given as a module path', async (t) => {
  const adapter = fileURLToPath(new URL('../adapters/memory.ts', import.meta.url));
  const node = await spawnApiNode({ name: 'n2', adapter });
  t.teardown(() => node.stop());
  const client = new ApiClient(node);
  t.teardown(() => client.close());
  t.match(await client.health(), { type: 'ok', value: { node: 'n2' } });
});

t.test('a node that cannot start says which one and shows its stderr', async (t) => {
  await t.rejects(spawnApiNode({ name: 'n3', adapter: 'no-such-adapter' }), {
    message: /^API node n3: exited \(2\) before listening; stderr tail:\napi node: unknown adapter "no-such-adapter"; known: .*memory/,
  });
});

t.test('an API node does not inherit code given with -e or -p, nor inspector flags', async (t) => {
  const loader = ['--require', '/x/preflight.cjs', '--import', 'file:///x/loader.mjs'];
  t.same(childExecArgv([...loader, '-e', 'startNotebook()', '--inspect=9229']), loader);
  t.same(childExecArgv(['--eval=run()', ...loader, '--print', '1+1', '--enable-source-maps']), [...loader, '--enable-source-maps']);
});
