import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowNs } from '../lib/clock.ts';
import type { FaultDriver, FaultKind } from '../lib/faults/kinds.ts';
import { runFault } from '../lib/faults/nemesis.ts';
import { resolveTarget, target } from '../lib/faults/targets.ts';
import { HistoryWriter } from '../lib/history/writer.ts';
import type { Op } from '../lib/history/op.ts';

function fakeDriver(opts: { unsupported?: FaultKind[]; failApply?: boolean; failOn?: string } = {}) {
  const calls: string[] = [];
  const driver: FaultDriver = {
    support: (kind) => (opts.unsupported?.includes(kind) ? { ok: false, reason: 'no netem in this kernel' } : { ok: true }),
    apply: async (kind, node) => {
      calls.push(`apply ${kind} ${node}`);
      if (opts.failApply || node === opts.failOn) throw new Error('container not found');
      return 'verified';
    },
    heal: async (kind, node) => {
      calls.push(`heal ${kind} ${node}`);
      return 'healed';
    },
  };
  return { driver, calls };
}

function context(driver: FaultDriver, signal = new AbortController().signal) {
  const history = new HistoryWriter(join(mkdtempSync(join(tmpdir(), 'bankrun-nemesis-')), 'h.jsonl'));
  const lines: string[] = [];
  const ctx = { driver, nodes: ['n1', 'n2', 'n3'], pick: () => 1, history, cellStartNs: nowNs(), signal, log: (l: string) => lines.push(l) };
  const ops = () => {
    history.close();
    return readFileSync(history.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Op);
  };
  return { ctx, lines, ops };
}

t.test('a fault is applied at its time, verified, healed after its window, and written to the history', async (t) => {
  const { driver, calls } = fakeDriver();
  const { ctx, ops } = context(driver);
  const record = await runFault({ kind: 'kill', target: target.node(2), atMs: 100, forMs: 200 }, ctx);
  t.same(calls, ['apply kill n2', 'heal kill n2']);
  t.equal(record.status, 'applied');
  t.equal(record.verified, true);
  t.same(record.targets, ['n2']);
  t.ok(record.appliedAtMs! >= 100 && record.appliedAtMs! < 200, `applied at ${record.appliedAtMs} ms`);
  t.ok(record.healedAtMs! - record.appliedAtMs! >= 200, 'healed after the window');
  const nemesisOps = ops();
  t.same(nemesisOps.map((o) => `${o.type} ${o.f} ${(o.value as { phase: string }).phase}`), ['invoke kill start', 'ok kill start', 'invoke kill heal', 'ok kill heal']);
  t.ok(nemesisOps.every((o) => o.process === 'nemesis'));
});

t.test('an unsupported fault is reported as unsupported, never applied', async (t) => {
  const { driver, calls } = fakeDriver({ unsupported: ['latency'] });
  const { ctx, lines, ops } = context(driver);
  const record = await runFault({ kind: 'latency', target: target.node(1), atMs: 0, forMs: 100 }, ctx);
  t.equal(record.status, 'unsupported');
  t.equal(record.verified, false);
  t.equal(record.appliedAtMs, undefined);
  t.match(record.detail, /netem/);
  t.same(calls, [], 'the driver was never asked to apply it');
  t.match(lines.join('\n'), /NOT APPLIED: unsupported/);
  t.same(ops().map((o) => o.type), ['fail']);
});

t.test('a fault that fails to apply is reported as failed, and the heal still runs', async (t) => {
  const { driver, calls } = fakeDriver({ failApply: true });
  const { ctx } = context(driver);
  const record = await runFault({ kind: 'pause', target: target.node(1), atMs: 0, forMs: 5000 }, ctx);
  t.equal(record.status, 'failed');
  t.match(record.detail, /container not found/);
  t.same(calls, ['apply pause n1', 'heal pause n1']);
});

t.test('a fault applied on some targets only is drawn as applied, marked unverified, and healed everywhere', async (t) => {
  const { driver, calls } = fakeDriver({ failOn: 'n2' });
  const { ctx } = context(driver);
  const record = await runFault({ kind: 'pause', target: target.all(), atMs: 0, forMs: 50 }, ctx);
  t.equal(record.status, 'applied');
  t.equal(record.verified, false);
  t.match(record.detail, /NOT applied on n2: container not found/);
  t.same(calls.filter((c) => c.startsWith('heal')).sort(), ['heal pause n1', 'heal pause n2', 'heal pause n3']);
});

t.test('when the load ends early, an active fault is healed at once and a pending one never starts', async (t) => {
  const { driver, calls } = fakeDriver();
  const stop = new AbortController();
  const { ctx } = context(driver, stop.signal);
  setTimeout(() => stop.abort(), 150);
  const t0 = Date.now();
  const [active, pending] = await Promise.all([
    runFault({ kind: 'pause', target: target.node(1), atMs: 0, forMs: 10_000 }, ctx),
    runFault({ kind: 'kill', target: target.node(3), atMs: 5_000, forMs: 1_000 }, ctx),
  ]);
  t.ok(Date.now() - t0 < 1000);
  t.equal(active.status, 'applied');
  t.ok(active.healedAtMs! < 1000);
  t.equal(pending.status, 'failed');
  t.match(pending.detail, /ended before the fault was due/);
  t.same(calls, ['apply pause n1', 'heal pause n1']);
});

