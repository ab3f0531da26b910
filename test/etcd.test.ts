// The etcd adapter: its error table and retry loop (unit), then against one real local etcd:
// the shared contract, conflicts, a pause, and kill -9 with a restart on the same data dir.
import t from 'tap';
import {
  castGrpcError,
  ClientClosedError,
  EtcdPermissionDeniedError,
  GRPCCancelledError,
  GRPCDeadlineExceededError,
  GRPCInternalError,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
  Range,
} from 'etcd3';
import {
  classifyRead,
  classifyWrite,
  create,
  EtcdBankStore,
  gapsAround,
  ruleFor,
  WRITE_ERRORS,
} from '../adapters/etcd.ts';
import { DefiniteError, IndeterminateError, isCountingStore, type Transfer } from '../lib/store.ts';
import { freePort } from '../lib/runtime/local-processes.ts';
import { ETCD_MISSING, etcdInstalled, startEtcdNode } from './helpers/local-etcd.ts';
import { accounts, applyLedger, outcomeOf, storeContract, total, type Outcome } from './helpers/store-contract.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('classification table (unit)', async (t) => {
  const kind = (err: unknown) => classifyWrite(err).kind;
  // As grpc-js reports them: etcd3's castGrpcError turns the numeric status into a class.
  const grpc = (code: number, details: string) => castGrpcError(Object.assign(new Error(`${code} X: ${details}`), { code }));
  const cases: [unknown, 'definite' | 'indeterminate', string][] = [
    [grpc(14, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1'), 'definite', 'refused connection: never sent'],
    [grpc(14, 'Channel closed before call started'), 'definite', 'queued, never sent'],
    [grpc(14, 'Stream refused by server'), 'definite', 'REFUSED_STREAM'],
    [grpc(8, 'etcdserver: too many requests'), 'definite', 'refused before proposing'],
    [grpc(8, 'etcdserver: mvcc: database space exceeded'), 'definite', 'quota'],
    [grpc(3, 'etcdserver: too many operations in txn request'), 'definite', 'validation'],
    [grpc(11, 'etcdserver: mvcc: required revision has been compacted'), 'definite', 'compacted'],
    [grpc(7, 'etcdserver: permission denied'), 'definite', 'permission'],
    [new ClientClosedError('KV'), 'definite', 'closed client'],
    [grpc(4, 'Deadline exceeded after 0.501s,LB pick: 0s,remote_addr=127.0.0.1:2379'), 'indeterminate', 'our deadline'],
    [grpc(14, 'etcdserver: request timed out'), 'indeterminate', 'server timeout after proposing'],
    [grpc(14, 'etcdserver: request timed out, possibly due to previous leader failure'), 'indeterminate', 'server timeout, leader failure'],
    [grpc(14, 'etcdserver: leader changed'), 'indeterminate', 'leader changed'],
    [grpc(14, 'Connection dropped'), 'indeterminate', 'connection lost during the call'],
    [grpc(14, 'read ECONNRESET'), 'indeterminate', 'reset during the call'],
    [grpc(14, 'etcdserver: server stopped'), 'indeterminate', 'stopping'],
    [grpc(1, 'Call cancelled'), 'indeterminate', 'cancelled'],
    [grpc(13, 'Received RST_STREAM with code 2'), 'indeterminate', 'stream ended without status'],
    [new Error('something else'), 'indeterminate', 'unknown errors may have been applied'],
    ['not even an Error', 'indeterminate', 'non-errors too'],
  ];
  for (const [err, want, why] of cases) t.equal(kind(err), want, `${why}: ${err instanceof Error ? err.message : err}`);
  t.type(grpc(14, 'x'), GRPCUnavailableError, 'castGrpcError maps status 14 as the table assumes');
  t.type(grpc(4, 'x'), GRPCDeadlineExceededError);
  t.type(grpc(8, 'x'), GRPCResourceExhastedError);
  t.type(grpc(3, 'x'), GRPCInvalidArgumentError);
  t.type(grpc(11, 'x'), GRPCOutOfRangeError);
  t.type(grpc(7, 'x'), EtcdPermissionDeniedError);
  t.type(grpc(1, 'x'), GRPCCancelledError);
  t.type(grpc(13, 'x'), GRPCInternalError);

  WRITE_ERRORS.forEach((rule, i) => {
    const Ctor = rule.error as unknown as new (message: string) => Error;
    const err = new Ctor(`prefix: ${rule.message ?? 'anything'}`);
    t.equal(ruleFor(err), rule, `rule ${i} (${rule.error.name} ${rule.message ?? '*'}) is reachable, not shadowed`);
  });
  const d = new DefiniteError('already classified');
  t.equal(classifyWrite(d), d, 'classified errors pass through');
  t.equal(classifyRead(grpc(4, 'Deadline exceeded')).kind, 'indeterminate', 'a read without an answer');
  t.equal(classifyRead(grpc(14, 'No connection established')).kind, 'definite', 'a failed read changed nothing');
});

