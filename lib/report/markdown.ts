// The report as Markdown for GitHub: a pure function of the run and the charts' relative paths.
import { brokenReadPromises, readPromiseTable } from './read-promise.ts';
import { ANOMALY_CLASSES } from '../check/verdict.ts';
import type { Anomaly, AnomalyClass, AnomalyExample, CheckResult, SegmentVerdict, Validity } from '../check/verdict.ts';
import { MIN_GAP_MS, OUTCOMES } from '../metrics/summary.ts';
import type { Outcome, Quantiles } from '../metrics/summary.ts';
import { cell as mdCell, count, ms, plural, rate, seconds, table } from './format.ts';
import type { CellReport, FaultRecord, RunReport } from './model.ts';
import { recoveryFigures } from './recovery.ts';

export interface CellCharts {
  cell: string;
  /** Paths relative to report.md. */
  throughput: string;
  latency: string;
  /** HDR percentile plot by outcome. */
  distribution?: string;
  /** Ok transfers/s per API node; absent for data without the node. */
  nodes?: string;
  /** Outcome shares per second. */
  mix?: string;
}

export interface MarkdownOptions {
  /** Run-level chart (ok transfers/s per cell), relative to report.md. */
  summaryChart?: string;
}

/** Files that sit beside report.md in every results folder. */
export const RUN_FILES = { history: 'history.jsonl.gz', params: 'params.json', schedule: 'schedule.json' } as const;

const CLASS_NAMES: Record<AnomalyClass, [string, string, string]> = {
  // [singular, plural, what it means]
  'wrong-total': ['read with the wrong total', 'reads with the wrong total', 'an ok read whose balances do not sum to the initial total'],
  negative: ['negative balance', 'negative balances', 'an ok read or the audit shows a negative balance (overspending)'],
  'unexpected-key': ['read with unknown accounts', 'reads with unknown accounts', 'a read shows accounts that were never set up'],
  'missing-key': ['read with missing accounts', 'reads with missing accounts', 'a read lacks accounts that were set up'],
  lost: ['lost transfer', 'lost transfers', 'an ok transfer whose id is not in the audit ledger'],
  'failed-but-applied': ['failed transfer that was applied', 'failed transfers that were applied', 'a failed transfer whose id is in the audit ledger'],
  phantom: ['phantom ledger entry', 'phantom ledger entries', 'a ledger id that no transfer ever invoked'],
  'double-apply': ['transfer applied twice', 'transfers applied twice', 'a ledger id present more than once'],
  'ledger-mismatch': ['ledger mismatch', 'ledger mismatches', 'final balances differ from the initial balances plus the ledger'],
};

const OUTCOME_NAMES: Record<Outcome, string> = { ok: 'ok', insufficient: 'insufficient funds', fail: 'failed', info: 'indeterminate' };

export function renderMarkdown(run: RunReport, charts: CellCharts[], options: MarkdownOptions = {}): string {
  const parts = [
    header(run),
    environment(run),
    summary(run, options),
    ...run.cells.map((c, i) => cellSection(c, i, charts.find((ch) => ch.cell === c.name))),
    anomalies(run),
    realtimeReads(run),
    howToRead(run),
  ];
  return parts.join('\n\n') + '\n';
}

// ---- header and verdict

function header(run: RunReport): string {
  const broken = brokenReadPromises(run.cells);
  return [
    `# ${run.notebook} — ${utc(run.startedAt)}`,
    `**${headline(run.check)}**`,
    ...(broken.length ? [`❌ **Fresh reads were promised and stale reads served** in ${broken.map((c) => `"${c.name}"`).join(', ')} (see Realtime reads).`] : []),
  ].join('\n\n');
}

/** The one line a reader looks at first. */
export function headline(check: CheckResult): string {
  if (check.valid === true) return `✅ valid — no money created, lost or overspent${staleNote(check)}`;
  if (check.valid === false) return `❌ invalid — ${anomalyList(countsOf(check)) || 'the checker found anomalies'}`;
  return `⚠️ unknown — ${check.reason ?? 'no audit settled the transfers'}`;
}

function countsOf(check: CheckResult): Partial<Record<AnomalyClass, number>> {
  return Object.fromEntries(Object.entries(check.anomalies).map(([k, a]) => [k, a.count]));
}

