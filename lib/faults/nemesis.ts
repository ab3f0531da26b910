// The nemesis: applies one planned fault to the database nodes at its time, verifies it took
// effect, heals it when its window ends (always, also when the cell is cut short), and writes
// every step into the history with process "nemesis".
import { nowNs, sleep } from '../clock.ts';
import type { HistoryWriter } from '../history/writer.ts';
import type { FaultRecord } from '../report/model.ts';
import type { FaultDriver, FaultKind } from './kinds.ts';
import { describeTarget, groupsOf, resolveTarget, type Target } from './targets.ts';

export interface FaultPlan {
  kind: FaultKind;
  target: Target;
  /** From the cell's start. */
  atMs: number;
  forMs: number;
  /** A deteriorating fault: these levels one after another, each for an equal part of the window. */
  levels?: number[];
}

export interface NemesisContext {
  driver: FaultDriver;
  nodes: readonly string[];
  pick: (n: number) => number;
  history: HistoryWriter;
  cellStartNs: number;
  /** Aborted when the load ends early: a pending fault is not started, an active one is healed now. */
  signal: AbortSignal;
  /** Which node leads now, where the database can say; for faults aimed at the leader. */
  leader?: () => Promise<string | undefined>;
  log: (line: string) => void;
}

export async function runFault(plan: FaultPlan, ctx: NemesisContext): Promise<FaultRecord> {
  const record: FaultRecord = {
    kind: plan.kind, targets: [], plannedAtMs: plan.atMs, plannedForMs: plan.forMs, status: 'failed', verified: false,
  };
  const sinceStartMs = () => (nowNs() - ctx.cellStartNs) / 1e6;
  const support = await ctx.driver.support(plan.kind);
  if (!support.ok) {
    record.status = 'unsupported';
    record.detail = support.reason;
    record.targets = [describeTarget(plan.target)];
    note(ctx, plan.kind, 'fail', { targets: record.targets, phase: 'start' }, `unsupported: ${support.reason}`);
    ctx.log(`⚠ ${plan.kind} ${record.targets.join(',')} — NOT APPLIED: unsupported here (${support.reason})`);
    return record;
  }
  if (!(await sleepUntil(ctx, plan.atMs, sinceStartMs))) {
    record.detail = 'the cell ended before the fault was due';
    return record;
  }
  let targets: string[];
  try {
    const leader = plan.target.kind === 'leader' ? await ctx.leader?.() : undefined;
    targets = resolveTarget(plan.target, ctx.nodes, ctx.pick, leader);
  } catch (err) {
    record.detail = (err as Error).message;
    note(ctx, plan.kind, 'fail', { targets: record.targets, phase: 'start' }, record.detail);
    ctx.log(`⚠ ${plan.kind} ${describeTarget(plan.target)} — NOT APPLIED: ${record.detail}`);
    return record;
  }
  record.targets = targets;
  const groups = groupsOf(plan.target, targets, ctx.nodes);
  const groupOf = (node: string) => groups.get(node) ?? targets;
  const startedMs = sinceStartMs();
  note(ctx, plan.kind, 'invoke', { targets, phase: 'start' });
  const results = await Promise.allSettled(targets.map((node) => ctx.driver.apply(plan.kind, node, groupOf(node), plan.levels?.[0])));
  const hit = targets.filter((_, i) => results[i]!.status === 'fulfilled');
  const missed = targets.flatMap((node, i) => {
    const r = results[i]!;
    return r.status === 'rejected' ? [`${node}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`] : [];
  });
  const verifiedText = fulfilled(results).join('; ');
  if (hit.length > 0) {
    // Some targets may have failed: the fault still happened on the others, and is drawn as such.
    record.status = 'applied';
    record.verified = missed.length === 0;
    record.appliedAtMs = startedMs;
    record.verifiedAtMs = sinceStartMs();
    record.detail = [verifiedText, ...missed.map((m) => `NOT applied on ${m}`)].join('; ');
    note(ctx, plan.kind, missed.length ? 'info' : 'ok', { targets: hit, phase: 'start', verified: verifiedText }, missed.join('; ') || undefined);
    ctx.log(`⚡ ${(startedMs / 1000).toFixed(1)}s ${plan.kind} ${hit.join(',')} — applied (${record.detail})`);
    if (plan.levels && plan.levels.length > 1) await deteriorate(plan, plan.levels, hit, groupOf, record, ctx, startedMs, sinceStartMs);
    await sleepUntil(ctx, startedMs + plan.forMs, sinceStartMs);
  } else {
    record.detail = missed.join('; ');
    note(ctx, plan.kind, 'fail', { targets, phase: 'start' }, record.detail);
    ctx.log(`⚠ ${plan.kind} ${targets.join(',')} — NOT APPLIED: ${record.detail}`);
  }
  // Heal every target, also those where applying failed: a half-applied fault must not linger.
  await heal(plan.kind, targets, groupOf, record, ctx, sinceStartMs);
  return record;
}