t.test('setup ranges (unit)', async (t) => {
  const b = (s: string) => Buffer.from(s);
  const gaps = gapsAround(Range.prefix('p/'), [b('p/a'), b('p/c')]).map((g) => [g.start.toString(), g.end.toString()]);
  t.same(gaps, [['p/', 'p/a'], ['p/a\0', 'p/c'], ['p/c\0', 'p0']], 'every key of the prefix except the accounts');
});

t.test('config is validated', async (t) => {
  t.equal(await outcomeOf(create({})), 'definite', 'endpoints are required');
  t.equal(await outcomeOf(create({ endpoints: '10.0.0.1:2379' })), 'definite', 'a URL, with its scheme');
  t.equal(await outcomeOf(create({ endpoints: 'http://x:2379', readMode: 'stale' })), 'definite');
  t.equal(await outcomeOf(create({ endpoints: 'http://x:2379', timeoutMs: 'soon' })), 'definite');
  t.equal(await outcomeOf(create({ endpoints: 'http://x:2379', run: 'a/b' })), 'definite');
  t.equal(await outcomeOf(create({ endpoints: 'http://x:2379', run: 'ledger' })), 'definite', 'would overlap the default keys');
});

t.test('no server: everything fails definitely, nothing crashes', async (t) => {
  const s = await create({ endpoints: `http://127.0.0.1:${await freePort()}`, timeoutMs: '1000' });
  t.equal(await outcomeOf(s.transfer({ id: 'nope', from: 'a', to: 'b', amount: 1 })), 'definite');
  t.equal(await outcomeOf(s.setup({ a: 1 })), 'definite');
  t.equal(await outcomeOf(s.read()), 'definite');
  t.equal(await outcomeOf(s.ping()), 'definite');
  await s.close();
  t.equal(await outcomeOf(s.transfer({ id: 'closed', from: 'a', to: 'b', amount: 1 })), 'definite', 'after close');
});