/** "3 lost transfers, 1 read with the wrong total", in the checker's class order. */
function anomalyList(counts: Partial<Record<AnomalyClass, number>>): string {
  return ANOMALY_CLASSES.filter((k) => (counts[k] ?? 0) > 0)
    .map((k) => plural(counts[k]!, CLASS_NAMES[k][0], CLASS_NAMES[k][1]))
    .join(', ');
}

function validityMark(valid: Validity): string {
  return valid === true ? '✅' : valid === false ? '❌' : '⚠️';
}

export function cellVerdict(v: SegmentVerdict): string {
  if (v.valid === true) return '✅ valid';
  if (v.valid === false) return `❌ ${anomalyList(v.anomalies) || 'invalid'}`;
  return '⚠️ unknown';
}

/** "2025-11-25T18:50:12.345Z" → "2025-11-25 18:50:12 UTC". */
function utc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

// ---- environment

function environment(run: RunReport): string {
  const env = Object.entries(run.environment).map(([k, v]) => `- **${k}:** ${mdCell(v)}`);
  return [
    '## Environment',
    env.length ? env.join('\n') : '_No environment recorded._',
    'Re-run this exact run (seed, durations, rates and versions are in ' + link(RUN_FILES.params) + '):',
    '```sh\n' + run.command + '\n```',
  ].join('\n\n');
}

// ---- summary table

function summary(run: RunReport, options: MarkdownOptions): string {
  const rows = run.cells.map((c, i) => summaryRow(c, i));
  const head = ['cell', 'ok transfers/s', 'p50', 'p99', 'p99.9', 'max', 'ok', 'insufficient', 'failed', 'indeterminate', 'indeterminate applied / not', 'retries', 'dropped', 'stale reads', 'verdict'];
  const align: ('l' | 'r')[] = ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'];
  const out = [
    '## Summary',
    'Latency: every transfer whatever its outcome, in ms from its intended start (open loop) or its send ' +
      '(closed loop); one that timed out counts at the timeout, a lower bound. ok / insufficient / failed / indeterminate: ' +
      'transfer counts (insufficient: refused for lack of funds, a correct answer; failed: certainly not applied, ' +
      'e.g. the database was unreachable); applied / not: what the audit found for the indeterminate ones; ' +
      'stale reads: of the reads checked (see Realtime reads), those that missed an acknowledged transfer.',
    table(head, rows, align),
  ];
  if (options.summaryChart) out.push(image(`ok transfers/s per cell`, options.summaryChart));
  return out.join('\n\n');
}

function summaryRow(c: CellReport, i: number): string[] {
  const q = c.metrics.allTransfers;
  const v = c.verdict;
  const lat = (us: number) => (q.count ? ms(us) : '—');
  return [
    `[${c.name.replace(/[[\]]/g, '')}](#${cellAnchor(c, i)})`,
    rate(c.metrics.okPerSecond),
    lat(q.p50Us),
    lat(q.p99Us),
    lat(q.p999Us),
    lat(q.maxUs),
    count(v.transfers.ok),
    count(c.metrics.transfers.insufficient.count),
    count(v.transfers.fail - c.metrics.transfers.insufficient.count),
    count(v.transfers.info),
    indeterminate(v),
    count(c.metrics.retries),
    count(c.metrics.dropped),
    v.realtime?.checked ? `${count(v.realtime.stale)} / ${count(v.realtime.checked)}` : '—',
    cellVerdict(v),
  ];
}

function indeterminate(v: SegmentVerdict): string {
  const r = v.indeterminate;
  if (r.total === 0) return '—';
  const base = `${count(r.applied)} / ${count(r.notApplied)}`;
  return r.unresolved ? `${base} (${count(r.unresolved)} unresolved)` : base;
}

// ---- one section per cell

