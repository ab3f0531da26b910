// A cell: one stretch of load, with or without faults, and what it needs to run. Notebooks build
// cells with `cell(name, options)` and the fault builders; `runCell` runs one and returns its
// report (the verdict is filled in when the whole history has been checked).
import { nowNs } from './clock.ts';
import type { FaultKind } from './faults/kinds.ts';
import { runFault, type FaultPlan } from './faults/nemesis.ts';
import { describeTarget, target as targets, type Target } from './faults/targets.ts';
import type { HistoryWriter } from './history/writer.ts';
import { CellRecorder } from './metrics/cell-recorder.ts';
import { parseDurationMs, type Loop, type Params } from './params.ts';
import { cellSettings, describeSettings, type SettingSpec, type SettingValues } from './settings.ts';
import type { CellReport } from './report/model.ts';
import type { Cluster } from './runtime/cluster.ts';
import { closedLoop, openLoop } from './workload/drivers.ts';
import { OpExecutor, type ProcessIds } from './workload/executor.ts';
import type { SeededRandom } from './random.ts';
import type { OpGenerator } from './workload/generator.ts';
import { router, type Routing } from './workload/router.ts';

export interface FaultSpec {
  kind: FaultKind;
  target: Target;
  /** A deteriorating fault's levels (loss in %, bandwidth in kbit/s), one after another. */
  levels?: number[];
}

const fault = (kind: FaultKind) => (t: Target = targets.node(1)): FaultSpec => ({ kind, target: t });

/** Faults drawn from the run's seed: kinds, targets, start times and lengths (Jepsen-style). */
export interface RandomFaults {
  random: true;
  kinds: FaultKind[];
  count: number;
}

/** Fault builders; the target defaults to node n1. */
export const faults = {
  kill: fault('kill'),
  pause: fault('pause'),
  stop: fault('stop'),
  partition: fault('partition'),
  loss: fault('loss'),
  bandwidth: fault('bandwidth'),
  latency: fault('latency'),
  /** A deteriorating network: loss rising, or bandwidth falling, step by step over the window. */
  deteriorating: (kind: 'loss' | 'bandwidth', t: Target = targets.node(1), levels?: number[]): FaultSpec => ({
    kind,
    target: t,
    levels: levels ?? (kind === 'loss' ? [5, 10, 20, 40] : [4000, 1000, 250, 64]),
  }),
  /** `count` faults of the given kinds on random nodes at random times, one after another. */
  random: (o: { kinds?: FaultKind[]; count?: number } = {}): RandomFaults => ({
    random: true,
    kinds: o.kinds ?? ['kill', 'pause', 'partition', 'loss'],
    count: o.count ?? 3,
  }),
};

type Duration = number | string;

export interface CellOptions {
  fault?: FaultSpec | FaultSpec[] | RandomFaults;
  /** When the fault starts, from the cell's start (ms or '10s'); default: the window is centred. */
  at?: Duration;
  /** How long the fault lasts; default: --fault-for. */
  for?: Duration;
  loop?: Loop;
  rate?: number;
  workers?: number;
  routing?: Routing;
  /** Load duration; default: --duration. */
  duration?: Duration;
  /** The engine's settings for this cell, over the run's (e.g. `{ forUpdate: 'false' }`). */
  settings?: Record<string, string>;
}

export interface CellSpec {
  name: string;
  options: CellOptions;
}

export function cell(name: string, options: CellOptions = {}): CellSpec {
  return { name, options };
}

export interface CellPlan {
  name: string;
  loop: Loop;
  rate: number;
  workers: number;
  routing: Routing;
  durationMs: number;
  faults: FaultPlan[];
  /** The engine's settings in this cell (every one; see lib/settings.ts). */
  settings: SettingValues;
}

/** The engine's settings and the run's values of them, which a cell's own override. */
export interface EngineSettings {
  specs: readonly SettingSpec[];
  values: SettingValues;
}

const toMs = (d: Duration, what: string) => (typeof d === 'number' ? d : parseDurationMs(d, what));

/**
 * Resolves a cell's options against the run's parameters. `random` (the nemesis's seeded stream)
 * draws the faults of a random cell, so the same seed plans the same faults.
 */
export function planCell(spec: CellSpec, params: Params, random: SeededRandom, engine: EngineSettings = { specs: [], values: {} }): CellPlan {
  const o = spec.options;
  const settings = cellSettings(engine.specs, engine.values, o.settings ?? {});
  const durationMs = o.duration === undefined ? params.durationMs : toMs(o.duration, 'duration');
  // A fault window longer than half the cell would leave no steady load to compare against.
  const forMs = Math.min(o.for === undefined ? params.faultMs : toMs(o.for, 'for'), durationMs / 2);
  const atMs = o.at === undefined ? (durationMs - forMs) / 2 : toMs(o.at, 'at');
  const specs = o.fault === undefined ? [] : Array.isArray(o.fault) ? o.fault : 'random' in o.fault ? null : [o.fault];
  const planned = specs === null
    ? randomFaults(o.fault as RandomFaults, durationMs, random)
    : specs.map((f) => ({ kind: f.kind, target: f.target, atMs, forMs, ...(f.levels ? { levels: f.levels } : {}) }));
  return {
    name: spec.name,
    loop: o.loop ?? params.loop,
    rate: o.rate ?? params.rate,
    workers: o.workers ?? params.workers,
    routing: o.routing ?? params.routing,
    durationMs,
    faults: planned,
    settings,
  };
}

