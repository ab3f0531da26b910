import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowNs } from '../lib/clock.ts';
import { HistoryWriter } from '../lib/history/writer.ts';
import type { Op } from '../lib/history/op.ts';
import { CellRecorder } from '../lib/metrics/cell-recorder.ts';
import { closedLoop, openLoop } from '../lib/workload/drivers.ts';
import { OpExecutor, ProcessIds } from '../lib/workload/executor.ts';
import { OpGenerator } from '../lib/workload/generator.ts';
import { router } from '../lib/workload/router.ts';
import { SeededRandom } from '../lib/random.ts';
import { fakeTarget } from './helpers/fake-target.ts';

function rig(targets: ReturnType<typeof fakeTarget>[], routing: 'all' | 'one' = 'all') {
  const dir = mkdtempSync(join(tmpdir(), 'bankrun-drivers-'));
  const history = new HistoryWriter(join(dir, 'history.jsonl'));
  const metrics = new CellRecorder(nowNs());
  const gen = new OpGenerator({ seed: 1, accounts: 5, maxAmount: 10, readShare: 0.2 });
  const deps = { gen, route: router(targets, routing, new SeededRandom(1, 'routing')), exec: new OpExecutor(history, metrics), processes: new ProcessIds(1), metrics };
  const ops = () => {
    history.close();
    return readFileSync(history.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Op);
  };
  return { deps, metrics, ops };
}

t.test('open loop: sends at the rate, every invoke has one completion, latency counts from the intended start', async (t) => {
  const target = fakeTarget('n1', () => 2);
  const { deps, metrics, ops } = rig([target]);
  await openLoop({ durationMs: 1000, rate: 200, maxInFlight: 1000 }, deps);
  const history = ops();
  t.equal(target.calls, 200, 'one second at 200/s is 200 operations');
  t.equal(history.filter((o) => o.type === 'invoke').length, 200);
  t.equal(history.filter((o) => o.type === 'ok').length, 200);
  t.ok(history.filter((o) => o.type === 'invoke').every((o) => typeof o.intended === 'number'), 'invokes carry their intended start');
  t.equal(metrics.summary(nowNs(), 0).dropped, 0);
});

t.test('open loop: a 1 s stall is visible in p99 (coordinated omission is not hidden)', async (t) => {
  // Every call that starts between 400 and 1400 ms waits until 1400 ms: the database is stalled.
  const target = fakeTarget('n1', (ms) => (ms >= 400 && ms < 1400 ? 1400 - ms : 1));
  const { deps, metrics } = rig([target]);
  await openLoop({ durationMs: 2000, rate: 100, maxInFlight: 1000 }, deps);
  const m = metrics.summary(nowNs(), 0);
  t.ok(m.transfers.ok.maxUs >= 950_000, `max latency ${m.transfers.ok.maxUs} µs reflects the ~1 s stall`);
  t.ok(m.transfers.ok.p90Us >= 300_000, `p90 ${m.transfers.ok.p90Us} µs: about half the ops were caught in the stall`);
  const stalled = m.perSecond[0]!.latency!.maxUs;
  t.ok(stalled >= 550_000, `the second the stall began shows it (${stalled} µs)`);
});

t.test('closed loop: a stall hides in a closed loop\'s per-op figures (why open loop is the default)', async (t) => {
  // The 50th call hangs for a second; meanwhile the closed loop just waits (no new ops are due).
  const target = fakeTarget('n1', (_ms, call) => (call === 50 ? 1000 : 1));
  const { deps, metrics } = rig([target]);
  await closedLoop({ durationMs: 2000, workers: 2 }, deps);
  const m = metrics.summary(nowNs(), 0);
  // Only the op in flight at the stall saw it: p90 stays at ~1 ms.
  t.ok(m.transfers.ok.p90Us < 50_000, `closed-loop p90 ${m.transfers.ok.p90Us} µs stays low`);
  t.ok(m.transfers.ok.maxUs >= 900_000, `only the max shows the stall (${m.transfers.ok.maxUs} µs)`);
  t.ok(target.maxConcurrent <= 2, 'never more in flight than workers');
});

