// The adapter contract (lib/contract/cases.ts): the reference store passes every case, stores
// with one classic flaw each fail the case that names it, and `npm run contract` brings an engine
// up, runs the cases and says so.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { create as createMemoryStore } from '../adapters/memory.ts';
import { ApiClient } from '../lib/api/client.ts';
import { createApiServer } from '../lib/api/server.ts';
import { CASES, runContract } from '../lib/contract/cases.ts';
import type { Audit, Balances, BankStore, Transfer, TransferResult } from '../lib/store.ts';

const run = promisify(execFile);

/** A store with one flaw switched on: the contract must notice it. */
class FlawedStore implements BankStore {
  private balances: Balances = {};
  private ledger: Transfer[] = [];
  constructor(private readonly flaw: 'overdraws' | 'applies-twice' | 'setup-keeps-ledger' | 'none') {}
  async setup(accounts: Balances): Promise<void> {
    this.balances = { ...accounts };
    if (this.flaw !== 'setup-keeps-ledger') this.ledger = [];
  }
  async transfer(t: Transfer): Promise<TransferResult> {
    const earlier = this.ledger.find((e) => e.id === t.id);
    if (earlier && this.flaw !== 'applies-twice') {
      if (earlier.amount !== t.amount) throw Object.assign(new Error('id used for other money'), { kind: 'definite' });
      return 'ok';
    }
    // A read, a pause, then a write: without a check at write time, concurrent transfers overdraw.
    const balance = this.balances[t.from]!;
    await new Promise((r) => setTimeout(r, 5));
    if (this.flaw !== 'overdraws' && this.balances[t.from]! < t.amount) return 'insufficient';
    if (this.flaw === 'overdraws' && balance < t.amount) return 'insufficient';
    this.balances[t.from]! -= t.amount;
    this.balances[t.to]! += t.amount;
    this.ledger.push(t);
    return 'ok';
  }
  async read(): Promise<Balances> {
    return { ...this.balances };
  }
  async audit(): Promise<Audit> {
    return { balances: { ...this.balances }, transfers: this.ledger.map((e) => e.id) };
  }
  retries(): number {
    return 0;
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}

async function contractOf(t: Tap, stores: BankStore[]) {
  const api = await Promise.all(stores.map(async (store, i) => {
    const server = createApiServer(store, { name: `n${i + 1}` });
    const port = await server.listen();
    const client = new ApiClient({ name: `n${i + 1}`, url: `http://127.0.0.1:${port}`, timeoutMs: 5000 });
    t.teardown(async () => {
      await client.close();
      await server.close();
    });
    return client;
  }));
  return runContract(api);
}
type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

t.test('the reference store passes every case', async (t) => {
  const results = await contractOf(t, [await createMemoryStore({})]);
  t.same(results.map((r) => [r.name, r.ok]), CASES.map((c) => [c.name, true]), JSON.stringify(results, null, 1));
});

for (const [flaw, caseStart] of [
  ['overdraws', 'concurrent transfers out of one account never overdraw it'],
  ['applies-twice', 'a transfer sent again is applied at most once'],
  ['setup-keeps-ledger', 'setup is idempotent'],
] as const) {
  t.test(`a store that ${flaw.replaceAll('-', ' ')} fails "${caseStart}"`, async (t) => {
    const results = await contractOf(t, [new FlawedStore(flaw)]);
    const failed = results.filter((r) => !r.ok);
    t.ok(failed.some((r) => r.name.startsWith(caseStart)), `failed: ${failed.map((r) => `${r.name}: ${r.detail}`).join(' | ')}`);
  });
}

t.test('the same flawless store passes: the failures above are the flaws\'', async (t) => {
  const results = await contractOf(t, [new FlawedStore('none')]);
  t.same(results.filter((r) => !r.ok), []);
});

t.test('npm run contract on the embedded PostgreSQL: every case passes, contract.json written', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bankrun-contract-'));
  const r = await run('npx', ['tsx', 'scripts/contract.ts', '--engine', 'postgres', '--out', out], { timeout: 120_000 });
  t.match(r.stdout, new RegExp(`${CASES.length} passed, 0 failed`));
  const root = join(out, 'contract', 'postgres-1node');
  const dir = join(root, readdirSync(root)[0]!);
  const saved = JSON.parse(readFileSync(join(dir, 'contract.json'), 'utf8')) as { results: { ok: boolean }[] };
  t.equal(saved.results.filter((x) => x.ok).length, CASES.length);
});

t.test('npm run contract refuses an unknown engine and a node count the engine cannot run', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bankrun-contract-'));
  const unknown = await run('npx', ['tsx', 'scripts/contract.ts', '--engine', 'tidb', '--out', out]).catch((e) => e);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown engine 'tidb'; known: memory, postgres, etcd/);
  const nodes = await run('npx', ['tsx', 'scripts/contract.ts', '--engine', 'postgres', '--nodes', '3', '--out', out]).catch((e) => e);
  t.equal(nodes.code, 2);
  t.match(nodes.stderr, /single node/);
  t.notOk(existsSync(join(out, 'contract')), 'nothing was started or written');
});
