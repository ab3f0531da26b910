// The harness's own ceiling: the open-loop driver through one API node (a process of its own on
// loopback), first into the in-memory reference store, then into one embedded PostgreSQL. For
// each, the highest arrival rate of transfers sustained with p99 under 10 ms — found by doubling,
// then bisecting — and the CPU the tester and the API node spend per operation.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCell, type CellPlan } from '../../lib/cells.ts';
import { checkFile } from '../../lib/check/check-file.ts';
import { HistoryWriter } from '../../lib/history/writer.ts';
import type { CellMetrics } from '../../lib/metrics/summary.ts';
import { DEFAULTS, type Params } from '../../lib/params.ts';
import { SeededRandom } from '../../lib/random.ts';
import type { Runtime } from '../../lib/runtime/cluster.ts';
import { embeddedMemory, embeddedPostgres } from '../../lib/runtime/embedded.ts';
import { defaultValues } from '../../lib/settings.ts';
import { ADMIN_PROCESS, healthyThenAudit, setupAccounts } from '../../lib/workload/admin.ts';
import { initialBalances } from '../../lib/workload/bank.ts';
import { ProcessIds } from '../../lib/workload/executor.ts';
import { OpGenerator } from '../../lib/workload/generator.ts';
import { childrenCpuUs } from './process-cpu.ts';
import type { BenchOptions, BenchSection } from './section.ts';

const TARGET_RATE = 10_000;
const P99_TARGET_US = 10_000;
/** Connections from the tester to the API node: enough for 10,000/s at a few ms each; a burst waits for one. */
const CONNECTIONS = 64;
const BISECTIONS = 3;

interface Store {
  runtime: Runtime;
  /** The first rate tried; the search doubles from here, or halves. */
  startRate: number;
}

interface Step {
  rate: number;
  metrics: CellMetrics;
  /** Operations the step sent (due ones minus dropped ones). */
  ops: number;
  testerCpuUsPerOp: number;
  /** The API node and, for PostgreSQL, the database: every process the tester started. */
  nodeCpuUsPerOp: number;
  /** Every op sent has its invoke and its completion in the history. */
  historyComplete: boolean;
  passed: boolean;
}

interface StoreResult {
  name: string;
  steps: Step[];
  best: Step | undefined;
  verdict: string;
}

export async function run(opts: BenchOptions): Promise<BenchSection> {
  const stepMs = opts.quick ? 1000 : 4000;
  const params: Params = { ...DEFAULTS, seed: 1, accounts: 1000, balance: 1_000_000_000, reads: 0, durationMs: stepMs };
  const stores: Store[] = [
    { runtime: embeddedMemory({ connections: CONNECTIONS }), startRate: 2000 },
    { runtime: embeddedPostgres({ connections: CONNECTIONS }), startRate: opts.quick ? 500 : 250 },
  ];
  const loadBefore = loadavg()[0]!;
  const results: StoreResult[] = [];
  for (const store of stores) {
    opts.log(`${store.runtime.name}: open loop through one API node, ${stepMs / 1000} s per step, pass when p99 < ${P99_TARGET_US / 1000} ms`);
    results.push(await searchCeiling(store, params, stepMs, opts));
  }
  return section(results, { stepMs, params, loadBefore, loadAfter: loadavg()[0]!, quick: opts.quick });
}

