// What a runtime hands the notebook: N database nodes, each paired with one API node, the means
// to fault the database nodes, and a teardown that leaves nothing behind.
import type { ApiClient } from '../api/client.ts';
import type { FaultDriver } from '../faults/kinds.ts';
import type { Params } from '../params.ts';
import { changedSettings, type SettingSpec, type SettingValues } from '../settings.ts';
import type { Routing } from '../workload/router.ts';

/**
 * What the engine promises about reads in a cell: whether every read sees every transfer that was
 * acknowledged before the read began (no stale reads). The report sets it beside what the
 * realtime-read check measured, so a broken promise is named as one.
 */
export interface ReadPromise {
  fresh: boolean;
  /** Why, in the engine's own terms (its docs, the cell's read mode, the node the reads go to). */
  why: string;
}

export interface Cluster {
  /** Database node names, n1…nN; api[i] is paired with nodes[i]. */
  readonly nodes: readonly string[];
  readonly api: readonly ApiClient[];
  readonly faults: FaultDriver;
  /** Database, version, settings and node layout, as the report states them. */
  readonly environment: Record<string, string | number>;
  /** Which node leads, where the database can say (see BankStore.leader). */
  leader?(): Promise<string | undefined>;
  /** Gives every API node the adapter config of these engine settings; throws naming the nodes that refused. */
  changeSettings?(from: SettingValues, to: SettingValues): Promise<void>;
  /** Stops every process and removes every directory this cluster made. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Asks every API node which node leads and takes the answer most of them give: during an election
 * nodes disagree, and one node's stale belief must not pick the target. Undefined when none knows.
 */
export async function leaderByMajority(api: readonly ApiClient[]): Promise<string | undefined> {
  const answers = await Promise.all(api.map((a) => a.leader()));
  const votes = new Map<string, number>();
  for (const r of answers) {
    const name = r.type === 'ok' ? r.value?.leader : null;
    if (name) votes.set(name, (votes.get(name) ?? 0) + 1);
  }
  const [best] = [...votes].sort((a, b) => b[1] - a[1]);
  return best && best[1] > answers.length / 2 ? best[0] : undefined;
}

/**
 * Sends each API node the config keys that differ between its adapter config under `from` and
 * under `to` (PUT /settings). `configOf(i, values)` is node i's config: it may differ per node
 * (a PostgreSQL replica reads at a weaker isolation than the primary).
 */
export async function changeApiSettings(
  api: readonly ApiClient[],
  configOf: (i: number, values: SettingValues) => Record<string, string>,
  from: SettingValues,
  to: SettingValues,
): Promise<void> {
  const answers = await Promise.all(api.map(async (a, i) => {
    const before = configOf(i, from);
    const after = configOf(i, to);
    const changed = changedSettings(before, after);
    if (Object.keys(changed).length === 0) return '';
    const r = await a.settings(changed);
    return r.type === 'ok' ? '' : `${a.name}: ${r.error}`;
  }));
  const refused = answers.filter(Boolean);
  if (refused.length > 0) throw new Error(`API nodes refused the settings: ${refused.join('; ')}`);
}

export interface RuntimeContext {
  params: Params;
  /** The engine's settings for the run (every one of Runtime.settings, defaults filled in). */
  settings: SettingValues;
  /** A private (0700) scratch folder for this run (data directories, logs); removed after the run. */
  scratchDir: string;
  /** The run's results folder, for files that belong with the report (the compose file). */
  resultsDir: string;
  /** A name for this run, unique enough to label what the runtime creates. */
  runId: string;
  log: (line: string) => void;
}

/** One thing a dry run checked: whether a real run would get past it, and what was found or what to do. */
export interface ReadinessCheck {
  what: string;
  ok: boolean;
  detail: string;
}

/** What a dry run knows of the cluster without starting it. */
export interface DryRun {
  /** The database nodes a real run would start, n1…nN. */
  nodes: string[];
  checks: ReadinessCheck[];
}

export interface DryRunContext {
  params: Params;
  settings: SettingValues;
  /** Where the dry run writes what it would use (the compose file), for the user to read. */
  dir: string;
  runId: string;
}

export interface Runtime {
  /** e.g. "embedded PostgreSQL", for messages. */
  readonly name: string;
  /** Why this runtime cannot run with these parameters and settings (e.g. a node count), before anything starts. */
  refuse?(params: Params, settings: SettingValues): string | undefined;
  /** The engine's settings: flags for the run, changeable per cell through the API nodes. */
  readonly settings?: readonly SettingSpec[];
  /** What the engine promises about reads under a cell's settings and routing; absent: it states nothing. */
  freshReads?(settings: SettingValues, routing: Routing): ReadPromise;
  start(ctx: RuntimeContext): Promise<Cluster>;
  /** Everything `start` would need, checked without starting anything (--dry-run). */
  dryRun(ctx: DryRunContext): Promise<DryRun>;
}
