// A run's report rebuilt from what its folder saved — history, params.json, schedule.json — so a
// report can be regenerated after the renderer improves. The verdict comes from checking the
// history again; every cell's figures from replaying its operations through the same recorder
// the live run used, so the same history gives the same counts and quantiles.
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { checkFile, historyLines } from '../check/check-file.ts';
import type { Segment, SegmentVerdict } from '../check/verdict.ts';
import type { Op } from '../history/op.ts';
import { CellRecorder } from '../metrics/cell-recorder.ts';
import type { Outcome } from '../metrics/summary.ts';
import { ADMIN_PROCESS } from '../workload/admin.ts';
import type { CellReport, FaultRecord, RunReport } from './model.ts';
import { writeReport, type WriteOptions } from './write.ts';

/**
 * Per cell, what the history does not hold; the notebook saves it in params.json. Every field of
 * the cell's report except those rebuilt (metrics, verdict) or saved elsewhere (faults: schedule.json),
 * so a field added to CellReport is kept without a change here.
 */
export type SavedCellRecord = Omit<CellReport, 'metrics' | 'verdict' | 'faults'> & {
  /** Open loop: operations not sent because too many were in flight. */
  dropped: number;
  /** The history keeps a transfer's retries only when there were some; these are the ones with none. */
  transfersWithoutRetry: number;
};

export function savedCellRecord(c: Omit<CellReport, 'verdict'>): SavedCellRecord {
  const { metrics, faults: _faults, ...kept } = c;
  return { ...kept, dropped: metrics.dropped, transfersWithoutRetry: metrics.retriesPerTransfer?.['0'] ?? 0 };
}

/** The parts of params.json a rebuild reads; runs saved before cellRecords lack it. */
interface SavedParams {
  notebook: string;
  startedAt?: string;
  command: string;
  params: Record<string, unknown> & { timeoutMs?: number; reads?: number };
  settings?: Record<string, string>;
  cells?: { name: string; loop: string; rate: number; workers: number; routing: string; durationMs: number; settings?: Record<string, string> }[];
  segments: Segment[];
  environment: Record<string, string | number>;
  cellRecords?: SavedCellRecord[];
}

interface SavedSchedule {
  cell: string;
  faults: FaultRecord[];
}

export class RebuildError extends Error {}

export interface RebuiltRun {
  run: RunReport;
  /** What could not be recovered exactly from this folder, in words (also in the report's Environment). */
  gaps: string[];
}

export const HISTORY_FILES = ['history.jsonl.gz', 'history.jsonl'] as const;

export function historyPathIn(dir: string): string {
  if (!existsSync(dir)) throw new RebuildError(`${dir} does not exist: give the folder of one run (results/<notebook>/<timestamp>/)`);
  const found = HISTORY_FILES.map((f) => join(dir, f)).find((p) => existsSync(p));
  if (!found) {
    throw new RebuildError(`${dir} has no ${HISTORY_FILES.join(' or ')}: give the folder of one run, as a notebook writes it (results/<notebook>/<timestamp>/)`);
  }
  return found;
}

