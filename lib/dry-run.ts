// --dry-run: the notebook runs top to bottom without starting anything. `up` runs the runtime's
// checks (engine, memory, images, client libraries, the compose file), `run` prints each cell as
// planned with its fault targets drawn from the seed the way the run would draw them, and the end
// says whether a real run could start: exit 0 only then.
import { describePlan, type CellPlan } from './cells.ts';
import { describeTarget, resolveTarget } from './faults/targets.ts';
import type { SeededRandom } from './random.ts';
import type { DryRun } from './runtime/cluster.ts';

export interface DryRunOutcome {
  /** Every check passed and every cell could be planned: a real run could start. */
  ready: boolean;
  problems: string[];
}

export class DryRunPlan {
  private readonly problems: string[] = [];
  private nodes: readonly string[] = [];
  private cells = 0;
  private loadMs = 0;

  constructor(private readonly log: (line: string) => void) {}

  /** The runtime's checks, one line each. */
  checked(result: DryRun): void {
    this.nodes = result.nodes;
    for (const c of result.checks) {
      this.log(`  ${c.ok ? '✓' : '✗'} ${c.what}: ${c.detail}`);
      if (!c.ok) this.problems.push(`${c.what}: ${c.detail}`);
    }
    this.log(`  nodes: ${this.nodes.join(', ')}`);
  }

  /** A cell as the run would plan it; its faults in the order they would start, targets drawn from the seed. */
  planned(plan: CellPlan, nemesis: SeededRandom): void {
    this.cells++;
    this.loadMs += plan.durationMs;
    this.log(`\n▶ ${plan.name} — ${describePlan(plan)}`);
    for (const f of [...plan.faults].sort((a, b) => a.atMs - b.atMs)) this.log(`    ${f.kind}: ${targetsOf(f.target, this.nodes, nemesis)}`);
  }

  /** A cell that could not be planned: the real run would stop there. */
  refused(cell: string, why: string): void {
    this.problem(`cell '${cell}': ${why}`);
  }

  /** Anything else that would stop or spoil the real run. */
  problem(text: string): void {
    this.problems.push(text);
    this.log(`\n✗ ${text}`);
  }

  finish(): DryRunOutcome {
    const ready = this.problems.length === 0;
    const load = `${this.cells} cell(s), ${(this.loadMs / 1000).toFixed(0)} s of load (plus bring-up, recovery and audits)`;
    this.log(ready
      ? `\ndry run: a real run could start — ${load}. Nothing was started.`
      : `\ndry run: a real run could NOT start — ${this.problems.length} problem(s):\n${this.problems.map((p) => `  ✗ ${p}`).join('\n')}`);
    return { ready, problems: [...this.problems] };
  }
}

function targetsOf(t: Parameters<typeof resolveTarget>[0], nodes: readonly string[], nemesis: SeededRandom): string {
  if (t.kind === 'leader') return 'the leader, as the database names it when the fault starts';
  try {
    const drawn = resolveTarget(t, nodes, (n) => nemesis.int(n));
    return t.kind === 'node' ? drawn.join(', ') : `${describeTarget(t)} → ${drawn.join(', ')}`;
  } catch (err) {
    // The run would go on and report this fault not applied.
    return `⚠ would not be applied: ${(err as Error).message}`;
  }
}