async function searchCeiling(store: Store, params: Params, stepMs: number, opts: BenchOptions): Promise<StoreResult> {
  const scratchDir = await mkdtemp(join(tmpdir(), 'bankrun-bench-harness-'));
  const history = new HistoryWriter(join(scratchDir, 'history.jsonl'));
  const log = (line: string): void => opts.log(`  ${line}`);
  const cluster = await store.runtime.start({ params, settings: defaultValues(store.runtime.settings ?? []), scratchDir, resultsDir: scratchDir, runId: 'bench', log });
  try {
    await setupAccounts(history, cluster.api[0]!, initialBalances({ accounts: params.accounts, initialBalance: params.balance }));
    const gen = new OpGenerator({ seed: params.seed, accounts: params.accounts, maxAmount: params.maxAmount, readShare: params.reads });
    const processes = new ProcessIds(ADMIN_PROCESS + 1);
    const random = { routing: new SeededRandom(params.seed, 'routing'), nemesis: new SeededRandom(params.seed, 'nemesis') };
    const measure = async (rate: number): Promise<Step> => {
      const plan: CellPlan = { name: `${rate}/s`, loop: 'open', rate, workers: 0, routing: 'one', durationMs: stepMs, faults: [], settings: {} };
      const linesBefore = history.length;
      const testerBefore = process.cpuUsage();
      const nodesBefore = childrenCpuUs();
      const cell = await runCell(plan, { params, cluster, history, gen, random, processes, signal: new AbortController().signal, log });
      const tester = process.cpuUsage(testerBefore);
      const nodesUs = childrenCpuUs() - nodesBefore;
      const m = cell.metrics;
      const ops = completed(m);
      const due = Math.floor((stepMs / 1000) * rate);
      const t = m.transfers;
      const step: Step = {
        rate,
        metrics: m,
        ops,
        testerCpuUsPerOp: ops ? (tester.user + tester.system) / ops : 0,
        nodeCpuUsPerOp: ops ? nodesUs / ops : 0,
        historyComplete: history.length - linesBefore === 2 * ops && ops + m.dropped === due,
        passed: m.allTransfers.p99Us < P99_TARGET_US && m.dropped === 0 && t.fail.count === 0 && t.info.count === 0,
      };
      log(`${String(rate).padStart(6)}/s  p50 ${ms(m.allTransfers.p50Us)} ms  p99 ${ms(m.allTransfers.p99Us)} ms  ok ${t.ok.count}  ` +
        `failed ${t.fail.count}  indeterminate ${t.info.count}  dropped ${m.dropped}  CPU µs/op tester ${step.testerCpuUsPerOp.toFixed(0)} ` +
        `API node ${step.nodeCpuUsPerOp.toFixed(0)}  ${step.passed ? 'pass' : 'FAIL'}`);
      return step;
    };
    // The first operations load code and open connections: a step at the start rate, not counted.
    await measure(store.startRate);
    const steps: Step[] = [];
    const best = await search(store.startRate, async (rate) => {
      const step = await measure(rate);
      steps.push(step);
      return step.passed;
    });
    await healthyThenAudit(history, cluster.api);
    history.close();
    const check = await checkFile(history.path);
    return { name: store.runtime.name, steps, best: steps.find((s) => s.passed && s.rate === best), verdict: String(check.valid) };
  } finally {
    history.close();
    await cluster.close();
    await rm(scratchDir, { recursive: true, force: true });
  }
}

/**
 * The highest passing rate: double from `start` while steps pass (halve while they fail), then
 * bisect between the highest pass and the lowest failure. 0 when nothing passed.
 */
export async function search(start: number, passes: (rate: number) => Promise<boolean>): Promise<number> {
  let low = 0;
  let high = 0;
  for (let rate = start; rate >= start / 16 && rate <= start * 64; ) {
    if (await passes(rate)) {
      low = rate;
      if (high) break;
      rate *= 2;
    } else {
      high = rate;
      if (low) break;
      rate = Math.floor(rate / 2);
    }
  }
  const grain = Math.max(25, start / 40);
  for (let i = 0; i < BISECTIONS && high > 0 && low > 0; i++) {
    const mid = Math.round((low + high) / 2 / grain) * grain;
    if (mid <= low || mid >= high) break;
    if (await passes(mid)) low = mid;
    else high = mid;
  }
  return low;
}

function completed(m: CellMetrics): number {
  const t = m.transfers;
  const r = m.reads;
  return t.ok.count + t.insufficient.count + t.fail.count + t.info.count + r.ok.count + r.insufficient.count + r.fail.count + r.info.count;
}

const ms = (us: number): string => (us / 1000).toFixed(2);

interface Setup {
  stepMs: number;
  params: Params;
  loadBefore: number;
  loadAfter: number;
  quick: boolean;
}