t.test('targets resolve to node names; a missing node is a clear error', async (t) => {
  const nodes = ['n1', 'n2', 'n3'];
  t.same(resolveTarget(target.node(3), nodes, () => 0), ['n3']);
  t.same(resolveTarget(target.all(), nodes, () => 0), nodes);
  t.same(resolveTarget(target.random(), nodes, () => 1), ['n2']);
  t.throws(() => resolveTarget(target.node(4), nodes, () => 0), /n4 does not exist: the cluster has 3 node/);
  const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const minority = resolveTarget(target.minority(), five, (n) => n - 1);
  t.equal(minority.length, 2, 'a minority of 5 is 2');
  t.ok(minority.every((m) => five.includes(m)) && new Set(minority).size === 2, `distinct nodes: ${minority}`);
  t.same(resolveTarget(target.minority(), nodes, () => 0), ['n1'], 'a minority of 3 is 1');
});

t.test('every target of a fault is told the whole group it belongs to (a partition cuts the group off)', async (t) => {
  const groups: string[] = [];
  const driver: FaultDriver = {
    support: () => ({ ok: true }),
    apply: async (_kind, node, group) => { groups.push(`${node}:${group.join(',')}`); return 'ok'; },
    heal: async () => 'healed',
  };
  const { ctx } = context(driver);
  await runFault({ kind: 'partition', target: target.minority(), atMs: 0, forMs: 10 }, { ...ctx, nodes: ['n1', 'n2', 'n3', 'n4', 'n5'], pick: () => 0 });
  t.same(groups.sort(), ['n1:n1,n2', 'n2:n1,n2']);
});

t.test('a fault aimed at the leader hits the node the database names, or is not applied', async (t) => {
  const { driver, calls } = fakeDriver();
  const { ctx } = context(driver);
  const hit = await runFault({ kind: 'kill', target: target.leader(), atMs: 0, forMs: 10 }, { ...ctx, leader: async () => 'n3' });
  t.same(hit.targets, ['n3']);
  t.equal(hit.status, 'applied');
  const unknown = await runFault({ kind: 'kill', target: target.leader(), atMs: 0, forMs: 10 }, { ...ctx, leader: async () => undefined });
  t.equal(unknown.status, 'failed');
  t.match(unknown.detail, /no node could say which node leads/);
  const noWay = await runFault({ kind: 'kill', target: target.leader(), atMs: 0, forMs: 10 }, ctx);
  t.equal(noWay.status, 'failed', 'a runtime that cannot ask does not guess');
  t.same(calls, ['apply kill n3', 'heal kill n3']);
});

t.test('a deteriorating fault steps through its levels within its window, then heals', async (t) => {
  const steps: string[] = [];
  const driver: FaultDriver = {
    support: () => ({ ok: true }),
    apply: async (kind, node, _group, level) => { steps.push(`apply ${kind} ${node} ${level}`); return `${level} %`; },
    heal: async (kind, node) => { steps.push(`heal ${kind} ${node}`); return 'healed'; },
  };
  const { ctx, ops } = context(driver);
  const record = await runFault({ kind: 'loss', target: target.node(1), atMs: 0, forMs: 300, levels: [5, 20, 40] }, ctx);
  t.same(steps, ['apply loss n1 5', 'heal loss n1', 'apply loss n1 20', 'heal loss n1', 'apply loss n1 40', 'heal loss n1']);
  t.equal(record.status, 'applied');
  t.equal(record.verified, true);
  t.match(record.detail, /levels 5 → 20 → 40/);
  t.ok(record.healedAtMs! >= 300, 'healed after the whole window');
  t.same(ops().filter((o) => (o.value as { phase: string }).phase === 'step' && o.type === 'ok').map((o) => (o.value as { level: number }).level), [20, 40]);
});

t.test('a bridge: two sides lose each other, both keep the bridge node, which is left alone', async (t) => {
  const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const groups: Record<string, string[]> = {};
  const driver: FaultDriver = {
    support: () => ({ ok: true }),
    apply: async (_kind, node, group) => { groups[node] = [...group].sort(); return 'ok'; },
    heal: async () => 'healed',
  };
  const { ctx } = context(driver);
  const record = await runFault({ kind: 'partition', target: target.bridge(), atMs: 0, forMs: 10 }, { ...ctx, nodes: five, pick: () => 0 });
  // pick 0 draws in node order: n1 is the bridge, {n2, n3} one side, {n4, n5} the other.
  t.same(record.targets, ['n2', 'n3', 'n4', 'n5']);
  t.same(groups, { n2: ['n1', 'n2', 'n3'], n3: ['n1', 'n2', 'n3'], n4: ['n1', 'n4', 'n5'], n5: ['n1', 'n4', 'n5'] });
  t.throws(() => resolveTarget(target.bridge(), ['n1', 'n2'], () => 0), /at least 3 nodes/);
});
