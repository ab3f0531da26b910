// The same cells on several engines, one engine after another (one cluster at a time fits a
// laptop), then one side-by-side report in results/compare/<timestamp>/report.md beside each
// engine's own run. Default: the engines that run without a registry (their images are built
// from Debian packages): etcd, galera, postgres-replicas.
//
//   npx tsx notebooks/compare.ts --duration 20s
//   npx tsx notebooks/compare.ts --engines cockroach,yugabyte,foundationdb,ydb --nodes 3
//
// Every other flag is the notebooks' own (--help), given to every engine alike.
import { randomInt } from 'node:crypto';
import { relative } from 'node:path';
import { notebook, standardCells } from '../lib/notebook.ts';
import { writeComparison, type ComparedRun } from '../lib/report/compare.ts';
import { takeFlag } from '../lib/params.ts';
import { makeRunDir } from '../lib/results.ts';
import { ENGINES, engineNamed } from '../lib/runtime/engines.ts';

const DEFAULT_ENGINES = Object.entries(ENGINES).filter(([, e]) => e.docker && e.runsWithoutRegistry).map(([name]) => name);

const { engines, rest: given } = takeEngines(process.argv.slice(2));
// One seed for every engine: the same operations, and the same fault targets at the same node count.
const rest = given.some((a) => a === '--seed' || a.startsWith('--seed=')) ? given : [...given, '--seed', String(randomInt(2 ** 31 - 1))];
const startedAt = new Date();
const runs: ComparedRun[] = [];
let worstExit = 0;
for (const name of engines) {
  const entry = engineNamed(name);
  process.exitCode = 0;
  const nb = await notebook(`compare-${name}`, { argv: rest, defaults: { nodes: entry.nodes, rate: 50 } });
  await nb.up(entry.runtime());
  // The engines' notebooks run these first too: the same cells under the same names.
  for (const c of standardCells()) await nb.run(c);
  if (nb.dryRun) {
    // --dry-run: every engine is checked; the comparison needs real runs.
    if (!(await nb.finishDryRun()).ready) worstExit = 1;
    continue;
  }
  const { dir, run } = await nb.report();
  runs.push({ label: name, dir, run });
  worstExit = Math.max(worstExit, Number(process.exitCode ?? 0));
  if (process.exitCode === 130) break; // Ctrl-C: no next engine
}
if (rest.includes('--dry-run')) process.exit(worstExit);
const out = takeFlag(rest, 'out').values.at(-1) ?? 'results';
const dir = await makeRunDir(out, 'compare', startedAt);
const report = await writeComparison(dir, runs, startedAt);
console.log(`\ncomparison: ${relative(process.cwd(), report) || report}`);
// The worst of the runs: one invalid engine makes the comparison exit 1.
process.exitCode = worstExit;

/** `--engines a,b` (checked against the known names) out of argv; the rest goes to each notebook. */
function takeEngines(argv: string[]): { engines: string[]; rest: string[] } {
  let taken;
  try {
    taken = takeFlag(argv, 'engines');
  } catch (err) {
    console.error(`compare: ${(err as Error).message}`);
    process.exit(2);
  }
  const { values, rest } = taken;
  if (values.length === 0) return { engines: DEFAULT_ENGINES, rest };
  const value = values.join(',');
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !ENGINES[n]);
  if (names.length === 0 || unknown.length > 0) {
    console.error(`compare: --engines ${value}: ${unknown.length ? `unknown ${unknown.join(', ')}; ` : ''}name one or more of ${Object.keys(ENGINES).join(', ')}`);
    process.exit(2);
  }
  return { engines: names, rest };
}