/**
 * One fault per equal slot of the cell, each starting and lasting a random part of its slot, so
 * faults never overlap and the cluster has time to recover between them (and its recovery shows).
 */
function randomFaults(r: RandomFaults, durationMs: number, random: SeededRandom): FaultPlan[] {
  if (r.count < 1 || r.kinds.length === 0) throw new Error('a random cell needs at least one fault and one kind');
  const slotMs = durationMs / r.count;
  return Array.from({ length: r.count }, (_, i) => {
    const forMs = Math.round(slotMs * (0.25 + 0.25 * random.float()));
    const atMs = Math.round(i * slotMs + (slotMs * 0.75 - forMs) * random.float());
    return { kind: r.kinds[random.int(r.kinds.length)]!, target: targets.random(), atMs, forMs };
  });
}

export function describePlan(plan: CellPlan): string {
  const load = plan.loop === 'open' ? `open loop ${plan.rate}/s` : `closed loop, ${plan.workers} workers`;
  const faultText = plan.faults.map((f) =>
    `${f.kind}${f.levels ? ` ${f.levels.join('→')}` : ''} ${describeTarget(f.target)} at ${(f.atMs / 1000).toFixed(1)}s for ${(f.forMs / 1000).toFixed(1)}s`);
  return [`${plan.durationMs / 1000}s`, load, `routing ${plan.routing}`, ...faultText].join(', ');
}

export interface CellContext {
  params: Params;
  /** How the report states the engine's settings. */
  settingSpecs?: readonly SettingSpec[];
  cluster: Cluster;
  history: HistoryWriter;
  gen: OpGenerator;
  /** Seeded streams of their own for routing and the nemesis (see lib/random.ts). */
  random: { routing: SeededRandom; nemesis: SeededRandom };
  processes: ProcessIds;
  /** Ctrl-C: stop sending. */
  signal: AbortSignal;
  log: (line: string) => void;
  /** Called when the load starts and every TICK_MS while it runs, for the live display. */
  onTick?: (tick: CellTick) => void;
}

/** What the live display needs of the running cell: its plan (duration, fault windows) and clock. */
export interface CellTick {
  plan: CellPlan;
  /** Run time (ns) at which the load started; the fault windows count from here. */
  startNs: number;
  /** Run time (ns) of this tick. */
  nowNs: number;
}

/** About twice a second: often enough for a countdown to move smoothly. */
export const TICK_MS = 500;

/** Runs the load and the faults of one cell; the verdict is added later from the checked history. */
export async function runCell(plan: CellPlan, ctx: CellContext): Promise<Omit<CellReport, 'verdict'>> {
  const startNs = nowNs();
  const metrics = new CellRecorder(startNs);
  const exec = new OpExecutor(ctx.history, metrics);
  const deps = {
    gen: ctx.gen,
    route: router(ctx.cluster.api, plan.routing, ctx.random.routing),
    exec,
    processes: ctx.processes,
    metrics,
    signal: ctx.signal,
  };
  const loadDone = new AbortController();
  const nemesis = plan.faults.map((f) =>
    runFault(f, {
      driver: ctx.cluster.faults,
      nodes: ctx.cluster.nodes,
      pick: (n) => ctx.random.nemesis.int(n),
      history: ctx.history,
      cellStartNs: startNs,
      signal: loadDone.signal,
      log: ctx.log,
      ...(ctx.cluster.leader ? { leader: () => ctx.cluster.leader!() } : {}),
    }),
  );
  const tick = () => ctx.onTick?.({ plan, startNs, nowNs: nowNs() });
  tick();
  const ticker = setInterval(tick, TICK_MS);
  try {
    if (plan.loop === 'open') {
      // Enough room for every operation of one timeout window, so a stall is measured, not dropped.
      const maxInFlight = Math.max(64, Math.ceil(plan.rate * (ctx.params.timeoutMs / 1000) * 1.5));
      await openLoop({ durationMs: plan.durationMs, rate: plan.rate, maxInFlight }, deps);
    } else {
      await closedLoop({ durationMs: plan.durationMs, workers: plan.workers }, deps);
    }
  } finally {
    clearInterval(ticker);
    loadDone.abort();
  }
  const loadEndNs = nowNs();
  const faultRecords = await Promise.all(nemesis);
  return {
    name: plan.name,
    settings: settingsOf(plan, ctx),
    startNs,
    endNs: loadEndNs,
    faults: faultRecords,
    metrics: metrics.summary(loadEndNs, exec.retries),
  };
}

function settingsOf(plan: CellPlan, ctx: CellContext): Record<string, string | number> {
  return {
    duration: `${plan.durationMs / 1000} s`,
    loop: plan.loop,
    ...(plan.loop === 'open' ? { rate: `${plan.rate}/s` } : { workers: plan.workers }),
    routing: plan.routing,
    'API nodes': ctx.cluster.api.length,
    timeout: `${ctx.params.timeoutMs / 1000} s`,
    reads: `${Math.round(ctx.params.reads * 100)} %`,
    ...describeSettings(ctx.settingSpecs ?? [], plan.settings),
  };
}
