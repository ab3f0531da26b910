// Puts saved runs side by side in one report: npx tsx scripts/compare.ts --help
import process from 'node:process';
import { basename, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { HistoryFormatError } from '../lib/check/parse.ts';
import { writeComparison, type ComparedRun } from '../lib/report/compare.ts';
import { rebuildRun, RebuildError } from '../lib/report/rebuild.ts';
import { makeRunDir } from '../lib/results.ts';

const USAGE = `usage: npx tsx scripts/compare.ts RUN_DIR RUN_DIR... [--out DIR] [--html]

Writes one report that puts saved runs (results/<notebook>/<timestamp>/) side by side: whether any
lost money, which recovered faster from each fault, and per cell each run's throughput, p99,
unavailability, recovery time, indeterminate share and verdict, with the runs' throughput and p99
overlaid on the same axes. Each run is rebuilt from its history, as scripts/report.ts does.

  --out DIR   where compare/<timestamp>/ is written (default: results)
  --html      also write report.html with interactive charts, one file that works offline
  --help      this text

exit status: 0 written, 2 a folder that is not a run (the message says what is missing)
`;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, html: { type: 'boolean' }, help: { type: 'boolean' } } });
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dirs = args.positionals;
  if (dirs.length < 2) return usageError('give the folders of at least two runs');
  const runs: ComparedRun[] = [];
  for (const dir of dirs) {
    try {
      const { run } = await rebuildRun(dir);
      runs.push({ label: '', dir, run });
    } catch (e) {
      if (!(e instanceof RebuildError || e instanceof HistoryFormatError)) throw e;
      console.error(`compare: ${e instanceof RebuildError ? e.message : `${dir}: the history is unusable: ${e.message}`}`);
      return 2;
    }
  }
  labelRuns(runs);
  const startedAt = new Date();
  const out = await makeRunDir(args.values.out ?? 'results', 'compare', startedAt);
  const report = await writeComparison(out, runs, startedAt, { html: Boolean(args.values.html) });
  for (const r of runs) console.log(`${r.label}: ${relative(process.cwd(), r.dir) || r.dir}`);
  console.log(`comparison: ${relative(process.cwd(), report) || report}`);
  return 0;
}

/**
 * A run is named by its notebook (compare-etcd → etcd) and node count where the runs differ in
 * it; runs that still share a name get their folder's timestamp.
 */
function labelRuns(runs: ComparedRun[]): void {
  const nodeCounts = new Set(runs.map((r) => r.run.params.nodes));
  for (const r of runs) {
    const name = r.run.notebook.replace(/^compare-/, '');
    r.label = nodeCounts.size > 1 ? `${name} ×${String(r.run.params.nodes)}` : name;
  }
  const taken = new Map<string, number>();
  for (const r of runs) taken.set(r.label, (taken.get(r.label) ?? 0) + 1);
  for (const r of runs) if (taken.get(r.label)! > 1) r.label = `${r.label} ${basename(r.dir)}`;
}

function usageError(message: string): number {
  console.error(`compare: ${message}\n\n${USAGE}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
