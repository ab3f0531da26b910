// results/README.md: one line per saved run with its headline figures — notebook, date, database
// and nodes, verdict, steady throughput and p99, the worst unavailability — and the comparisons,
// so a reader finds the run worth opening without opening each.
import { ms, rate, seconds, table } from './format.ts';
import { headline } from './markdown.ts';
import type { CellReport, RunReport } from './model.ts';
import { recoveryFigures } from './recovery.ts';

export interface IndexedRun {
  /** The run's folder relative to the index: quickstart/2026-11-25T231521Z. */
  path: string;
  run: RunReport;
}

export interface IndexedComparison {
  path: string;
  /** The first line of its report.md, without the '# '. */
  title: string;
}

export function renderResultsIndex(runs: readonly IndexedRun[], comparisons: readonly IndexedComparison[]): string {
  const newestFirst = [...runs].sort((a, b) => b.run.startedAt.localeCompare(a.run.startedAt) || a.path.localeCompare(b.path));
  const lines = [
    '# Results',
    '',
    'Every run saved here, newest first, with its headline figures; each links to its report. Steady: the cell without faults named `steady` (else the first without faults), ok transfers/s and p99 of every transfer. Worst unavailability: the longest stretch with no transfer answered around any fault of the run. Regenerate after adding a run: `npx tsx scripts/index-results.ts`.',
    '',
  ];
  if (newestFirst.length === 0) lines.push('_No runs yet._');
  else {
    lines.push(table(
      ['notebook', 'date (UTC)', 'database', 'nodes', 'verdict', 'steady ok transfers/s', 'steady p99 ms', 'worst unavailability'],
      newestFirst.map(({ path, run }) => {
        const steady = steadyCell(run);
        return [
          `[${run.notebook}](${path}/report.md)`,
          run.startedAt.slice(0, 16).replace('T', ' '),
          String(run.environment.database ?? '—'),
          typeof run.params.nodes === 'number' ? String(run.params.nodes) : '—',
          headline(run.check).split(' — ')[0]!,
          steady ? rate(steady.metrics.okPerSecond) : '—',
          steady ? ms(steady.metrics.allTransfers.p99Us) : '—',
          worstUnavailability(run),
        ];
      }),
      ['l', 'l', 'l', 'r', 'l', 'r', 'r', 'l'],
    ));
  }
  if (comparisons.length) {
    lines.push('', '## Comparisons', '', ...[...comparisons].sort((a, b) => b.path.localeCompare(a.path)).map((c) => `- [${c.title}](${c.path}/report.md)`));
  }
  return `${lines.join('\n')}\n`;
}

function steadyCell(run: RunReport): CellReport | undefined {
  const calm = run.cells.filter((c) => c.faults.length === 0);
  return calm.find((c) => c.name === 'steady') ?? calm[0];
}

/** "5.1 s (kill -9 n1 and restart)", or "none" when no applied fault stopped the answers, "—" without faults. */
function worstUnavailability(run: RunReport): string {
  let worst: { ms: number; cell: string } | null = null;
  let anyApplied = false;
  for (const c of run.cells) {
    for (const f of recoveryFigures(c)) {
      if (!f.applied) continue;
      anyApplied = true;
      if (f.unavailableMs > 0 && (!worst || f.unavailableMs > worst.ms)) worst = { ms: f.unavailableMs, cell: c.name };
    }
  }
  if (!anyApplied) return '— (no fault applied)';
  return worst ? `${seconds(worst.ms)} (${worst.cell})` : 'none';
}