/** Reads a run's folder and rebuilds its RunReport; throws RebuildError saying what is missing. */
export async function rebuildRun(dir: string): Promise<RebuiltRun> {
  const historyPath = historyPathIn(dir);
  const saved = await readJson<SavedParams>(join(dir, 'params.json'), 'params.json (the run\'s parameters and its cells\' history segments)');
  if (!Array.isArray(saved.segments)) throw new RebuildError(`${join(dir, 'params.json')} has no "segments": it was not written by a bankrun notebook`);
  const schedule = existsSync(join(dir, 'schedule.json')) ? await readJson<SavedSchedule[]>(join(dir, 'schedule.json'), 'schedule.json') : [];
  const check = await checkFile(historyPath, { segments: saved.segments });
  const replayed = await replayCells(historyPath, saved.segments, saved.cellRecords);
  const gaps: string[] = [];
  if (!saved.cellRecords) {
    gaps.push('cell start and end taken from each cell\'s first and last operation',
      'dropped operations shown as 0',
      'retries per transfer left out (transfers without a retry are not in the history)',
      'cell settings as planned (engine settings by their keys, API node count unknown)');
  }
  if (!existsSync(join(dir, 'schedule.json'))) gaps.push('faults (no schedule.json): not shown');
  const cells: CellReport[] = replayed.map((r, i) => {
    const { dropped: _dropped, transfersWithoutRetry: _none, ...record } = saved.cellRecords?.find((c) => c.name === r.name) ?? { dropped: 0, transfersWithoutRetry: 0 };
    return {
      ...record,
      name: r.name,
      settings: 'settings' in record ? record.settings : settingsFromPlan(saved, r.name),
      startNs: r.startNs,
      endNs: r.endNs,
      faults: schedule.find((s) => s.cell === r.name)?.faults ?? schedule[i]?.faults ?? [],
      metrics: r.metrics,
      verdict: check.segments?.[r.name] ?? noVerdict(),
    };
  });
  const startedAt = saved.startedAt ?? startedAtFromFolder(dir);
  const when = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC from the saved history`;
  const rebuilt = gaps.length ? `${when}; this run did not save everything, so: ${gaps.join('; ')}` : when;
  return {
    run: {
      notebook: saved.notebook,
      startedAt,
      command: saved.command,
      params: saved.params,
      environment: { ...saved.environment, 're-rendered': rebuilt },
      cells,
      check,
    },
    gaps,
  };
}

interface ReplayedCell {
  name: string;
  startNs: number;
  endNs: number;
  metrics: CellReport['metrics'];
}

/**
 * Feeds each cell's load operations to a CellRecorder as the executor did: latency from `intended`
 * (open loop) or the invoke, an insufficient-funds failure as its own outcome, retries as reported.
 * Admin operations (setup, audits) and fault events are not load and are skipped, as live.
 */
async function replayCells(historyPath: string, segments: Segment[], records: SavedCellRecord[] | undefined): Promise<ReplayedCell[]> {
  const cells = segments.map((s, i) => {
    const record = records?.find((r) => r.name === s.name);
    return {
      segment: s, toIndex: segments[i + 1]?.fromIndex ?? Infinity, record,
      ops: [] as { invoke: Op; done: Op }[], firstNs: Infinity, lastNs: -Infinity, retries: 0,
    };
  });
  const open = new Map<number, Op>();
  let current = -1;
  for await (const line of await historyLines(historyPath)) {
    if (line.trim() === '') continue;
    const op = JSON.parse(line) as Op;
    if (op.process === 'nemesis' || op.process === ADMIN_PROCESS || (op.f !== 'transfer' && op.f !== 'read')) continue;
    while (current + 1 < cells.length && op.index >= cells[current + 1]!.segment.fromIndex) current++;
    const cell = cells[current];
    if (!cell) continue;
    if (op.type === 'invoke') {
      open.set(op.process, op);
      cell.firstNs = Math.min(cell.firstNs, op.intended ?? op.time);
      continue;
    }
    const invoke = open.get(op.process);
    if (!invoke) continue; // the checker has already refused such a history
    open.delete(op.process);
    cell.ops.push({ invoke, done: op });
    cell.lastNs = Math.max(cell.lastNs, op.time);
    cell.retries += op.retries ?? 0;
  }
  return cells.map((c) => {
    const startNs = c.record?.startNs ?? (Number.isFinite(c.firstNs) ? c.firstNs : 0);
    const endNs = c.record?.endNs ?? (Number.isFinite(c.lastNs) ? c.lastNs : startNs);
    const recorder = new CellRecorder(startNs);
    for (const { invoke, done } of c.ops) {
      const f = invoke.f as 'transfer' | 'read';
      const outcome: Outcome = done.type === 'fail' && done.error === 'insufficient' ? 'insufficient' : (done.type as Outcome);
      recorder.record(f, outcome, invoke.intended ?? invoke.time, done.time, done.node ?? undefined);
      if (f === 'transfer' && done.retries) recorder.recordRetries(done.retries);
    }
    for (let i = 0; i < (c.record?.transfersWithoutRetry ?? 0); i++) recorder.recordRetries(0);
    for (let i = 0; i < (c.record?.dropped ?? 0); i++) recorder.recordDropped();
    const metrics = recorder.summary(endNs, c.retries);
    // Without the count of transfers that needed no retry, a distribution would mislead: left out.
    if (!c.record) delete metrics.retriesPerTransfer;
    return { name: c.segment.name, startNs, endNs, metrics };
  });
}

/** A run saved before cellRecords: the settings its plan and parameters still tell. */
function settingsFromPlan(saved: SavedParams, name: string): Record<string, string | number> {
  const plan = saved.cells?.find((c) => c.name === name);
  if (!plan) return {};
  const p = saved.params;
  return {
    duration: `${plan.durationMs / 1000} s`,
    loop: plan.loop,
    ...(plan.loop === 'open' ? { rate: `${plan.rate}/s` } : { workers: plan.workers }),
    routing: plan.routing,
    ...(typeof p.timeoutMs === 'number' ? { timeout: `${p.timeoutMs / 1000} s` } : {}),
    ...(typeof p.reads === 'number' ? { reads: `${Math.round(p.reads * 100)} %` } : {}),
    ...plan.settings,
  };
}

function noVerdict(): SegmentVerdict {
  return {
    valid: 'unknown', anomalies: {}, transfers: { ok: 0, fail: 0, info: 0 }, reads: { ok: 0, fail: 0, info: 0 },
    indeterminate: { total: 0, applied: 0, notApplied: 0, unresolved: 0 },
  };
}

/** results/<notebook>/2026-11-25T231521Z → 2026-11-25T23:15:21.000Z; the folder's name is the run's start. */
function startedAtFromFolder(dir: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(basename(dir));
  return m ? `${m[1]}T${m[2]}:${m[3]}:${m[4]}.000Z` : new Date(0).toISOString();
}

async function readJson<T>(path: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RebuildError(`${path} is missing: a report is rebuilt from a run's ${what}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new RebuildError(`${path} is not valid JSON (${(err as Error).message})`);
  }
}

/**
 * Rebuilds the run in `dir` and writes its report there again (`html`: report.html too). Chart
 * files the new report no longer writes are removed, so the folder holds one report, not two.
 */
export async function rerender(dir: string, options: WriteOptions = {}): Promise<RebuiltRun & { written: string[] }> {
  const rebuilt = await rebuildRun(dir);
  const written = await writeReport(dir, rebuilt.run, options);
  const chartsDir = join(dir, 'charts');
  const kept = new Set(written.map((p) => resolve(p)));
  for (const file of await readdir(chartsDir)) {
    const path = resolve(chartsDir, file);
    if (!kept.has(path) && /\.(svg|png|vl\.json)$/.test(file)) await rm(path);
  }
  if (!options.html) await rm(join(dir, 'report.html'), { force: true });
  return { ...rebuilt, written };
}
