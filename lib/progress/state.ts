// What the live display shows, kept from the history as it is written: completions of the last
// few seconds (outcome, latency from the intended start), operations in flight, and the nemesis's
// fault events. `snapshot` joins them with the running cell's plan at a given time; it is pure
// data, so the display and its tests need no clock.
import type { FaultKind } from '../faults/kinds.ts';
import type { FaultPlan } from '../faults/nemesis.ts';
import { describeTarget } from '../faults/targets.ts';
import type { Op } from '../history/op.ts';
import { newSecondHistogram, recordUs } from '../metrics/hdr.ts';
import { OUTCOMES, type Outcome } from '../metrics/summary.ts';

/** The running cell, as the display needs it. */
export interface CellView {
  name: string;
  durationMs: number;
  /** Run time (ns) at which the cell's load started. */
  startNs: number;
  faults: readonly FaultPlan[];
  nodes: readonly string[];
}

export interface CheckerStatus {
  anomalies: number;
  /** The live check gave up (the history file is still checked at the end). */
  stopped: boolean;
  /** The live check reached its bound on transfers: it still checks reads, the ledger checks wait for the file. */
  ledgerLeftToFinal?: boolean;
}

export type FaultPhase = 'planned' | 'applying' | 'active' | 'healing' | 'healed' | 'not-applied' | 'heal-failed';

export interface FaultStatus {
  kind: FaultKind | string;
  /** The nodes hit, or the symbolic target while it is not resolved yet ("random", "leader"). */
  targets: string;
  phase: FaultPhase;
  /** From the cell's start. */
  atMs: number;
  forMs?: number;
  /** planned: until it starts; active: until its heal is due (≤ 0: overdue); healing: since the heal began (negative). */
  countdownMs?: number;
  /** A deteriorating fault's level now (loss in %, bandwidth in kbit/s). */
  level?: number;
  /** From the cell's start, once healed. */
  healedAtMs?: number;
  /** Why it was not applied, or not everywhere, or did not heal. */
  reason?: string;
}

export type NodeState = 'up' | 'killed' | 'paused' | 'stopped' | 'isolated' | 'lossy' | 'throttled' | 'delayed' | 'restarting' | 'healing' | 'heal failed';

const NODE_STATE_OF: Record<FaultKind, NodeState> = {
  kill: 'killed', pause: 'paused', stop: 'stopped', partition: 'isolated', loss: 'lossy', bandwidth: 'throttled', latency: 'delayed',
};

export interface ProgressSnapshot {
  cell: string;
  elapsedMs: number;
  durationMs: number;
  /** The stretch the rates and latencies cover, ending now. */
  windowMs: number;
  transfersPerS: Record<Outcome, number>;
  /** Reads completed per second, any outcome, and how many of them ok. */
  readsPerS: number;
  readsOkPerS: number;
  /** Transfers completed in the window, all outcomes; null when none completed. */
  latency: { p50Us: number; p99Us: number } | null;
  inFlight: number;
  /** How long the oldest operation in flight has been due; null when none is in flight. */
  oldestInFlightMs: number | null;
  faults: FaultStatus[];
  nodes: { name: string; state: NodeState }[];
  checker: CheckerStatus;
}

// Completion kinds, one small number per entry.
const READ_OK = 4;
const READ_OTHER = 5;
const OUTCOME_CODE: Record<Outcome, number> = { ok: 0, insufficient: 1, fail: 2, info: 3 };

/** The longest window a snapshot may ask for: older completions are dropped. */
const KEEP_NS = 10e9;

interface FaultEvents {
  kind: string;
  plan?: FaultPlan;
  /** When its first event came. */
  firstNs: number;
  /** Targets as the start was invoked; the heal names the same ones. */
  targets?: string[];
  /** The nodes it was applied on (all targets, or some when applying failed on others). */
  hit?: string[];
  invokedNs?: number;
  healStartNs?: number;
  healedNs?: number;
  phase: Exclude<FaultPhase, 'planned'>;
  level?: number;
  reason?: string;
}

interface NemesisValue {
  targets?: string[];
  phase?: 'start' | 'step' | 'heal';
  level?: number;
}

export class ProgressState {
  // Completions, oldest first, as parallel arrays from `head` on (compacted now and then).
  private times: number[] = [];
  private codes: number[] = [];
  private latenciesUs: number[] = [];
  private head = 0;
  /** Per process with an operation open: when it was due (the intended start, else the invoke). */
  private readonly open = new Map<Op['process'], number>();
  /** Fault events since `faultsSinceNs`, in the order their start was first seen. */
  private faultEvents: FaultEvents[] = [];
  private faultsSinceNs = -Infinity;

