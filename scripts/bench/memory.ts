// Memory stays flat: a notebook (scripts/bench/memory-notebook.ts) runs one long open-loop cell at
// 1,000 transfers/s in a process of its own and reports its memory while the load runs; this
// sets that beside the size of the history file it writes. The store is the
// in-memory one behind an API node: the tester's memory does not depend on which database
// answers, and one embedded PostgreSQL on this 2-core machine does not sustain 1,000 transfers/s
// with fsync on, so the run would measure a backlog instead of the tester.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIVE_TRANSFER_RECORDS } from '../../lib/check/bank-checker.ts';
import type { BenchOptions, BenchSection } from './section.ts';

const NOTEBOOK = fileURLToPath(new URL('./memory-notebook.ts', import.meta.url));
const RATE = 1000;
const MiB = 2 ** 20;
/** The live checker holds one record per transfer until its bound: memory grows until then, by design. */
const BOUND_FILLED_S = LIVE_TRANSFER_RECORDS / RATE;

export interface MemorySample {
  /** Seconds since the load started. */
  atS: number;
  rssBytes: number;
  /** What V8 has reserved for the JS heap (part of RSS, however much of it is garbage). */
  heapTotalBytes: number;
  heapUsedBytes: number;
  /** Memory outside the JS heap that JS objects hold (buffers). */
  externalBytes: number;
  historyBytes: number;
}

export interface MemoryRun {
  samples: MemorySample[];
  /** The JS heap still held after a full collection: once warm, and when the load ended. */
  held: { atS: number; heapUsedBytes: number }[];
  /** The notebook's results folder (report, gzipped history). */
  runDir: string;
}

/** Runs the notebook for `durationS`; it reports its memory every `everyS` while the load runs. */
export async function watchNotebook(o: { durationS: number; everyS: number; warmUpS: number; outDir: string; log: (line: string) => void }): Promise<MemoryRun> {
  await mkdir(o.outDir, { recursive: true });
  const args = ['--duration', `${o.durationS}s`, '--rate', String(RATE), '--reads', '0', '--seed', '1', '--routing', 'one', '--out', o.outDir];
  const env = { ...process.env, BANKRUN_MEMORY_SAMPLE_S: String(o.everyS), BANKRUN_MEMORY_WARMUP_S: String(o.warmUpS) };
  const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', NOTEBOOK, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const samples: MemorySample[] = [];
  const held: MemoryRun['held'] = [];
  let runDir = '';
  let stderr = '';
  lines(child.stdout, (line) => {
    const dir = /results in (\S+)/.exec(line);
    if (dir) runDir = dir[1]!;
  });
  lines(child.stderr, (line) => {
    if (!line.startsWith('{')) {
      stderr = (stderr + line + '\n').slice(-4000);
      return;
    }
    const report = JSON.parse(line) as { memory?: Omit<MemorySample, 'historyBytes'>; held?: MemoryRun['held'][number] };
    if (report.held) held.push(report.held);
    // Samples from the load's end on may fall in the audit (a ledger of every transfer) or the
    // final check: those are not the load's memory.
    if (!report.memory || report.memory.atS >= o.durationS) return;
    const s = { ...report.memory, historyBytes: sizeOf(join(runDir, 'history.jsonl')) };
    samples.push(s);
    o.log(`  ${s.atS.toFixed(0).padStart(4)} s  RSS ${mib(s.rssBytes)} MiB  heap used ${mib(s.heapUsedBytes)} MiB  history ${mib(s.historyBytes)} MiB`);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  // 3: the verdict is unknown, which says nothing about memory.
  if (code !== 0 && code !== 3) throw new Error(`the memory notebook exited with ${code}:\n${stderr}`);
  if (samples.length < 3) throw new Error(`the memory notebook reported ${samples.length} memory samples:\n${stderr}`);
  return { samples, held, runDir };
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const all = pending.split('\n');
    pending = all.pop()!;
    all.forEach(onLine);
  });
}

