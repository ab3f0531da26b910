// Coordinated omission, demonstrated: the same cell twice against one embedded PostgreSQL node —
// a fixed arrival rate with a 2-second SIGSTOP of the database in the middle — once with bankrun's
// open loop (latency from each operation's intended start) and once with a closed loop that
// measures from the actual send, as most load tools do. A closed loop stops sending while the
// database stalls, so only its few operations in flight carry the stall; the open loop keeps
// every operation that was due, and its p99 shows the pause.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCell, type CellPlan } from '../../lib/cells.ts';
import { target } from '../../lib/faults/targets.ts';
import { HistoryWriter } from '../../lib/history/writer.ts';
import type { Op } from '../../lib/history/op.ts';
import { newHistogram, percentilePoints, quantiles, recordUs } from '../../lib/metrics/hdr.ts';
import { DISTRIBUTION_PERCENTILES, type PercentilePoint, type Quantiles } from '../../lib/metrics/summary.ts';
import { DEFAULTS, type Params } from '../../lib/params.ts';
import { SeededRandom } from '../../lib/random.ts';
import type { FaultRecord } from '../../lib/report/model.ts';
import { renderSvg, svgToPng } from '../../lib/report/render-svg.ts';
import { embeddedPostgres } from '../../lib/runtime/embedded.ts';
import { defaultValues } from '../../lib/settings.ts';
import { ADMIN_PROCESS, setupAccounts } from '../../lib/workload/admin.ts';
import { initialBalances } from '../../lib/workload/bank.ts';
import { ProcessIds } from '../../lib/workload/executor.ts';
import { OpGenerator } from '../../lib/workload/generator.ts';
import { omissionSpec } from './omission-chart.ts';
import type { BenchOptions, BenchSection } from './section.ts';

export interface OmissionOptions {
  /** Length of each of the two cells. */
  durationMs: number;
  /** Open loop: transfers per second. */
  rate: number;
  /** Closed loop: workers, each waiting for its answer before it sends again. */
  workers: number;
  /** SIGSTOP of the database, centred in the cell. */
  pauseMs: number;
  log: (line: string) => void;
}

/** One cell's figures: latency over the whole cell and over the operations of the pause window. */
export interface LoopFigures {
  /** Every transfer of the cell, whatever its outcome. */
  cell: Quantiles;
  /** Transfers due (open loop) or sent (closed loop) while the database was paused. */
  window: Quantiles;
  /** The pause from every process verified stopped to the heal, in ms from the cell's start. */
  pause: { fromMs: number; toMs: number };
  transfersPerSecond: number;
  /** The cell's latency distribution, for the percentile plot. */
  distribution: PercentilePoint[];
}

export interface OmissionResult {
  open: LoopFigures;
  closed: LoopFigures;
  options: Omit<OmissionOptions, 'log'>;
}

