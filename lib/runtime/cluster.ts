// What a runtime hands the notebook: N database nodes, each paired with one API node, the means
// to fault the database nodes, and a teardown that leaves nothing behind.
import type { ApiClient } from '../api/client.ts';
import type { FaultDriver } from '../faults/kinds.ts';
import type { Params } from '../params.ts';

export interface Cluster {
  /** Database node names, n1…nN; api[i] is paired with nodes[i]. */
  readonly nodes: readonly string[];
  readonly api: readonly ApiClient[];
  readonly faults: FaultDriver;
  /** Database, version, settings and node layout, as the report states them. */
  readonly environment: Record<string, string | number>;
  /** Which node leads, where the database can say (see BankStore.leader). */
  leader?(): Promise<string | undefined>;
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

export interface RuntimeContext {
  params: Params;
  /** A private (0700) scratch folder for this run (data directories, logs); removed after the run. */
  scratchDir: string;
  /** The run's results folder, for files that belong with the report (the compose file). */
  resultsDir: string;
  /** A name for this run, unique enough to label what the runtime creates. */
  runId: string;
  log: (line: string) => void;
}

export interface Runtime {
  /** e.g. "embedded PostgreSQL", for messages. */
  readonly name: string;
  /** Why this runtime cannot run with these parameters (e.g. a node count), before anything starts. */
  refuse?(params: Params): string | undefined;
  start(ctx: RuntimeContext): Promise<Cluster>;
}