const mib = (b: number) => (b / MiB).toFixed(1);

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Least-squares slope of `value` over time, in MiB per minute. */
export function growthMiBPerMinute(samples: readonly MemorySample[], value: (s: MemorySample) => number): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((sum, p) => sum + p.atS, 0) / n;
  const my = samples.reduce((sum, p) => sum + value(p), 0) / n;
  const sxy = samples.reduce((sum, p) => sum + (p.atS - mx) * (value(p) - my), 0);
  const sxx = samples.reduce((sum, p) => sum + (p.atS - mx) ** 2, 0);
  return sxx === 0 ? 0 : ((sxy / sxx) * 60) / MiB;
}

/**
 * Growth after warm-up that still counts as flat: about 17 bytes per transfer at 1,000/s, a tenth
 * of one checker record (~180 bytes) and less than one pointer plus one number kept per op, so any
 * per-op leak shows; 10 MiB over a 10-minute run.
 */
const FLAT_MIB_PER_MINUTE = 1;

export async function run(opts: BenchOptions): Promise<BenchSection> {
  const durationS = opts.quick ? 60 : 600;
  const everyS = opts.quick ? 5 : 15;
  // Judged once the live checker's bound is full (and the heap has settled after it); a quick run
  // ends before that and only shows the filling.
  const warmUpS = opts.quick ? 15 : BOUND_FILLED_S + 30;
  opts.log(`memory: a notebook at ${RATE} transfers/s for ${durationS} s into the memory store; its memory every ${everyS} s`);
  // The notebook's own results (a history of hundreds of MiB at full length) are not kept with bench.md.
  const notebookOut = await mkdtemp(join(tmpdir(), 'bankrun-bench-memory-'));
  try {
    return section(await watchNotebook({ durationS, everyS, warmUpS, outDir: notebookOut, log: opts.log }), { durationS, everyS, warmUpS });
  } finally {
    await rm(notebookOut, { recursive: true, force: true });
  }
}