/** Both cells on one embedded PostgreSQL node; torn down afterwards, whatever happens. */
export async function measureOmission(o: OmissionOptions): Promise<OmissionResult> {
  const params: Params = { ...DEFAULTS, seed: 1, accounts: 100, balance: 100_000, reads: 0, durationMs: o.durationMs, rate: o.rate, workers: o.workers };
  const scratchDir = await mkdtemp(join(tmpdir(), 'bankrun-bench-omission-'));
  const runtime = embeddedPostgres();
  const cluster = await runtime.start({ params, settings: defaultValues(runtime.settings ?? []), scratchDir, resultsDir: scratchDir, runId: 'omission', log: () => undefined })
    .catch(async (err: unknown) => {
      await rm(scratchDir, { recursive: true, force: true });
      throw err;
    });
  const history = new HistoryWriter(join(scratchDir, 'history.jsonl'));
  try {
    await setupAccounts(history, cluster.api[0]!, initialBalances({ accounts: params.accounts, initialBalance: params.balance }));
    const ctx = {
      params,
      cluster,
      history,
      gen: new OpGenerator({ seed: params.seed, accounts: params.accounts, maxAmount: params.maxAmount, readShare: 0 }),
      random: { routing: new SeededRandom(params.seed, 'routing'), nemesis: new SeededRandom(params.seed, 'nemesis') },
      processes: new ProcessIds(ADMIN_PROCESS + 1),
      signal: new AbortController().signal,
      log: o.log,
    };
    const pause = { kind: 'pause' as const, target: target.node(1), atMs: (o.durationMs - o.pauseMs) / 2, forMs: o.pauseMs };
    const plan = (loop: 'open' | 'closed'): CellPlan => ({
      name: `${loop} loop`, loop, rate: o.rate, workers: o.workers, routing: 'one', durationMs: o.durationMs, faults: [pause], settings: {},
    });
    const figures = async (loop: 'open' | 'closed'): Promise<LoopFigures> => {
      const ops = new TransferTimes();
      history.subscribe((op) => ops.see(op));
      const cell = await runCell(plan(loop), ctx);
      ops.stop();
      const applied = pauseOf(cell.faults);
      const fromNs = cell.startNs + applied.fromMs * 1e6;
      const toNs = cell.startNs + applied.toMs * 1e6;
      return {
        cell: cell.metrics.allTransfers,
        window: ops.window(fromNs, toNs),
        pause: applied,
        transfersPerSecond: cell.metrics.allTransfers.count / (cell.metrics.durationMs / 1000),
        distribution: ops.distribution(),
      };
    };
    const open = await figures('open');
    const closed = await figures('closed');
    return { open, closed, options: { durationMs: o.durationMs, rate: o.rate, workers: o.workers, pauseMs: o.pauseMs } };
  } finally {
    history.close();
    await cluster.close();
    await rm(scratchDir, { recursive: true, force: true });
  }
}

function pauseOf(faults: FaultRecord[]): { fromMs: number; toMs: number } {
  const f = faults[0];
  if (!f || f.status !== 'applied' || !f.verified || f.verifiedAtMs === undefined || f.healedAtMs === undefined) {
    throw new Error(`the pause of the database was not applied, verified and healed (${f?.status ?? 'no fault'}: ${f?.detail ?? ''}); the measurement would show no stall`);
  }
  // From the moment every process was seen stopped: before it, some backends still answered.
  return { fromMs: f.verifiedAtMs, toMs: f.healedAtMs };
}

/**
 * Each transfer's start — when it was due (open loop) or sent (closed loop) — and its latency from
 * that start, from the history as it is written. Only between construction and stop().
 */
class TransferTimes {
  private readonly open = new Map<number, number>();
  private readonly done: { startNs: number; latencyUs: number }[] = [];
  private listening = true;

  see(op: Op): void {
    if (!this.listening || op.f !== 'transfer' || typeof op.process !== 'number') return;
    if (op.type === 'invoke') {
      this.open.set(op.process, op.intended ?? op.time);
      return;
    }
    const startNs = this.open.get(op.process);
    if (startNs === undefined) return;
    this.open.delete(op.process);
    this.done.push({ startNs, latencyUs: (op.time - startNs) / 1000 });
  }

  stop(): void {
    this.listening = false;
  }

  distribution(): PercentilePoint[] {
    const h = newHistogram();
    for (const d of this.done) recordUs(h, d.latencyUs);
    return percentilePoints(h, DISTRIBUTION_PERCENTILES);
  }

  window(fromNs: number, toNs: number): Quantiles {
    const h = newHistogram();
    for (const d of this.done) if (d.startNs >= fromNs && d.startNs < toNs) recordUs(h, d.latencyUs);
    return quantiles(h);
  }
}