function section(results: StoreResult[], s: Setup): BenchSection {
  const memory = results[0]!;
  const best = memory.best;
  const cores = cpus().length;
  const figures: Record<string, number | string> = {};
  for (const r of results) {
    const key = r.name.startsWith('memory') ? 'memory' : 'postgres';
    figures[`${key} ceiling (transfers/s)`] = r.best?.rate ?? 0;
    if (r.best) {
      figures[`${key} p99 at ceiling (ms)`] = Number(ms(r.best.metrics.allTransfers.p99Us));
      figures[`${key} tester CPU (µs/op)`] = Math.round(r.best.testerCpuUsPerOp);
      figures[`${key} API node CPU (µs/op)`] = Math.round(r.best.nodeCpuUsPerOp);
    }
    figures[`${key} history verdict`] = r.verdict;
  }
  const targetMet = (best?.rate ?? 0) >= TARGET_RATE && results.every((r) => r.verdict === 'true' && r.steps.every((st) => st.historyComplete));
  const lines = [
    `Open loop of transfers (no reads) through one API node, a process of its own on loopback, with the tester holding at most ` +
      `${CONNECTIONS} connections to it; ${s.params.accounts} accounts; each step runs ${s.stepMs / 1000} s after a warm-up step that is not counted. ` +
      `A step passes when the p99 of every transfer, measured from its intended start, is under ${P99_TARGET_US / 1000} ms, with nothing ` +
      `dropped, failed or indeterminate. Rates double from the first step, then ${BISECTIONS} bisections. CPU per operation is user + system ` +
      `time: the tester's own, and that of every process it started (the API node; for PostgreSQL also the database). ` +
      `Target: at least ${TARGET_RATE.toLocaleString('en')} transfers/s into the memory store.` +
      (s.quick ? ' **Quick run: steps too short for the target to mean anything.**' : ''),
    [
      '| store | ceiling (transfers/s) | p50 ms | p99 ms | max ms | tester CPU µs/op | API node CPU µs/op | history |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...results.map((r) => r.best
      ? `| ${r.name} | ${r.best.rate} | ${ms(r.best.metrics.allTransfers.p50Us)} | ${ms(r.best.metrics.allTransfers.p99Us)} | ${ms(r.best.metrics.allTransfers.maxUs)} | ${r.best.testerCpuUsPerOp.toFixed(0)} | ${r.best.nodeCpuUsPerOp.toFixed(0)} | ${verdictText(r)} |`
      : `| ${r.name} | none passed | | | | | | ${verdictText(r)} |`),
    ].join('\n'),
    limits(memory, cores, s),
    '<details><summary>Every step</summary>',
    [
      '| store | rate | p50 ms | p99 ms | ok | failed | indeterminate | dropped | tester µs/op | API node µs/op | complete | |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
      ...results.flatMap((r) => r.steps.map((st) => {
        const t = st.metrics.transfers;
        return `| ${r.name} | ${st.rate} | ${ms(st.metrics.allTransfers.p50Us)} | ${ms(st.metrics.allTransfers.p99Us)} | ${t.ok.count} | ${t.fail.count} | ${t.info.count} | ${st.metrics.dropped} | ${st.testerCpuUsPerOp.toFixed(0)} | ${st.nodeCpuUsPerOp.toFixed(0)} | ${st.historyComplete ? 'yes' : '**no**'} | ${st.passed ? 'pass' : 'fail'} |`;
      })),
    ].join('\n'),
    '</details>',
  ];
  return { title: 'Harness ceiling', markdown: lines.filter(Boolean).join('\n\n'), figures, targetMet };
}

function verdictText(r: StoreResult): string {
  const complete = r.steps.every((s) => s.historyComplete);
  return `${r.verdict === 'true' ? 'valid' : `verdict ${r.verdict}`}${complete ? ', every op recorded' : ', **ops missing from the history**'}`;
}

/**
 * What bounds the memory store's ceiling, from the figures: the CPU one operation costs both
 * processes at the highest rate where every operation still succeeded (per-op cost falls as the
 * rate rises, because each wake-up of a process then serves more operations).
 */
function limits(memory: StoreResult, cores: number, s: Setup): string {
  const clean = memory.steps.filter((st) => st.metrics.transfers.fail.count === 0 && st.metrics.transfers.info.count === 0 && st.metrics.dropped === 0);
  const top = clean.reduce<Step | undefined>((a, b) => (a && a.rate >= b.rate ? a : b), undefined);
  if (!top) return '';
  const cpuUsPerOp = top.testerCpuUsPerOp + top.nodeCpuUsPerOp;
  const bound = Math.round((cores * 1e6) / cpuUsPerOp);
  return `What limits it: at ${top.rate}/s one transfer cost the tester ${top.testerCpuUsPerOp.toFixed(0)} µs and the API node ` +
    `${top.nodeCpuUsPerOp.toFixed(0)} µs of CPU (the cost per transfer falls as the rate rises: each wake-up serves more of them); ` +
    `at that cost ${cores} cores, wholly theirs, would carry about ${bound.toLocaleString('en')} transfers/s with no time left to ` +
    `wait in. The p99 target is lost well before that, as both ` +
    `processes queue for the same cores, behind whatever else runs on the machine. Its 1-minute load average was ` +
    `${s.loadBefore.toFixed(1)} before this section and ${s.loadAfter.toFixed(1)} after it (the two processes measured here count in it).`;
}