function section(r: MemoryRun, { durationS, everyS, warmUpS }: { durationS: number; everyS: number; warmUpS: number }): BenchSection {
  const s = r.samples;
  const afterWarmUp = s.filter((p) => p.atS >= warmUpS);
  const rssGrowth = growthMiBPerMinute(afterWarmUp, (p) => p.rssBytes);
  const reservedGrowth = growthMiBPerMinute(afterWarmUp, (p) => p.heapTotalBytes);
  const externalGrowth = growthMiBPerMinute(afterWarmUp, (p) => p.externalBytes);
  const maxRss = Math.max(...s.map((p) => p.rssBytes));
  const middle = s[Math.floor(s.length / 2)]!;
  const last = s.at(-1)!;
  const minutesAfterWarmUp = (last.atS - warmUpS) / 60;
  const [heldFrom, heldTo] = r.held;
  const heldGrowth = heldFrom && heldTo ? (heldTo.heapUsedBytes - heldFrom.heapUsedBytes) / MiB / ((heldTo.atS - heldFrom.atS) / 60) : undefined;
  const flat = rssGrowth < FLAT_MIB_PER_MINUTE && (heldGrowth ?? 0) < FLAT_MIB_PER_MINUTE;
  const judged = warmUpS >= BOUND_FILLED_S;
  const boundText = `The live checker holds at most ${LIVE_TRANSFER_RECORDS.toLocaleString('en')} transfer records ` +
    `(lib/check/bank-checker.ts), full after ${BOUND_FILLED_S} s at this rate; memory grows until then by design, so growth is judged after it.`;
  const row = (name: string, p: MemorySample) =>
    `| ${name} | ${p.atS.toFixed(0)} | ${mib(p.rssBytes)} | ${mib(p.heapUsedBytes)} | ${mib(p.externalBytes)} | ${mib(p.historyBytes)} |`;
  const heldText = heldGrowth === undefined
    ? 'The heap held after a full collection was not measured (the notebook ran without --expose-gc).'
    : `The JS heap still held after a full collection went from ${mib(heldFrom!.heapUsedBytes)} MiB at ${heldFrom!.atS.toFixed(0)} s ` +
      `to ${mib(heldTo!.heapUsedBytes)} MiB at the end of the load: ${heldGrowth.toFixed(2)} MiB/min, ` +
      `${((heldGrowth * MiB) / 60 / RATE).toFixed(0)} bytes per transfer.`;
  const markdown = [
    `The notebook \`scripts/bench/memory-notebook.ts\` (live checker and progress display included) runs one open-loop cell of ` +
      `${durationS} s at ${RATE} transfers/s (no reads) through one API node into the in-memory store, in a process of its own, ` +
      `and reports its memory (\`process.memoryUsage()\`) every ${everyS} s of load. The memory store, not PostgreSQL: the ` +
      'tester\'s memory does not depend on which database answers, and one embedded PostgreSQL here does not sustain 1,000 ' +
      'transfers/s with fsync on, so the run would measure a backlog instead of the tester.',
    '',
    '| sample | s into the load | RSS MiB | JS heap used MiB | external MiB | history on disk MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('start', s[0]!),
    row('middle', middle),
    row('end', last),
    `| max | | ${mib(maxRss)} | | | |`,
    '',
    `RSS growth after ${warmUpS} s of warm-up: ${rssGrowth.toFixed(2)} MiB/min (least squares over ${afterWarmUp.length} samples), ` +
      `${(rssGrowth * minutesAfterWarmUp).toFixed(0)} MiB over the rest of the load; of its parts, the heap V8 reserved ` +
      `grew ${reservedGrowth.toFixed(2)} MiB/min and the memory outside it that JS objects hold ${externalGrowth.toFixed(2)} MiB/min. ${heldText} The history grew to ` +
      `${mib(last.historyBytes)} MiB on disk (${mib(sizeOf(join(r.runDir, 'history.jsonl.gz')))} MiB gzipped). ` +
      boundText + ' ' +
      (judged
        ? `Target: no growth with run length (RSS and held heap each under ${FLAT_MIB_PER_MINUTE} MiB/min after warm-up) — ${flat ? 'met' : 'missed'}.`
        : `This run ends before the bound is full, so it shows only the filling: the target is judged by the full run (without --quick).`),
    ...(flat || !judged ? [] : [
      '',
      (heldGrowth ?? Infinity) < FLAT_MIB_PER_MINUTE
        ? 'The JS heap held after a full collection is flat, so no JS object accumulates past the live checker\'s bound; ' +
          'what RSS gains lies outside it (the heap V8 reserves, buffers, the allocator), which a heap snapshot does not show.'
        : 'Something in the JS heap grows past the live checker\'s bound: take a heap snapshot of the notebook ' +
          '(node --heapsnapshot-signal) to see what.',
      'RSS follows the size of the heap, which V8 lets fill with garbage between full collections, so its samples swing ' +
        'by MiB: the heap held after a full collection is the figure that shows JS objects accumulating.',
    ]),
  ].join('\n');
  return {
    title: 'Memory over a long run',
    markdown,
    figures: {
      rssStartMiB: Number(mib(s[0]!.rssBytes)),
      rssMiddleMiB: Number(mib(middle.rssBytes)),
      rssEndMiB: Number(mib(last.rssBytes)),
      rssMaxMiB: Number(mib(maxRss)),
      rssGrowthMiBPerMinute: Number(rssGrowth.toFixed(2)),
      heapReservedGrowthMiBPerMinute: Number(reservedGrowth.toFixed(2)),
      externalGrowthMiBPerMinute: Number(externalGrowth.toFixed(2)),
      ...(heldGrowth === undefined ? {} : { heldHeapGrowthMiBPerMinute: Number(heldGrowth.toFixed(2)) }),
      historyMiB: Number(mib(last.historyBytes)),
    },
    ...(judged ? { targetMet: flat } : {}),
  };
}
