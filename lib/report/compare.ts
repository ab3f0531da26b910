// One side-by-side report of several runs of the same cells — engines, node counts, settings: at a
// glance which run lost money and which recovered faster; then per cell each run's throughput,
// tail latency, unavailability, recovery time, indeterminate share and verdict, and the runs'
// throughput and p99 overlaid on the same axes. Links lead to each run's own report.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { comparedP99Spec, comparedThroughputSpec, type ComparedCell } from './compare-charts.ts';
import { count, ms, rate, seconds, table } from './format.ts';
import { writeHtmlReport } from './html.ts';
import { cellVerdict, faultStatus, headline } from './markdown.ts';
import type { CellReport, RunReport } from './model.ts';
import { recoveryFigures } from './recovery.ts';
import { uniqueSlugs, writeChart } from './write.ts';

export interface ComparedRun {
  /** How the run is named in tables and legends: the engine, or the notebook and its time. */
  label: string;
  /** The run's own results folder. */
  dir: string;
  run: RunReport;
}

/** Per cell, the overlaid charts' paths relative to the comparison's folder. */
export interface ComparisonCharts {
  cell: string;
  throughput: string;
  p99: string;
}

/** Writes report.md and charts/ (and report.html with `html`) into `dir`; returns report.md's path. */
export async function writeComparison(dir: string, runs: readonly ComparedRun[], startedAt: Date, options: { html?: boolean } = {}): Promise<string> {
  await mkdir(join(dir, 'charts'), { recursive: true });
  const names = cellNames(runs);
  const slugs = uniqueSlugs(names);
  const charts: ComparisonCharts[] = [];
  for (const [i, name] of names.entries()) {
    const cells = comparedCells(runs, name);
    const base = `charts/${slugs[i]}`;
    await writeChart(dir, `${base}-throughput`, comparedThroughputSpec(name, cells));
    await writeChart(dir, `${base}-p99`, comparedP99Spec(name, cells));
    charts.push({ cell: name, throughput: `${base}-throughput.svg`, p99: `${base}-p99.svg` });
  }
  const report = join(dir, 'report.md');
  await writeFile(report, renderComparison(runs, dir, startedAt, charts));
  if (options.html) await writeHtmlReport(dir);
  return report;
}

/** The overlaid charts' specs per cell, for tests and other renderers. */
export function comparisonSpecs(runs: readonly ComparedRun[]): { cell: string; throughput: TopLevelSpec; p99: TopLevelSpec }[] {
  return cellNames(runs).map((name) => {
    const cells = comparedCells(runs, name);
    return { cell: name, throughput: comparedThroughputSpec(name, cells), p99: comparedP99Spec(name, cells) };
  });
}

export function renderComparison(runs: readonly ComparedRun[], fromDir: string, startedAt: Date, charts: readonly ComparisonCharts[] = []): string {
  const names = cellNames(runs);
  const lines = [
    `# bankrun comparison — ${startedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC`,
    '',
    table(['run', 'database', 'nodes', 'verdict', 'report'], runs.map((r) => [
      r.label,
      String(r.run.environment.database ?? ''),
      nodesOf(r.run),
      headline(r.run.check).split(' — ')[0]!,
      `[report](${relative(fromDir, r.dir)}/report.md)`,
    ])),
    '',
    '## At a glance',
    '',
    moneyLine(runs),
    '',
    ...recoveryGlance(runs, names),
  ];
  lines.push('', 'Per cell, the same load and fault on each run. ok transfers/s over the whole cell; p99 of every transfer whatever its outcome (a timeout counts at the timeout); unavailable: the longest stretch around a fault with no transfer answered; recovered: from the heal until ok transfers/s are back to 90 % of the run\'s baseline; indeterminate: share of transfers whose outcome was unknown when answered (the audit settles them).');
  for (const name of names) {
    lines.push('', `## ${name}`, '');
    const rows = runs.map((r) => {
      const c = r.run.cells.find((x) => x.name === name);
      if (!c) return [r.label, nodesOf(r.run), 'not run', '—', '—', '—', '—', '—', '—'];
      const m = c.metrics;
      const recovery = recoveryOf(c);
      return [
        r.label, nodesOf(r.run), faultsText(c), rate(m.okPerSecond), ms(m.allTransfers.p99Us),
        recovery ? seconds(recovery.unavailableMs) : '—',
        recovery ? recoveredText(recovery.recoveredAfterMs) : '—',
        indeterminateShare(c), cellVerdict(c.verdict),
      ];
    });
    lines.push(table(['run', 'nodes', 'fault', 'ok transfers/s', 'p99 ms', 'unavailable', 'recovered after heal', 'indeterminate', 'verdict'], rows, ['l', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'l']));
    const chart = charts.find((c) => c.cell === name);
    if (chart) lines.push('', `![${name}: ok transfers/s per run](${chart.throughput})`, '', `![${name}: p99 latency per run](${chart.p99})`);
  }
  return `${lines.join('\n')}\n`;
}

function cellNames(runs: readonly ComparedRun[]): string[] {
  return [...new Set(runs.flatMap((r) => r.run.cells.map((c) => c.name)))];
}

function comparedCells(runs: readonly ComparedRun[], name: string): ComparedCell[] {
  return runs.flatMap((r) => {
    const cell = r.run.cells.find((c) => c.name === name);
    return cell ? [{ label: r.label, cell }] : [];
  });
}

