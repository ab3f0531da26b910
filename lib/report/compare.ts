// One side-by-side report of several runs of the same cells on different engines: per cell, each
// engine's throughput, tail latency, failures, indeterminate outcomes and verdict, with a link to
// each run's own report.
import { relative } from 'node:path';
import { count, ms, rate, table } from './format.ts';
import { cellVerdict, faultStatus, headline } from './markdown.ts';
import type { RunReport } from './model.ts';

export interface ComparedRun {
  engine: string;
  /** The run's own results folder. */
  dir: string;
  run: RunReport;
}

export function renderComparison(runs: readonly ComparedRun[], fromDir: string, startedAt: Date): string {
  const cells = [...new Set(runs.flatMap((r) => r.run.cells.map((c) => c.name)))];
  const lines = [
    `# bankrun comparison — ${startedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC`,
    '',
    table(['engine', 'database', 'nodes', 'verdict', 'report'], runs.map((r) => [
      r.engine,
      String(r.run.environment.database ?? ''),
      String(r.run.environment.layout ?? r.run.environment.nodes ?? ''),
      headline(r.run.check).split(' — ')[0]!,
      `[report](${relative(fromDir, r.dir)}/report.md)`,
    ])),
    '',
    'Per cell, the same load and fault on each engine. Latency covers every transfer whatever its outcome (a timeout counts at the timeout); failed: certainly not applied; indeterminate: unknown when answered, settled by the audit.',
  ];
  for (const name of cells) {
    lines.push('', `## ${name}`, '');
    const rows = runs.map((r) => {
      const c = r.run.cells.find((x) => x.name === name);
      if (!c) return [r.engine, 'not run', '—', '—', '—', '—', '—', '—'];
      const m = c.metrics;
      // A fault that could not be applied on one engine makes its row no comparison: it says so.
      const fault = c.faults.length === 0 ? 'none' : c.faults.map((f) => `${f.kind} ${f.targets.join(',')}: ${faultStatus(f)}`).join('; ');
      return [r.engine, fault, rate(m.okPerSecond), ms(m.allTransfers.p99Us), ms(m.allTransfers.maxUs), count(m.transfers.fail.count), count(m.transfers.info.count), cellVerdict(c.verdict)];
    });
    lines.push(table(['engine', 'fault', 'ok transfers/s', 'p99 ms', 'max ms', 'failed', 'indeterminate', 'verdict'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l']));
  }
  return `${lines.join('\n')}\n`;
}