/** Steps a fault through worse and worse levels: each step replaces the last (heal, then apply). */
async function deteriorate(plan: FaultPlan, levels: number[], targets: string[], groupOf: (node: string) => string[], record: FaultRecord, ctx: NemesisContext, startedMs: number, sinceStartMs: () => number) {
  const stepMs = plan.forMs / levels.length;
  for (let i = 1; i < levels.length; i++) {
    if (!(await sleepUntil(ctx, startedMs + i * stepMs, sinceStartMs))) return;
    const level = levels[i]!;
    note(ctx, plan.kind, 'invoke', { targets, phase: 'step', level });
    const stepped = await Promise.allSettled(targets.map(async (node) => {
      await ctx.driver.heal(plan.kind, node, groupOf(node));
      return ctx.driver.apply(plan.kind, node, groupOf(node), level);
    }));
    const failures = rejections(stepped);
    note(ctx, plan.kind, failures.length ? 'fail' : 'ok', { targets, phase: 'step', level }, failures.join('; ') || undefined);
    ctx.log(`⚡ ${(sinceStartMs() / 1000).toFixed(1)}s ${plan.kind} ${targets.join(',')} — now ${level}${failures.length ? ` (FAILED: ${failures.join('; ')})` : ''}`);
    if (failures.length) record.verified = false;
  }
  record.detail = `${record.detail}; levels ${levels.join(' → ')}, ${(stepMs / 1000).toFixed(1)} s each`;
}

async function heal(kind: FaultKind, targets: string[], groupOf: (node: string) => string[], record: FaultRecord, ctx: NemesisContext, sinceStartMs: () => number) {
  note(ctx, kind, 'invoke', { targets, phase: 'heal' });
  const healed = await Promise.allSettled(targets.map((node) => ctx.driver.heal(kind, node, groupOf(node))));
  const failures = rejections(healed);
  if (failures.length === 0) {
    record.healedAtMs = sinceStartMs();
    note(ctx, kind, 'ok', { targets, phase: 'heal', verified: fulfilled(healed).join('; ') });
    ctx.log(`✓ ${(record.healedAtMs / 1000).toFixed(1)}s ${kind} ${targets.join(',')} healed`);
  } else {
    const why = failures.join('; ');
    record.detail = [record.detail, `heal failed: ${why}`].filter(Boolean).join('; ');
    note(ctx, kind, 'fail', { targets, phase: 'heal' }, why);
    ctx.log(`⚠ ${kind} ${targets.join(',')} — HEAL FAILED: ${why}`);
  }
}

function note(ctx: NemesisContext, f: FaultKind, type: 'invoke' | 'ok' | 'fail' | 'info', value: object, error?: string) {
  ctx.history.append({
    type, f, process: 'nemesis', node: null, time: nowNs(), value, ...(error === undefined ? {} : { error }),
  });
}

/** Sleeps until `atMs` into the cell; false when aborted first. */
async function sleepUntil(ctx: NemesisContext, atMs: number, sinceStartMs: () => number): Promise<boolean> {
  while (!ctx.signal.aborted) {
    const leftMs = atMs - sinceStartMs();
    if (leftMs <= 0) return true;
    await sleep(leftMs, ctx.signal);
  }
  return false;
}

const rejections = (results: PromiseSettledResult<string>[]) =>
  results.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
const fulfilled = (results: PromiseSettledResult<string>[]) =>
  results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