function nodesOf(run: RunReport): string {
  const n = run.params.nodes;
  return typeof n === 'number' ? String(n) : '—';
}

/** Did any run lose (or create, or overspend) money? The first question, answered first. */
function moneyLine(runs: readonly ComparedRun[]): string {
  const invalid = runs.filter((r) => r.run.check.valid === false);
  const unknown = runs.filter((r) => r.run.check.valid === 'unknown');
  const parts: string[] = [];
  if (invalid.length) parts.push(`❌ ${invalid.map((r) => `**${r.label}**: ${headline(r.run.check).split(' — ')[1] ?? 'invalid'}`).join('; ')}`);
  if (unknown.length) parts.push(`⚠️ not settled (no audit could be made): ${unknown.map((r) => r.label).join(', ')}`);
  if (!invalid.length && !unknown.length) parts.push(`✅ no run created, lost or overspent money; every acknowledged transfer is in its ledger (${runs.length} runs)`);
  else if (!invalid.length) parts.push('✅ no run was caught losing money');
  return `**Money:** ${parts.join(' · ')}`;
}

/**
 * Per cell with a fault, each run's outage and recovery in one cell of a table, the shortest
 * outage in bold: the second question ("which one recovered faster?") without reading the
 * sections. The outage leads because it is comparable whatever the fault: a cluster that serves
 * again while its killed node is still restarting has recovered, though nothing has healed yet.
 */
function recoveryGlance(runs: readonly ComparedRun[], names: string[]): string[] {
  const rows: string[][] = [];
  const nowhere: string[] = [];
  for (const name of names) {
    const cells = runs.map((r) => r.run.cells.find((x) => x.name === name));
    if (cells.every((c) => !c?.faults.length)) continue;
    const recoveries = cells.map((c) => (c ? recoveryOf(c) : null));
    if (recoveries.every((r) => r === null)) {
      nowhere.push(name);
      continue;
    }
    const outages = recoveries.map((r) => r?.unavailableMs ?? Infinity);
    const best = Math.min(...outages);
    // Bold only where there is a race: two runs or more that took the fault, one of them down shortest.
    const fastest = outages.filter(Number.isFinite).length > 1 && outages.filter((t) => t === best).length === 1 ? outages.indexOf(best) : -1;
    rows.push([name, ...cells.map((c, i) => {
      const r = recoveries[i];
      if (!c) return 'not run';
      if (!r) return `not applied (${[...new Set(c.faults.map((f) => f.status))].join(', ')})`;
      const back = r.healedAfterCell ? 'healed after the cell ended'
        : r.recoveredAfterMs === null ? 'not 90 % back within the cell' : `90 % back ${seconds(r.recoveredAfterMs)} after heal`;
      // Gaps shorter than the recorder's 100 ms are not outages: 0 means none.
      const text = `${r.unavailableMs > 0 ? `down ${seconds(r.unavailableMs)}` : 'never down'} · ${back}`;
      return i === fastest ? `**${text}**` : text;
    })]);
  }
  const lines: string[] = [];
  if (rows.length) {
    lines.push(
      '**Recovery** after each fault · down: the longest stretch with no transfer answered (the shortest in bold) · 90 % back: time from the heal until ok transfers/s are back to 90 % of the run\'s baseline:',
      '',
      table(['cell', ...runs.map((r) => r.label)], rows),
    );
  }
  if (nowhere.length) lines.push(...(lines.length ? [''] : []), `No run could take the fault of ${nowhere.map((n) => `*${n}*`).join(', ')}: not compared.`);
  return lines.length ? lines : ['**Recovery:** no cell had a fault.'];
}

interface CellRecovery {
  unavailableMs: number;
  /** The slowest of the cell's faults; null when one did not recover within the cell. */
  recoveredAfterMs: number | null;
  /** A fault healed only after the load ended (a slow restart): there was no "after heal" to measure. */
  healedAfterCell: boolean;
}

/** The worst over the cell's applied faults; null when none was applied (nothing to compare). */
function recoveryOf(c: CellReport): CellRecovery | null {
  const applied = recoveryFigures(c).filter((f) => f.applied);
  if (!applied.length) return null;
  const recovered = applied.map((f) => f.recoveredAfterMs);
  return {
    unavailableMs: Math.max(...applied.map((f) => f.unavailableMs)),
    recoveredAfterMs: recovered.some((r) => r === null) ? null : Math.max(...(recovered as number[])),
    healedAfterCell: c.faults.some((f) => f.status === 'applied' && (f.healedAtMs ?? Infinity) >= c.metrics.durationMs),
  };
}

function recoveredText(afterMs: number | null): string {
  return afterMs === null ? 'not within the cell' : seconds(afterMs);
}

/** A fault one run could not take makes its row no comparison: the row says so. */
function faultsText(c: CellReport): string {
  return c.faults.length === 0 ? 'none' : c.faults.map((f) => `${f.kind} ${f.targets.join(',')}: ${faultStatus(f)}`).join('; ');
}

function indeterminateShare(c: CellReport): string {
  const t = c.metrics.transfers;
  const total = t.ok.count + t.insufficient.count + t.fail.count + t.info.count;
  if (!total) return '—';
  const share = (100 * t.info.count) / total;
  return `${share === 0 ? '0' : share < 0.1 ? '<0.1' : share.toFixed(1)} % (${count(t.info.count)})`;
}
