// Regenerates results/README.md, the index of every saved run: npx tsx scripts/index-results.ts --help
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { HistoryFormatError } from '../lib/check/parse.ts';
import { HISTORY_FILES, rebuildRun, RebuildError } from '../lib/report/rebuild.ts';
import { renderResultsIndex, type IndexedComparison, type IndexedRun } from '../lib/report/results-index.ts';

const USAGE = `usage: npx tsx scripts/index-results.ts [--results DIR]

Writes DIR/README.md (default: results/README.md): every run folder DIR/<notebook>/<timestamp>/
with a report and a history, newest first, with its headline figures read from its saved files
(the history is checked again), and every comparison (a report without a history).
`;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { results: { type: 'string' }, help: { type: 'boolean' } } });
  } catch (e) {
    console.error(`index-results: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const root = args.values.results ?? 'results';
  if (!existsSync(root)) {
    console.error(`index-results: ${root} does not exist: give the results folder with --results DIR`);
    return 2;
  }
  const runs: IndexedRun[] = [];
  const comparisons: IndexedComparison[] = [];
  for (const dir of await reportFolders(root)) {
    const path = relative(root, dir);
    if (!HISTORY_FILES.some((f) => existsSync(join(dir, f)))) {
      const title = /^# (.+)$/m.exec(await readFile(join(dir, 'report.md'), 'utf8'))?.[1] ?? path;
      comparisons.push({ path, title });
      continue;
    }
    try {
      runs.push({ path, run: (await rebuildRun(dir)).run });
    } catch (e) {
      if (!(e instanceof RebuildError || e instanceof HistoryFormatError)) throw e;
      // One broken folder must not hide the others: said, and left out.
      console.error(`index-results: ${dir} left out: ${e.message}`);
    }
  }
  const index = join(root, 'README.md');
  await writeFile(index, renderResultsIndex(runs, comparisons));
  console.log(`${index}: ${runs.length} run(s), ${comparisons.length} comparison(s)`);
  return 0;
}

/** root/<notebook>/<timestamp>/ folders that hold a report.md. */
async function reportFolders(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const notebook of await subfolders(root)) {
    for (const run of await subfolders(join(root, notebook))) {
      const dir = join(root, notebook, run);
      if (existsSync(join(dir, 'report.md'))) found.push(dir);
    }
  }
  return found;
}

async function subfolders(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

process.exitCode = await main(process.argv.slice(2));
