// npm run bench — how fast is bankrun itself? The open-loop driver through one API node, first
// into the in-memory reference store (the harness's own ceiling), then into one embedded
// PostgreSQL. For each, the highest arrival rate sustained with p99 under the target, found by
// doubling then bisecting. Writes results/bench/<UTC timestamp>/bench.md.
//
//   npm run bench [-- --step 5s --p99 10ms --out results]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCell, type CellPlan } from '../lib/cells.ts';
import { checkFile } from '../lib/check/check-file.ts';
import { HistoryWriter } from '../lib/history/writer.ts';
import type { CellMetrics } from '../lib/metrics/summary.ts';
import { DEFAULTS, parseDurationMs, type Params } from '../lib/params.ts';
import { makeRunDir } from '../lib/results.ts';
import type { Runtime } from '../lib/runtime/cluster.ts';
import { embeddedMemory, embeddedPostgres } from '../lib/runtime/embedded.ts';
import { initialBalances } from '../lib/workload/bank.ts';
import { benchChecker } from './bench-checker.ts';
import { ADMIN_PROCESS, healthyThenAudit, setupAccounts } from '../lib/workload/admin.ts';
import { ProcessIds } from '../lib/workload/executor.ts';
import { OpGenerator } from '../lib/workload/generator.ts';
import { defaultValues } from '../lib/settings.ts';
import { SeededRandom } from '../lib/random.ts';

const { values } = parseArgs({
  options: { step: { type: 'string', default: '5s' }, p99: { type: 'string', default: '10ms' }, out: { type: 'string', default: 'results' } },
  strict: true,
});
const stepMs = parseDurationMs(values.step!, 'step');
const p99TargetUs = parseDurationMs(values.p99!, 'p99') * 1000;
const params: Params = { ...DEFAULTS, seed: 1, accounts: 1000, balance: 1_000_000, reads: 0.2, durationMs: stepMs };

interface Step {
  rate: number;
  metrics: CellMetrics;
  cpuUsPerOp: number;
  passed: boolean;
}

async function bench(runtime: Runtime): Promise<{ steps: Step[]; best: Step | undefined; valid: unknown }> {
  const scratchDir = await mkdtemp(join(tmpdir(), 'bankrun-bench-'));
  const history = new HistoryWriter(join(scratchDir, 'history.jsonl'));
  const cluster = await runtime.start({ params, settings: defaultValues(runtime.settings ?? []), scratchDir, resultsDir: scratchDir, runId: 'bench', log: (l) => console.log(`  ${l}`) });
  try {
    await setupAccounts(history, cluster.api[0]!, initialBalances({ accounts: params.accounts, initialBalance: params.balance }));
    const gen = new OpGenerator({ seed: params.seed, accounts: params.accounts, maxAmount: params.maxAmount, readShare: params.reads });
    const processes = new ProcessIds(ADMIN_PROCESS + 1);
    const steps: Step[] = [];
    const measure = async (rate: number): Promise<Step> => {
      const plan: CellPlan = { name: `${rate}/s`, loop: 'open', rate, workers: 0, routing: 'one', durationMs: stepMs, faults: [], settings: {} };
      const cpu0 = process.cpuUsage();
      const random = { routing: new SeededRandom(params.seed, 'routing'), nemesis: new SeededRandom(params.seed, 'nemesis') };
      const cell = await runCell(plan, { params, cluster, history, gen, random, processes, signal: new AbortController().signal, log: console.log });
      const cpu = process.cpuUsage(cpu0);
      const m = cell.metrics;
      const ops = sumCounts(m);
      const passed = m.transfers.ok.p99Us < p99TargetUs && m.dropped === 0 && m.transfers.fail.count === 0 && m.transfers.info.count === 0;
      const step = { rate, metrics: m, cpuUsPerOp: ops ? (cpu.user + cpu.system) / ops : 0, passed };
      console.log(`  ${String(rate).padStart(6)}/s  p99 ${(m.transfers.ok.p99Us / 1000).toFixed(2)} ms  ok ${m.transfers.ok.count}  ` +
        `failed ${m.transfers.fail.count}  indeterminate ${m.transfers.info.count}  dropped ${m.dropped}  ${passed ? 'pass' : 'FAIL'}`);
      steps.push(step);
      return step;
    };
    // From 100/s: double while steps pass (halve while they fail), then bisect three times
    // between the highest pass and the lowest failure.
    let low = 0;
    let high = 0;
    for (let rate = 100; rate >= 25 && rate <= 64_000; ) {
      if ((await measure(rate)).passed) {
        low = rate;
        if (high) break;
        rate *= 2;
      } else {
        high = rate;
        if (low) break;
        rate /= 2;
      }
    }
    for (let i = 0; i < 3 && high > 0 && low > 0; i++) {
      const mid = Math.round((low + high) / 2 / 25) * 25;
      if (mid === low || mid === high) break;
      if ((await measure(mid)).passed) low = mid;
      else high = mid;
    }
    await healthyThenAudit(history, cluster.api);
    history.close();
    const check = await checkFile(history.path);
    return { steps, best: steps.filter((s) => s.passed && s.rate === low)[0], valid: check.valid };
  } finally {
    history.close();
    await cluster.close();
    await rm(scratchDir, { recursive: true, force: true });
  }
}