t.test('against a local etcd', { skip: etcdInstalled() ? false : ETCD_MISSING }, async (t) => {
  const node = await startEtcdNode({ name: 'etcdtest' });
  t.teardown(() => node.destroy());
  const endpoints = node.clientUrl;

  t.test('contract, linearizable reads', (t) => storeContract(t, () => create({ endpoints })));
  t.test('contract, serializable reads, in a run namespace', (t) => storeContract(t, () => create({ endpoints, readMode: 'serializable', run: 'r1' })));

  t.test('the leader is named by its --name', async (t) => {
    const s = await create({ endpoints });
    t.teardown(() => s.close());
    t.equal(await s.leader!(), 'etcdtest', 'a single member leads itself');
  });

  t.test('conflicting concurrent transfers retry, are counted, and never overdraw', async (t) => {
    const s = await create({ endpoints });
    t.teardown(() => s.close());
    t.ok(isCountingStore(s));
    if (!isCountingStore(s)) return;
    const a = { a: 100, b: 100 };
    await s.setup(a);
    // 40 transfers of 5 in both directions at once: every one is possible, in some order.
    const trs: Transfer[] = Array.from({ length: 40 }, (_, i) => ({ id: `c-${i}`, from: i % 2 ? 'a' : 'b', to: i % 2 ? 'b' : 'a', amount: 5 }));
    const outs = await Promise.all(trs.map((tr) => s.transferCounted(tr)));
    t.ok(outs.every((o) => o.result === 'ok'), 'every transfer eventually applied');
    t.ok(s.retries() > 0, `compare failures were retried (${s.retries()})`);
    t.equal(outs.reduce((n, o) => n + o.retries, 0), s.retries(), 'per-call counts add up to the total');
    const audit = await s.audit();
    t.equal(audit.transfers.length, trs.length);
    t.same(audit.balances, applyLedger(a, audit.transfers, new Map(trs.map((x) => [x.id, x]))));
    t.equal(total(audit.balances), 200);
  });

  t.test('one transfer id sent many times at once is applied once', async (t) => {
    const s = await create({ endpoints });
    t.teardown(() => s.close());
    await s.setup(accounts(2, 100));
    const tr = { id: 'same-1', from: 'a0', to: 'a1', amount: 60 };
    const outs = await Promise.all(Array.from({ length: 10 }, () => outcomeOf(s.transfer(tr))));
    t.same(outs, Array(10).fill('ok'), 'every copy reports the one application');
    t.same(await s.audit(), { balances: { a0: 40, a1: 160 }, transfers: ['same-1'] });
  });

  t.test('pause: a write in flight is indeterminate, a transfer that cannot read is definite', async (t) => {
    const s = (await create({ endpoints, timeoutMs: '500' })) as EtcdBankStore;
    t.teardown(() => s.close());
    const a = accounts(2, 100);
    await s.setup(a);

    await node.pause();
    const blocked = await s.transfer({ id: 'p-read', from: 'a0', to: 'a1', amount: 1 }).catch((e) => e).finally(() => node.resume());
    t.type(blocked, DefiniteError, 'no answer to the read: the write was never sent');

    // Pause etcd just before the write txn goes out, so the write itself gets no answer.
    const kv = s.client.kv;
    const txn = kv.txn.bind(kv);
    kv.txn = async (req, options) => {
      if (req.success?.some((op) => op.request_put)) await node.pause();
      return txn(req, options);
    };
    const inFlight = await s.transfer({ id: 'p-write', from: 'a0', to: 'a1', amount: 7 }).catch((e) => e).finally(() => node.resume());
    kv.txn = txn;
    t.type(inFlight, IndeterminateError, `write without an answer: ${inFlight.message}`);

    t.equal(await s.transfer({ id: 'p-after', from: 'a0', to: 'a1', amount: 1 }), 'ok', 'works again after resume');
    const audit = await s.audit();
    t.notOk(audit.transfers.includes('p-read'));
    t.ok(audit.transfers.includes('p-after'));
    t.comment(`the indeterminate write was ${audit.transfers.includes('p-write') ? '' : 'not '}applied after resume`);
    const byId = new Map([['p-write', { id: 'p-write', from: 'a0', to: 'a1', amount: 7 }], ['p-after', { id: 'p-after', from: 'a0', to: 'a1', amount: 1 }]]);
    t.same(audit.balances, applyLedger(a, audit.transfers, byId));
  });

  // Last: it restarts the node.
  t.test('kill -9 under load, restart on the same data dir: every ok transfer survives', async (t) => {
    const s = await create({ endpoints, timeoutMs: '1000' });
    t.teardown(() => s.close());
    const a = accounts(10, 1000);
    await s.setup(a);
    const byId = new Map<string, Transfer>();
    const outcomes = new Map<string, Outcome>();
    let seq = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const k = seq++;
        const tr = { id: `k-${k}`, from: `a${k % 10}`, to: `a${(k + 1 + (k % 9)) % 10}`, amount: 1 + (k % 7) };
        byId.set(tr.id, tr);
        const out = await outcomeOf(s.transfer(tr));
        outcomes.set(tr.id, out);
        if (out !== 'ok' && out !== 'insufficient') await sleep(20); // the node is down: do not spin
      }
    };
    const count = (o: Outcome) => [...outcomes.values()].filter((x) => x === o).length;
    const workers = Array.from({ length: 8 }, worker);
    await sleep(1500);
    const okBefore = count('ok');
    await node.kill();
    await sleep(700);
    const restartAt = Date.now();
    await node.start();
    await node.waitReady();
    const restartMs = Date.now() - restartAt;
    const okAtRestart = count('ok');
    await sleep(1500);
    stop = true;
    await Promise.all(workers);

    const audit = await s.audit();
    const ledger = new Set(audit.transfers);
    t.equal(ledger.size, audit.transfers.length, 'no id twice in the ledger');
    const lost = [...outcomes].filter(([id, o]) => o === 'ok' && !ledger.has(id)).map(([id]) => id);
    const failedButApplied = [...outcomes].filter(([id, o]) => o === 'definite' && ledger.has(id)).map(([id]) => id);
    t.same(lost, [], 'every acknowledged transfer is in the ledger');
    t.same(failedButApplied, [], 'no definitely failed transfer is in the ledger');
    t.same(audit.balances, applyLedger(a, audit.transfers, byId), 'balances = initial + ledger');
    t.equal(total(audit.balances), total(a));
    t.ok(okBefore > 0 && count('ok') > okAtRestart, 'transfers succeeded before the kill and after the restart');
    const indeterminate = [...outcomes].filter(([, o]) => o === 'indeterminate').map(([id]) => id);
    t.comment(
      `ok before kill: ${okBefore} in 1.5 s (${Math.round(okBefore / 1.5)}/s); restart to healthy: ${restartMs} ms; ` +
        `ok after restart: ${count('ok') - okAtRestart}; definite: ${count('definite')}; ` +
        `indeterminate: ${indeterminate.length} (${indeterminate.filter((id) => ledger.has(id)).length} applied)`,
    );
  });
});