  /** Feed every op of the history, in order. */
  observe(op: Op): void {
    if (op.process === 'nemesis') return this.observeFault(op);
    if (op.f !== 'transfer' && op.f !== 'read') return;
    if (op.type === 'invoke') {
      this.open.set(op.process, op.intended ?? op.time);
      return;
    }
    const dueNs = this.open.get(op.process);
    this.open.delete(op.process);
    this.times.push(op.time);
    if (op.f === 'read') {
      this.codes.push(op.type === 'ok' ? READ_OK : READ_OTHER);
      this.latenciesUs.push(0);
    } else {
      this.codes.push(OUTCOME_CODE[outcomeOf(op)]);
      this.latenciesUs.push(dueNs === undefined ? -1 : (op.time - dueNs) / 1000);
    }
    this.dropBefore(op.time - KEEP_NS);
  }

  /**
   * A new cell: fault events before `startNs` belong to earlier cells. (Operations still open
   * are kept: they complete in this cell, and their lateness is this cell's to show.)
   */
  startCell(startNs: number): void {
    this.faultsSinceNs = startNs;
    this.faultEvents = this.faultEvents.filter((e) => e.firstNs >= startNs);
  }

  /** The cell at `nowNs`; rates and latencies over the last `windowMs` (shorter early in the cell). */
  snapshot(cell: CellView, nowNs: number, windowMs: number, checker: CheckerStatus): ProgressSnapshot {
    if (cell.startNs !== this.faultsSinceNs) this.startCell(cell.startNs);
    const elapsedMs = Math.max(0, (nowNs - cell.startNs) / 1e6);
    // Early in the cell the window is what has passed, so the first rates are not diluted.
    const spanMs = Math.max(1, Math.min(windowMs, elapsedMs));
    const fromNs = nowNs - spanMs * 1e6;
    const counts = [0, 0, 0, 0, 0, 0];
    const histogram = newSecondHistogram();
    for (let i = this.head; i < this.times.length; i++) {
      const t = this.times[i]!;
      if (t <= fromNs || t > nowNs) continue;
      const code = this.codes[i]!;
      counts[code]!++;
      if (code < READ_OK && this.latenciesUs[i]! >= 0) recordUs(histogram, this.latenciesUs[i]!);
    }
    const perS = (n: number) => n / (spanMs / 1000);
    let oldestDueNs = Infinity;
    for (const due of this.open.values()) if (due < oldestDueNs) oldestDueNs = due;
    const faults = this.faultStatuses(cell, nowNs, elapsedMs);
    return {
      cell: cell.name,
      elapsedMs,
      durationMs: cell.durationMs,
      windowMs: spanMs,
      transfersPerS: Object.fromEntries(OUTCOMES.map((o) => [o, perS(counts[OUTCOME_CODE[o]]!)])) as Record<Outcome, number>,
      readsPerS: perS(counts[READ_OK]! + counts[READ_OTHER]!),
      readsOkPerS: perS(counts[READ_OK]!),
      latency: histogram.totalCount === 0 ? null : { p50Us: histogram.getValueAtPercentile(50), p99Us: histogram.getValueAtPercentile(99) },
      inFlight: this.open.size,
      oldestInFlightMs: this.open.size === 0 ? null : Math.max(0, (nowNs - oldestDueNs) / 1e6),
      faults,
      nodes: nodeStates(cell.nodes, this.faultEvents),
      checker,
    };
  }

  private observeFault(op: Op): void {
    if (op.time < this.faultsSinceNs) return;
    const v = (op.value ?? {}) as NemesisValue;
    const targets = v.targets ?? [];
    const same = (e: FaultEvents) => e.kind === op.f && e.targets !== undefined && sameNodes(e.targets, targets);
    if (v.phase === 'start' && op.type === 'invoke') {
      this.faultEvents.push({ kind: op.f, firstNs: op.time, targets, invokedNs: op.time, phase: 'applying' });
      return;
    }
    if (v.phase === 'start') {
      // ok / info name the nodes hit (a subset on info); fail without an invoke: never tried.
      const applying = this.faultEvents.find((e) => e.kind === op.f && e.phase === 'applying' && targets.every((n) => e.targets!.includes(n)));
      const e = applying ?? this.push({ kind: op.f, firstNs: op.time, targets, phase: 'not-applied' });
      if (op.type === 'fail') {
        e.phase = 'not-applied';
        e.reason = op.error;
      } else {
        e.phase = 'active';
        e.hit = targets;
        if (op.type === 'info') e.reason = `not applied on every node: ${op.error ?? 'see the log'}`;
      }
      return;
    }
    const e = [...this.faultEvents].reverse().find(same);
    if (!e) return;
    if (v.phase === 'step' && op.type === 'ok') e.level = v.level;
    if (v.phase === 'step' && op.type === 'fail') e.reason = `step to ${v.level} failed: ${op.error ?? ''}`;
    // A fault that was never applied is healed too, to be safe; it stays "not applied".
    if (v.phase !== 'heal' || e.phase === 'not-applied') return;
    if (op.type === 'invoke') {
      e.phase = 'healing';
      e.healStartNs = op.time;
    } else if (op.type === 'ok') {
      e.phase = 'healed';
      e.healedNs = op.time;
    } else {
      e.phase = 'heal-failed';
      e.reason = op.error;
    }
  }