function sumCounts(m: CellMetrics): number {
  const t = m.transfers;
  const r = m.reads;
  return t.ok.count + t.insufficient.count + t.fail.count + t.info.count + r.ok.count + r.insufficient.count + r.fail.count + r.info.count;
}

const started = new Date();
const results: [string, Awaited<ReturnType<typeof bench>>][] = [];
for (const runtime of [embeddedMemory(), embeddedPostgres()]) {
  console.log(`\n${runtime.name}: open loop through one API node, ${stepMs / 1000} s per step, target p99 < ${p99TargetUs / 1000} ms`);
  results.push([runtime.name, await bench(runtime)]);
}

console.log('\nchecker: a generated 1,000,000-operation history, checked from the file in a process of its own');
const checker = await benchChecker();
console.log(`  ${checker.seconds.toFixed(1)} s, peak RSS ${checker.peakRssMiB.toFixed(0)} MiB, verdict ${checker.valid}`);

const dir = await makeRunDir(values.out!, 'bench', started);
const ms = (us: number) => (us / 1000).toFixed(2);
const lines = [
  `# bankrun bench — ${started.toISOString().replace('T', ' ').replace(/\.\d+Z/, ' UTC')}`,
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}. ` +
    `Open loop through one API node (a separate process on loopback), ${stepMs / 1000} s per step, ${params.accounts} accounts, ` +
    `${params.reads * 100} % reads; a step passes when ok-transfer p99 < ${p99TargetUs / 1000} ms with nothing dropped, failed or indeterminate.`,
  `Re-run: \`npm run bench -- --step ${stepMs / 1000}s --p99 ${p99TargetUs / 1000}ms\``,
  '## Highest sustained rate',
  '| store | rate (ops/s) | p50 ms | p99 ms | max ms | tester CPU µs/op | history checked |',
  '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ...results.map(([name, r]) => r.best
    ? `| ${name} | ${r.best.rate} | ${ms(r.best.metrics.transfers.ok.p50Us)} | ${ms(r.best.metrics.transfers.ok.p99Us)} | ${ms(r.best.metrics.transfers.ok.maxUs)} | ${r.best.cpuUsPerOp.toFixed(0)} | ${r.valid === true ? 'valid' : String(r.valid)} |`
    : `| ${name} | none passed | | | | | ${String(r.valid)} |`),
  '## Checker',
  `A generated history of ${checker.ops.toLocaleString('en')} operations (100 accounts, 20 % reads, 64 processes, one audit) ` +
    `checked from the file: ${checker.seconds.toFixed(1)} s, peak RSS ${checker.peakRssMiB.toFixed(0)} MiB, verdict ${String(checker.valid)}.`,
  '## Every step',
  '| store | rate | p99 ms | ok | insufficient | failed | indeterminate | dropped | CPU µs/op | |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...results.flatMap(([name, r]) => r.steps.map((s) =>
    `| ${name} | ${s.rate} | ${ms(s.metrics.transfers.ok.p99Us)} | ${s.metrics.transfers.ok.count} | ${s.metrics.transfers.insufficient.count} | ${s.metrics.transfers.fail.count} | ${s.metrics.transfers.info.count} | ${s.metrics.dropped} | ${s.cpuUsPerOp.toFixed(0)} | ${s.passed ? 'pass' : 'fail'} |`)),
];
await writeFile(join(dir, 'bench.md'), lines.join('\n\n').replace(/\n\n\|/g, '\n|') + '\n');
console.log(`\nbench: ${join(dir, 'bench.md')}`);