t.test('open loop: past the in-flight cap, due operations are dropped and counted, not delayed', async (t) => {
  const target = fakeTarget('n1', () => 300);
  const { deps, metrics } = rig([target]);
  await openLoop({ durationMs: 500, rate: 200, maxInFlight: 10 }, deps);
  const m = metrics.summary(nowNs(), 0);
  t.ok(target.maxConcurrent <= 10, `at most 10 in flight (${target.maxConcurrent})`);
  t.ok(m.dropped > 50, `dropped ${m.dropped}`);
  t.equal(m.dropped + target.calls, 100, 'sent + dropped = due');
});

t.test('routing all spreads over nodes; routing one pins to n1', async (t) => {
  const spread = [fakeTarget('n1', () => 0), fakeTarget('n2', () => 0), fakeTarget('n3', () => 0)];
  await closedLoop({ durationMs: 300, workers: 4 }, rig(spread, 'all').deps);
  t.ok(spread.every((x) => x.calls > 20), `each node got operations: ${spread.map((x) => x.calls)}`);
  const pinned = [fakeTarget('n1', () => 0), fakeTarget('n2', () => 0)];
  await closedLoop({ durationMs: 200, workers: 4 }, rig(pinned, 'one').deps);
  t.ok(pinned[0]!.calls > 0);
  t.equal(pinned[1]!.calls, 0);
});

/** Checks Jepsen's process rules on a history: one op at a time per process, none after info. */
function processViolations(history: Op[]): string[] {
  const busy = new Set<unknown>();
  const retired = new Set<unknown>();
  const problems: string[] = [];
  for (const o of history) {
    if (o.type === 'invoke') {
      if (busy.has(o.process)) problems.push(`process ${o.process} invoked while busy (index ${o.index})`);
      if (retired.has(o.process)) problems.push(`process ${o.process} invoked after info (index ${o.index})`);
      busy.add(o.process);
    } else {
      busy.delete(o.process);
      if (o.type === 'info') retired.add(o.process);
    }
  }
  return problems;
}

t.test('processes follow Jepsen\'s rules across closed and open loops sharing one set of ids', async (t) => {
  // One answer in seven is indeterminate; the rest are ok.
  let n = 0;
  const target = fakeTarget('n1', () => n++ % 3);
  const flaky = { ...target, transfer: async () => (++n % 7 === 0 ? { type: 'info' as const, error: 'timeout' } : { type: 'ok' as const }) };
  const { deps, ops } = rig([flaky]);
  await closedLoop({ durationMs: 300, workers: 16 }, deps);
  await openLoop({ durationMs: 300, rate: 500, maxInFlight: 100 }, deps);
  await closedLoop({ durationMs: 300, workers: 8 }, deps);
  const history = ops();
  t.ok(history.filter((o) => o.type === 'info').length > 10, 'some operations ended indeterminate');
  t.same(processViolations(history).slice(0, 5), [], 'no process runs two ops at once or invokes after info');
});

t.test('a process that ends indeterminate never invokes again', async (t) => {
  const target = fakeTarget('n1', () => 1, { type: 'info', error: 'timeout' });
  const { deps, ops } = rig([target]);
  await closedLoop({ durationMs: 200, workers: 3 }, deps);
  const invokesByProcess = new Map<unknown, number>();
  for (const o of ops()) if (o.type === 'invoke') invokesByProcess.set(o.process, (invokesByProcess.get(o.process) ?? 0) + 1);
  t.ok(invokesByProcess.size > 3);
  t.ok([...invokesByProcess.values()].every((n) => n === 1), 'each process invoked exactly once');
});

t.test('a Ctrl-C (abort) stops sending; what is in flight completes', async (t) => {
  const target = fakeTarget('n1', () => 50);
  const { deps, ops } = rig([target]);
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 200);
  const t0 = Date.now();
  await openLoop({ durationMs: 10_000, rate: 100, maxInFlight: 100 }, { ...deps, signal: stop.signal });
  t.ok(Date.now() - t0 < 1000, 'returned soon after the abort');
  const history = ops();
  t.equal(history.filter((o) => o.type === 'invoke').length, history.filter((o) => o.type !== 'invoke').length);
});
