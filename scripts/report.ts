// Rebuilds a run's report from its saved history and parameters: npx tsx scripts/report.ts --help
import process from 'node:process';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { HistoryFormatError } from '../lib/check/parse.ts';
import { headline } from '../lib/report/markdown.ts';
import { RebuildError, rerender } from '../lib/report/rebuild.ts';

const USAGE = `usage: npx tsx scripts/report.ts RUN_DIR... [--html]

Rebuilds the report of each run folder (results/<notebook>/<timestamp>/) from what the run saved:
the history is checked again, every cell's figures are recomputed from its operations, the faults
come from schedule.json. report.md and charts/ are written again in place.

  --html   also write report.html: the report with interactive charts, one file that works offline
  --help   this text

exit status: 0 rebuilt, 2 a folder that is not a run (the message says what is missing)
`;

function main(argv: string[]): Promise<number> | number {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { html: { type: 'boolean' }, help: { type: 'boolean' } } });
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.positionals.length === 0) return usageError('give the folder of at least one run');
  return rebuildAll(args.positionals, Boolean(args.values.html));
}

async function rebuildAll(dirs: string[], html: boolean): Promise<number> {
  for (const dir of dirs) {
    try {
      const { run, gaps } = await rerender(dir, { html });
      console.log(`${relative(process.cwd(), dir) || dir}: ${headline(run.check).split('\n')[0]}`);
      for (const gap of gaps) console.log(`  not saved by this run, so: ${gap}`);
      console.log(`  report: ${relative(process.cwd(), `${dir}/report.${html ? 'html' : 'md'}`)}`);
    } catch (e) {
      if (!(e instanceof RebuildError || e instanceof HistoryFormatError)) throw e;
      console.error(`report: ${e instanceof RebuildError ? e.message : `${dir}: the history is unusable: ${e.message}`}`);
      return 2;
    }
  }
  return 0;
}

function usageError(message: string): number {
  console.error(`report: ${message}\n\n${USAGE}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