  private push(e: FaultEvents): FaultEvents {
    this.faultEvents.push(e);
    return e;
  }

  /**
   * The cell's planned faults with what happened to each: events are matched to plans of the
   * same kind in plan order (a random cell's faults follow one another; simultaneous ones share
   * their window, so any match gives the same countdown).
   */
  private faultStatuses(cell: CellView, nowNs: number, elapsedMs: number): FaultStatus[] {
    const unmatched = [...cell.faults];
    for (const e of this.faultEvents) {
      if (e.plan) {
        unmatched.splice(unmatched.indexOf(e.plan), 1);
        continue;
      }
      const i = unmatched.findIndex((p) => p.kind === e.kind);
      if (i >= 0) e.plan = unmatched.splice(i, 1)[0];
    }
    const fromEvents = this.faultEvents.map((e): FaultStatus => {
      const forMs = e.plan?.forMs;
      const status: FaultStatus = {
        kind: e.kind,
        targets: e.targets?.length ? e.targets.join(',') : e.plan ? describeTarget(e.plan.target) : '?',
        phase: e.phase,
        atMs: e.invokedNs !== undefined ? (e.invokedNs - cell.startNs) / 1e6 : (e.plan?.atMs ?? 0),
        ...(forMs === undefined ? {} : { forMs }),
        ...(e.level === undefined ? (e.plan?.levels ? { level: e.plan.levels[0]! } : {}) : { level: e.level }),
        ...(e.reason === undefined ? {} : { reason: e.reason }),
        ...(e.healedNs === undefined ? {} : { healedAtMs: (e.healedNs - cell.startNs) / 1e6 }),
      };
      if (e.phase === 'active' && forMs !== undefined && e.invokedNs !== undefined) status.countdownMs = (e.invokedNs - nowNs) / 1e6 + forMs;
      if (e.phase === 'healing' && e.healStartNs !== undefined) status.countdownMs = (e.healStartNs - nowNs) / 1e6;
      return status;
    });
    const planned = unmatched.map((p): FaultStatus => ({
      kind: p.kind, targets: describeTarget(p.target), phase: 'planned', atMs: p.atMs, forMs: p.forMs, countdownMs: p.atMs - elapsedMs,
      ...(p.levels ? { level: p.levels[0]! } : {}),
    }));
    return [...fromEvents, ...planned].sort((a, b) => a.atMs - b.atMs);
  }

  private dropBefore(ns: number): void {
    while (this.head < this.times.length && this.times[this.head]! < ns) this.head++;
    if (this.head > 4096 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.codes = this.codes.slice(this.head);
      this.latenciesUs = this.latenciesUs.slice(this.head);
      this.head = 0;
    }
  }
}

function outcomeOf(op: Op): Outcome {
  if (op.type === 'fail') return op.error === 'insufficient' ? 'insufficient' : 'fail';
  return op.type === 'ok' ? 'ok' : 'info';
}

function sameNodes(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n) => b.includes(n));
}

/** Each node's state from the faults on it; the latest fault on a node wins. */
function nodeStates(nodes: readonly string[], events: readonly FaultEvents[]): { name: string; state: NodeState }[] {
  const states = new Map<string, NodeState>(nodes.map((n) => [n, 'up']));
  for (const e of events) {
    const state = nodeStateOf(e);
    if (state === undefined) continue;
    for (const node of e.hit ?? e.targets ?? []) if (states.has(node)) states.set(node, state);
  }
  return [...states].map(([name, state]) => ({ name, state }));
}

function nodeStateOf(e: FaultEvents): NodeState | undefined {
  const kind = e.kind as FaultKind;
  if (e.phase === 'active') return NODE_STATE_OF[kind];
  if (e.phase === 'healing') return kind === 'kill' || kind === 'stop' ? 'restarting' : 'healing';
  if (e.phase === 'heal-failed') return 'heal failed';
  return undefined;
}
