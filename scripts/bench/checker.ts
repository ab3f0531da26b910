// The checker's own benchmark: a generated history of 1,000,000 operations (transfers and reads
// across 64 processes, one audit at the end) checked end to end from the file, in a process of its
// own so its peak memory is the checker's. Targets: under 20 s and under 1 GiB.
//
//   npx tsx scripts/bench/checker.ts [--ops 1000000]   (also part of npm run bench)
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import { SeededRandom } from '../../lib/random.ts';
import type { BenchOptions, BenchSection } from './section.ts';

const OPS = 1_000_000;
const QUICK_OPS = 100_000;
const TARGET_SECONDS = 20;
const TARGET_RSS_MIB = 1024;

export interface CheckerBench {
  ops: number;
  seconds: number;
  peakRssMiB: number;
  valid: unknown;
}

/** Writes a valid history of about `ops` operations; transfers never overdraw, the audit matches. */
async function writeHistory(path: string, ops: number): Promise<void> {
  const out = createWriteStream(path);
  const random = new SeededRandom(1);
  const accounts = 100;
  const balances = Array.from({ length: accounts }, () => 1_000_000);
  const initial = Object.fromEntries(balances.map((b, i) => [`a${i}`, b]));
  let index = 0;
  let time = 0;
  const line = (o: object): boolean => out.write(JSON.stringify({ index: index++, time: (time += 1000), ...o }) + '\n');
  line({ type: 'invoke', f: 'setup', process: 0, node: 'n1', value: { balances: initial } });
  line({ type: 'ok', f: 'setup', process: 0, node: 'n1', value: { balances: initial } });
  const ledger: string[] = [];
  for (let n = 0; index < ops - 2; n++) {
    const process = 1 + (n % 64);
    if (random.float() < 0.2) {
      line({ type: 'invoke', f: 'read', process, node: 'n1', value: null });
      line({ type: 'ok', f: 'read', process, node: 'n1', value: { balances: Object.fromEntries(balances.map((b, i) => [`a${i}`, b])) } });
      continue;
    }
    const from = random.int(accounts);
    const to = (from + 1 + random.int(accounts - 1)) % accounts;
    const value = { id: `t${n}`, from: `a${from}`, to: `a${to}`, amount: 1 + random.int(10) };
    line({ type: 'invoke', f: 'transfer', process, node: 'n1', value });
    balances[from]! -= value.amount;
    balances[to]! += value.amount;
    ledger.push(value.id);
    if (!line({ type: 'ok', f: 'transfer', process, node: 'n1', value })) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  line({ type: 'invoke', f: 'audit', process: 0, node: 'n1', value: null });
  line({ type: 'ok', f: 'audit', process: 0, node: 'n1', value: { balances: Object.fromEntries(balances.map((b, i) => [`a${i}`, b])), transfers: ledger } });
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

const MEASURE = `
import { checkFile } from ${JSON.stringify(fileURLToPath(new URL('../../lib/check/check-file.ts', import.meta.url)))};
const t0 = process.hrtime.bigint();
const r = await checkFile(process.argv[1]);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, valid: r.valid, ops: r.ops }));
`;

export async function benchChecker(ops = OPS): Promise<CheckerBench> {
  const dir = await mkdtemp(join(tmpdir(), 'bankrun-bench-checker-'));
  try {
    const path = join(dir, 'history.jsonl');
    await writeHistory(path, ops);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', MEASURE, path], { maxBuffer: 1 << 20 });
    return JSON.parse(stdout) as CheckerBench;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(opts: BenchOptions): Promise<BenchSection> {
  const ops = opts.quick ? QUICK_OPS : OPS;
  opts.log(`checker: a generated ${ops.toLocaleString('en')}-operation history, checked from the file in a process of its own`);
  const r = await benchChecker(ops);
  opts.log(`  ${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB, verdict ${String(r.valid)}`);
  const met = r.seconds < TARGET_SECONDS && r.peakRssMiB < TARGET_RSS_MIB && r.valid === true;
  const markdown = [
    `A generated, valid history of ${r.ops.toLocaleString('en')} operations (100 accounts, 20 % reads, 64 processes, one audit at the end) ` +
      `checked end to end from the file (parse, per-read invariants, ledger reconciliation) in a Node.js process of its own, so its peak RSS ` +
      `is the checker's. Targets: under ${TARGET_SECONDS} s and under ${TARGET_RSS_MIB / 1024} GiB.` +
      (opts.quick ? ` **Quick run: ${QUICK_OPS.toLocaleString('en')} operations, not the target's ${OPS.toLocaleString('en')}.**` : ''),
    [
      '| operations | time s | peak RSS MiB | verdict |',
      '| ---: | ---: | ---: | --- |',
      `| ${r.ops.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${r.peakRssMiB.toFixed(0)} | ${String(r.valid)} |`,
    ].join('\n'),
  ].join('\n\n');
  return {
    title: 'Checker throughput',
    markdown,
    figures: { operations: r.ops, seconds: Number(r.seconds.toFixed(2)), 'peak RSS (MiB)': Math.round(r.peakRssMiB), verdict: String(r.valid) },
    targetMet: met,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { ops: { type: 'string', default: '1000000' } }, strict: true });
  const r = await benchChecker(Number(values.ops));
  console.log(`checker: ${r.ops.toLocaleString('en')} ops in ${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB, verdict ${r.valid}`);
}