function cellHeading(c: CellReport, i: number): string {
  return `Cell ${i + 1}: ${c.name}`;
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens. */
export function githubAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function cellAnchor(c: CellReport, i: number): string {
  return githubAnchor(cellHeading(c, i));
}

function cellSection(c: CellReport, i: number, charts: CellCharts | undefined): string {
  const out = [`## ${cellHeading(c, i)}`, settingsLine(c), faultsTable(c.faults)];
  const recovery = recoveryTable(c);
  if (recovery) out.push(recovery);
  if (charts) out.push(image(`${c.name}: throughput`, charts.throughput), image(`${c.name}: latency`, charts.latency));
  if (charts?.nodes) out.push(image(`${c.name}: ok transfers per API node`, charts.nodes));
  if (charts?.mix) out.push(image(`${c.name}: outcome mix`, charts.mix));
  out.push(latencyTable(c));
  if (charts?.distribution) out.push(image(`${c.name}: latency distribution`, charts.distribution));
  const retries = retriesLine(c);
  if (retries) out.push(retries);
  return out.join('\n\n');
}

function settingsLine(c: CellReport): string {
  const settings = Object.entries(c.settings).map(([k, v]) => `${k} ${v}`);
  settings.push(`load ran ${seconds(c.metrics.durationMs)}`);
  return `**Settings:** ${settings.join(' · ')} — verdict ${cellVerdict(c.verdict)}`;
}

function faultsTable(faults: FaultRecord[]): string {
  if (!faults.length) return '_No faults in this cell: steady state._';
  const rows = faults.map((f) => [
    f.kind,
    f.targets.join(', ') || '—',
    seconds(f.plannedAtMs),
    seconds(f.plannedForMs),
    f.status === 'applied' && f.appliedAtMs !== undefined ? seconds(f.appliedAtMs) : '—',
    f.status === 'applied' && f.healedAtMs !== undefined ? seconds(f.healedAtMs) : '—',
    faultStatus(f),
    f.detail ?? '',
  ]);
  return table(['fault', 'target', 'planned at', 'planned for', 'applied at', 'healed at', 'status', 'detail'], rows);
}

/** The recovery figures of each fault (lib/report/recovery.ts); how they are defined is under How to read. */
function recoveryTable(c: CellReport): string | undefined {
  const figures = recoveryFigures(c);
  if (!figures.length) return undefined;
  const after = (msValue: number | null, none: string) => (msValue === null ? none : seconds(msValue));
  const p99 = (us: number | null) => (us === null ? '—' : ms(us));
  const rows = figures.map((f) => [
    f.applied ? f.fault : `${f.fault} (not applied)`,
    rate(f.baselineOkPerS),
    after(f.dropAfterMs, 'no drop'),
    f.unavailableMs > 0 ? seconds(f.unavailableMs) : `< ${seconds(MIN_GAP_MS)}`,
    after(f.recoveredAfterMs, 'not in the cell'),
    count(f.errorBurst),
    p99(f.p99InsideUs),
    p99(f.p99OutsideUs),
  ]);
  const head = ['fault', 'baseline ok/s', 'halved after', 'longest without an answer', 'back to 90 % after heal', 'failed + indeterminate', 'p99 inside (ms)', 'p99 outside (ms)'];
  return ['Recovery (see How to read this report for the definitions):', table(head, rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'])].join('\n\n');
}

/** Never shows a fault that did not happen as applied. */
export function faultStatus(f: FaultRecord): string {
  if (f.status === 'unsupported') return '⚪ **unsupported** (not applied)';
  if (f.status === 'failed') return '⚠️ **failed** (not applied)';
  if (f.appliedAtMs === undefined) return 'applied, time not recorded';
  return f.verified ? 'applied, verified' : 'applied, **not verified**';
}

/** The distribution of conflict retries per transfer, as the adapters reported them. */
function retriesLine(c: CellReport): string | undefined {
  const dist = Object.entries(c.metrics.retriesPerTransfer ?? {});
  if (dist.length === 0) return undefined;
  const reported = dist.reduce((s, [, n]) => s + n, 0);
  const parts = dist.map(([retries, n]) => `${retries} × ${count(n)}`);
  return `Retries per transfer (conflicts the adapter retried; ${plural(reported, 'transfer')} reported a count): ${parts.join(' · ')}`;
}

function latencyTable(c: CellReport): string {
  const rows = [
    ...quantileRows('transfer', c.metrics.transfers),
    ...quantileRows('read', c.metrics.reads),
  ];
  if (!rows.length) return '_No operations completed in this cell._';
  const head = ['operation', 'outcome', 'count', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max'];
  return ['Latency by outcome (ms, from intended start):', table(head, rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'])].join('\n\n');
}

function quantileRows(op: string, byOutcome: Record<Outcome, Quantiles>): string[][] {
  return OUTCOMES.filter((o) => byOutcome[o].count > 0).map((o) => {
    const q = byOutcome[o];
    return [op, OUTCOME_NAMES[o], count(q.count), ms(q.meanUs), ms(q.p50Us), ms(q.p90Us), ms(q.p99Us), ms(q.p999Us), ms(q.maxUs)];
  });
}

// ---- anomalies

/** Stale reads are not a money anomaly, but a reader of the headline must not miss them. */
function staleNote(check: CheckResult): string {
  const stale = check.realtime?.stale ?? 0;
  return stale > 0 ? ` · ⚠️ ${stale} stale read(s): reads that missed a transfer acknowledged before them (see Realtime reads)` : '';
}

/** Strict serializability, beside the money verdict: lib/check/realtime.ts. */
function realtimeReads(run: RunReport): string {
  const r = run.check.realtime;
  const out = ['## Realtime reads'];
  out.push('A read must not miss a transfer acknowledged before the read was invoked. That is strict ' +
    'serializability: some engines and settings promise it (etcd\'s linearizable reads, a single ' +
    'serializable primary), others do not (serializable or stale reads served locally, replicas), so it ' +
    'is reported here, not among the money anomalies. Per cell, the table sets what the engine promises under that cell\'s settings and routing beside what was measured: a stale read where fresh reads were promised is a broken promise.');
  if (!r || r.checked === 0) {
    out.push(r?.unchecked ? `Not checked: the adapter reports no account versions (${plural(r.unchecked, 'read')}).` : 'No reads to check.');
    out.push(readPromiseTable(run.cells));
    return out.join('\n\n');
  }
  const unchecked = r.unchecked ? ` (${plural(r.unchecked, 'more read')} carried no versions and ${r.unchecked === 1 ? 'was' : 'were'} not checked)` : '';
  out.push(`Checked ${plural(r.checked, 'read')} against every transfer acknowledged before each${unchecked}: ` +
    (r.stale === 0 ? '**no stale read**.' : `**${plural(r.stale, 'stale read')}**.`));
  if (r.first) out.push(`First: index ${r.first.index} on ${r.first.node ?? '?'} — ${r.first.detail}`);
  if (r.worst && r.worst.index !== r.first?.index) out.push(`Worst: index ${r.worst.index} on ${r.worst.node ?? '?'} — ${r.worst.detail}`);
  out.push(readPromiseTable(run.cells));
  return out.join('\n\n');
}

function anomalies(run: RunReport): string {
  const check = run.check;
  const found = ANOMALY_CLASSES.filter((k) => check.anomalies[k]);
  const out = ['## Anomalies'];
  if (!found.length) {
    out.push(noAnomalies(check));
  } else {
    for (const k of found) out.push(anomalySection(run, k));
  }
  out.push(indeterminateLine(check));
  return out.join('\n\n');
}

function noAnomalies(check: CheckResult): string {
  const lead =
    check.valid === 'unknown'
      ? `No anomalies found, but the verdict is unknown: ${check.reason ?? 'no audit settled the transfers'}.`
      : 'No anomalies.';
  const checked = ANOMALY_CLASSES.map((k) => `\`${k}\``).join(', ');
  return [
    lead,
    `Checked ${count(check.ops)} history entries — ${plural(sum(check.transfers), 'transfer')}, ${plural(sum(check.reads), 'read')}, ${plural(check.audits, 'audit')}` +
      (check.initialTotal !== null ? `, initial total ${count(check.initialTotal)}` : '') +
      ` — for ${checked}.`,
  ].join(' ');
}

function anomalySection(run: RunReport, k: AnomalyClass): string {
  const a = run.check.anomalies[k]!;
  const rows = examples(a).map(([which, e]) => [which, String(e.index), ...whereInRun(run, e.time), e.node ?? '—', e.detail]);
  return [
    `### ${validityMark(false)} \`${k}\` — ${plural(a.count, CLASS_NAMES[k][0], CLASS_NAMES[k][1])}`,
    `${capitalise(CLASS_NAMES[k][2])}.`,
    table(['example', 'history index', 'cell', 'at (cell time)', 'node', 'detail'], rows, ['l', 'r', 'l', 'r', 'l', 'l']),
  ].join('\n\n');
}

/** First, worst and last, each once: "first (also worst)" rather than the same row twice. */
function examples(a: Anomaly): [string, AnomalyExample][] {
  const out: [string[], AnomalyExample][] = [];
  for (const [which, e] of [['first', a.first], ['worst', a.worst], ['last', a.last]] as const) {
    const same = out.find(([, seen]) => seen.index === e.index);
    if (same) same[0].push(which);
    else out.push([[which], e]);
  }
  return out.map(([names, e]) => [names.length > 1 ? `${names[0]} (also ${names.slice(1).join(', ')})` : names[0]!, e]);
}

function indeterminateLine(check: CheckResult): string {
  const r = check.indeterminate;
  if (r.total === 0) return 'No transfer ended indeterminate.';
  const unresolved = r.unresolved ? `, ${count(r.unresolved)} unresolved (no audit after them)` : '';
  return `${plural(r.total, 'transfer')} ended indeterminate; the final audit shows ${count(r.applied)} applied and ${count(r.notApplied)} not applied${unresolved}.`;
}

/** The cell an anomaly happened in and when, on the same clock as the cell's charts. */
function whereInRun(run: RunReport, timeNs: number): [string, string] {
  const c = run.cells.find((c) => timeNs >= c.startNs && timeNs < c.endNs);
  if (!c) return ['outside the cells', `run ${seconds(timeNs / 1e6)}`];
  return [c.name, seconds((timeNs - c.startNs) / 1e6)];
}

// ---- how to read

const OPEN_LOOP =
  'In an **open loop** operations arrive at a fixed rate whatever the database does; latency is ' +
  'measured from each operation\'s intended start, so a stalled database shows up as latency instead of ' +
  'being hidden by a client that waited. `dropped` counts operations not sent because the in-flight cap ' +
  'was reached.';
const CLOSED_LOOP =
  'In a **closed loop** each worker sends its next operation when the last one is answered; latency is ' +
  'measured from the send, so a stall shows up only in the few operations caught in it, and as lower ' +
  'throughput.';

const RECOVERY_DEFINITIONS =
  '**Recovery figures** per fault, over its window from applied to healed (the shaded band). **Baseline**: the ' +
  'median ok transfers/s of the whole seconds before the fault that no fault touches. **Halved after**: from the ' +
  'fault\'s start to the first 100 ms that, like the second from it, ran below half the baseline. **Back to 90 % ' +
  'after heal**: from the heal to the first 100 ms that, like the second from it, ran at 90 % of the baseline or ' +
  'more (the dashed rule on the throughput chart). **Longest without an answer**: the longest stretch in which no ' +
  'transfer was answered ok or refused for lack of funds, overlapping the fault or its recovery (the bracket). ' +
  '**Failed + indeterminate**: the transfers due from the fault\'s start to the recovery that ended so. **p99 ' +
  'inside / outside**: over the transfers due in the seconds the fault overlaps / in the baseline\'s seconds, ' +
  'merged exactly from per-second histograms.';

function howToRead(run: RunReport): string {
  const loops = new Set(run.cells.map((c) => String(c.settings.loop)));
  return [
    '## How to read this report',
    [...(loops.has('open') ? [OPEN_LOOP] : []), ...(loops.has('closed') ? [CLOSED_LOOP] : [])].join(' '),
    'An **indeterminate** transfer may or may not have been applied (a timeout, a connection lost during ' +
      'commit); it is never counted as failed. The audit after each cell says which of them were in its ' +
      'ledger then: one still in flight inside the database could commit later, and a later audit would ' +
      'show it. Shaded bands in the charts are faults from the moment they were applied to the moment they ' +
      'were healed; hatched grey bands were planned but not applied.',
    ...(run.cells.some((c) => c.faults.length) ? [RECOVERY_DEFINITIONS] : []),
    `Files: ${link(RUN_FILES.history)} (every operation and fault event), ${link(RUN_FILES.params)} ` +
      `(everything needed to re-run), ${link(RUN_FILES.schedule)} (faults as planned and as applied), ` +
      '`charts/` (SVG, PNG and the Vega-Lite specs).',
  ].join('\n\n');
}

// ---- small helpers

function link(path: string): string {
  return `[${path}](${path})`;
}

function image(alt: string, path: string): string {
  return `![${alt.replace(/[[\]]/g, '')}](${encodeURI(path)})`;
}

function sum(c: { ok: number; fail: number; info: number }): number {
  return c.ok + c.fail + c.info;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
