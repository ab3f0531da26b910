// The embedded runtime as the notebook uses it: one PostgreSQL node and its API node, each fault
// kind applied, verified and healed through the runtime's fault driver, and nothing left behind.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS } from '../lib/params.ts';
import { embeddedMemory, embeddedPostgres } from '../lib/runtime/embedded.ts';

const params = { ...DEFAULTS, timeoutMs: 2000 };
const ctx = () => {
  const scratchDir = mkdtempSync(join(tmpdir(), 'bankrun-runtime-'));
  return { params, settings: {}, scratchDir, resultsDir: scratchDir, runId: 'test', log: () => undefined };
};

t.test('embedded PostgreSQL: kill, pause and stop are applied, verified and healed; network faults are unsupported', async (t) => {
  const cluster = await embeddedPostgres().start(ctx());
  t.teardown(() => cluster.close());
  t.same(cluster.nodes, ['n1']);
  t.match(String(cluster.environment.database), /^PostgreSQL 1\d/);
  const api = cluster.api[0]!;
  t.equal((await api.setup({ a: 10, b: 0 })).type, 'ok');

  for (const kind of ['kill', 'pause', 'stop'] as const) {
    t.same(await cluster.faults.support(kind), { ok: true }, `${kind} is supported`);
    t.match(await cluster.faults.apply(kind, 'n1', ['n1']), /.+/, `${kind} applied and verified`);
    const during = await api.transfer({ id: `during-${kind}`, from: 'a', to: 'b', amount: 1 });
    t.not(during.type, 'ok', `no transfer succeeds while n1 is under ${kind} (${during.type} ${during.error ?? ''})`);
    t.match(await cluster.faults.heal(kind, 'n1', ['n1']), /.+/, `${kind} healed`);
    const after = await api.transfer({ id: `after-${kind}`, from: 'a', to: 'b', amount: 1 });
    t.equal(after.type, 'ok', `transfers work again after ${kind} is healed`);
  }
  for (const kind of ['partition', 'loss', 'bandwidth', 'latency'] as const) {
    const support = await cluster.faults.support(kind);
    t.equal(support.ok, false, `${kind} is not supported here`);
    if (!support.ok) t.match(support.reason, /Docker runtime/);
  }
});

t.test('closing the cluster stops the database and the API node', async (t) => {
  const cluster = await embeddedPostgres().start(ctx());
  const api = cluster.api[0]!;
  t.equal((await api.health()).type, 'ok');
  await cluster.close();
  await cluster.close(); // safe twice
  const after = await api.health();
  t.equal(after.type, 'fail', 'the API node no longer answers');
});

t.test('the memory runtime has nothing to fault and says so', async (t) => {
  const cluster = await embeddedMemory().start(ctx());
  t.teardown(() => cluster.close());
  const support = await cluster.faults.support('kill');
  t.equal(support.ok, false);
  if (!support.ok) t.match(support.reason, /no database node to fault/);
});

t.test('clusters of several nodes are refused with the way forward', async (t) => {
  t.match(embeddedPostgres().refuse?.({ ...params, nodes: 3 }, {}), /--nodes 3: .* single node; .* Docker runtime/);
  t.equal(embeddedPostgres().refuse?.(params, {}), undefined);
});

