// The embedded PostgreSQL runtime under faults: crash (kill -9) during load, pause/resume, and
// the guarantee that nothing outlives the process that started it.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { create } from '../adapters/postgres.ts';
import type { BankStore, Transfer } from '../lib/store.ts';
import { startPostgresNode } from '../lib/runtime/embedded-postgres.ts';
import { defaultProcessTable } from '../lib/runtime/local-processes.ts';
import { accounts, applyLedger, outcomeOf, total, type Outcome } from './helpers/store-contract.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Live = listed (by /proc, or ps where there is none: macOS) and not a zombie. */
const table = defaultProcessTable();
function alive(pid: number): boolean {
  const state = table.info(pid)?.state;
  return state !== undefined && state !== 'Z';
}

interface LoadResult {
  byId: Map<string, Transfer>;
  outcomes: Map<string, Outcome>;
  okBeforeKill: number;
}

/** `loops` concurrent closed loops of random transfers until `until`; `killAt` marks the crash. */
async function load(store: BankStore, loops: number, until: number, n: number, killed: () => boolean): Promise<LoadResult> {
  const byId = new Map<string, Transfer>();
  const outcomes = new Map<string, Outcome>();
  let okBeforeKill = 0;
  const loop = async (w: number) => {
    for (let i = 0; Date.now() < until; i++) {
      const from = Math.floor(Math.random() * n);
      const to = (from + 1 + Math.floor(Math.random() * (n - 1))) % n;
      const tr = { id: `w${w}-${i}`, from: `a${from}`, to: `a${to}`, amount: 1 + Math.floor(Math.random() * 50) };
      byId.set(tr.id, tr);
      const out = await outcomeOf(store.transfer(tr));
      outcomes.set(tr.id, out);
      if (out === 'ok' && !killed()) okBeforeKill++;
      if (out === 'definite' || out === 'indeterminate') await sleep(20); // no hot spin while down
    }
  };
  await Promise.all(Array.from({ length: loops }, (_, w) => loop(w)));
  return { byId, outcomes, okBeforeKill };
}

t.test('kill -9 during load loses no acknowledged transfer', async (t) => {
  const node = await startPostgresNode({ name: 'n1' });
  t.teardown(() => node.destroy());
  const initial = accounts(10, 10_000);
  const store = await create({ url: node.url, timeoutMs: '2000', connectTimeoutMs: '1000' });
  await store.setup(initial);

  const started = Date.now();
  let killedAt = 0;
  const crash = (async () => {
    await sleep(1500);
    const pid = node.pid!;
    await node.kill();
    killedAt = Date.now();
    t.notOk(node.isRunning(), 'node is down after kill');
    t.notOk(alive(pid), 'postmaster gone');
    const t0 = Date.now();
    await node.start();
    await node.waitReady(20_000);
    t.comment(`crash recovery to ready: ${Date.now() - t0} ms`);
  })();
  const result = await load(store, 8, started + 3000, 10, () => killedAt > 0);
  await crash;
  await store.close();

  const count = (o: Outcome) => [...result.outcomes.values()].filter((x) => x === o).length;
  t.comment(`ok ${count('ok')} (before kill ${result.okBeforeKill}, ${Math.round(result.okBeforeKill / ((killedAt - started) / 1000))}/s), ` +
    `insufficient ${count('insufficient')}, definite ${count('definite')}, indeterminate ${count('indeterminate')}`);
  t.ok(result.okBeforeKill > 0, 'transfers were acknowledged before the crash');
  t.ok(killedAt > 0 && killedAt < started + 3000, 'the kill landed during the load');
  t.equal(count('other'), 0, 'every failure was classified');

  const auditor = await create({ url: node.url });
  const audit = await auditor.audit();
  await auditor.close();
  const ledger = new Set(audit.transfers);
  t.equal(ledger.size, audit.transfers.length, 'no id twice in the ledger');
  const lost = [...result.outcomes].filter(([id, o]) => o === 'ok' && !ledger.has(id));
  t.same(lost, [], 'every transfer acknowledged ok is in the ledger');
  const failedButApplied = [...result.outcomes].filter(([id, o]) => (o === 'definite' || o === 'insufficient') && ledger.has(id));
  t.same(failedButApplied, [], 'no definitely failed transfer is in the ledger');
  const indeterminate = [...result.outcomes].filter(([, o]) => o === 'indeterminate');
  t.comment(`indeterminate: ${indeterminate.length}, of which applied ${indeterminate.filter(([id]) => ledger.has(id)).length}`);
  t.same(audit.balances, applyLedger(initial, audit.transfers, result.byId), 'balances reconcile with the ledger');
  t.equal(total(audit.balances), total(initial), 'no money created or lost');
});

t.test('pause stops every process; a transfer during pause is indeterminate', async (t) => {
  const node = await startPostgresNode({ name: 'n2' });
  t.teardown(() => node.destroy());
  const store = await create({ url: node.url, timeoutMs: '400', connectTimeoutMs: '400', poolMax: '2' });
  const initial = accounts(2, 100);
  await store.setup(initial);
  // Two warm pooled connections: the next two calls reach the frozen server and get no answer.
  await Promise.all([store.read(), store.read()]);
  await node.pause();
  t.ok(node.isPaused(), 'every process shows state T');
  const tr = { id: 'frozen-1', from: 'a0', to: 'a1', amount: 5 };
  const t0 = Date.now();
  t.equal(await outcomeOf(store.transfer(tr)), 'indeterminate', 'no answer → indeterminate');
  t.ok(Date.now() - t0 < 2000, 'the timeout bounded the wait');
  t.equal(await outcomeOf(store.read()), 'indeterminate', 'a read without an answer is indeterminate too');
  // Both timed-out connections were destroyed: a new one cannot even start up → definite.
  t.equal(await outcomeOf(store.read()), 'definite', 'no connection to a frozen server is definite');
  await node.resume();
  t.notOk(node.isPaused(), 'resumed');
  t.equal(await store.transfer({ id: 'after-1', from: 'a0', to: 'a1', amount: 1 }), 'ok');
  const audit = await store.audit();
  t.comment(`the frozen transfer was ${audit.transfers.includes('frozen-1') ? '' : 'not '}applied after resume`);
  t.same(audit.balances, applyLedger(initial, audit.transfers, new Map([[tr.id, tr], ['after-1', { id: 'after-1', from: 'a0', to: 'a1', amount: 1 }]])));
  await store.close();
  await node.restart();
  await node.waitReady(10_000);
  t.ok(node.isRunning(), 'clean restart works');
});

t.test('nothing outlives the process that started a node', async (t) => {
  const script = path.join(import.meta.dirname, 'helpers', 'leave-node-running.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import=tsx', script], { timeout: 30_000 });
  const { pid, dataDir } = JSON.parse(stdout.trim()) as { pid: number; dataDir: string };
  t.teardown(() => fs.rmSync(path.dirname(dataDir), { recursive: true, force: true }));
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
  t.notOk(alive(pid), `postmaster ${pid} was killed by the exit hook`);
});