/** The chart as SVG (for bench.md) and PNG beside it; returns the file name without extension. */
async function writeChart(dir: string, r: OmissionResult): Promise<string> {
  const name = 'coordinated-omission';
  const svg = await renderSvg(omissionSpec([
    { name: `open loop ${r.options.rate}/s, from intended start (bankrun)`, colour: '#e15759', points: r.open.distribution },
    { name: `closed loop ${r.options.workers} workers, from the send`, colour: '#4e79a7', points: r.closed.distribution },
  ], `Transfer latency distribution over each ${r.options.durationMs / 1000}-s cell, PostgreSQL stopped (SIGSTOP) for ${r.options.pauseMs / 1000} s in the middle`));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.svg`), svg);
  await writeFile(join(dir, `${name}.png`), await svgToPng(svg));
  return name;
}

export async function run(opts: BenchOptions): Promise<BenchSection> {
  const o = { durationMs: opts.quick ? 8_000 : 10_000, rate: DEFAULTS.rate, workers: DEFAULTS.workers, pauseMs: 2_000 };
  opts.log(`coordinated omission: ${o.durationMs / 1000}-s cells with a ${o.pauseMs / 1000}-s SIGSTOP of PostgreSQL in the middle, open loop ${o.rate}/s, then closed loop ${o.workers} workers`);
  const r = await measureOmission({ ...o, log: (line) => opts.log(`  ${line}`) });
  const s = (us: number) => (us / 1e6).toFixed(3);
  const row = (name: string, from: string, f: LoopFigures) =>
    `| ${name} | ${from} | ${f.transfersPerSecond.toFixed(0)} | ${f.cell.count} | ${s(f.cell.p50Us)} | ${s(f.cell.p99Us)} | ${s(f.cell.maxUs)} | ` +
    `${f.window.count} | ${f.window.count ? s(f.window.p99Us) : '—'} |`;
  const chart = await writeChart(opts.outDir, r);
  const met = r.open.window.p99Us >= 1e6 && r.open.cell.p99Us >= 1e6 && r.open.cell.p99Us > r.closed.cell.p99Us;
  const markdown = [
    `One embedded PostgreSQL node and its API node; two cells of ${o.durationMs / 1000} s, each with a ${o.pauseMs / 1000}-s pause ` +
      `(SIGSTOP of every PostgreSQL process) in the middle, transfers only, timeout ${DEFAULTS.timeoutMs / 1000} s. ` +
      `bankrun's open loop sends ${o.rate} transfers/s whatever happens and measures from each transfer's intended start; ` +
      `the closed loop (${o.workers} workers) measures from the moment each transfer is sent, as most load tools do. ` +
      'The pause window runs from the moment every PostgreSQL process was seen stopped to the heal; its transfers are those ' +
      'due (open loop) or sent (closed loop) in it.',
    '',
    '| loop | latency from | transfers/s | transfers | p50 s | p99 s | max s | transfers in the pause window | their p99 s |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('open (bankrun default)', 'intended start', r.open),
    row('closed', 'actual send', r.closed),
    '',
    `![latency distribution of the open and the closed loop](${chart}.svg)`,
    '',
    `The open loop reports a p99 of ${s(r.open.cell.p99Us)} s for the cell and ${s(r.open.window.p99Us)} s for the transfers due ` +
      `during the pause: the stall in full. The closed loop reports ${s(r.closed.cell.p99Us)} s: its ${o.workers} workers sent ` +
      `${r.closed.window.count} transfers in the pause window, which then waited for the database, and nothing more until it ` +
      `ended, so the stall is ${r.closed.window.count} samples among ${r.closed.cell.count} (its max, ${s(r.closed.cell.maxUs)} s, ` +
      'is the only trace). ' +
      `Target: the open loop's p99 over the pause ≥ 1 s and above the closed loop's — ${met ? 'met' : 'missed'}.`,
  ].join('\n');
  return {
    title: 'Coordinated omission, demonstrated',
    markdown,
    figures: {
      openCellP99Ms: Math.round(r.open.cell.p99Us / 1000),
      openPauseWindowP99Ms: Math.round(r.open.window.p99Us / 1000),
      closedCellP99Ms: Math.round(r.closed.cell.p99Us / 1000),
      closedSentDuringPause: r.closed.window.count,
    },
    targetMet: met,
  };
}
