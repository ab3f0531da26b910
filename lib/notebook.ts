// A notebook reads top to bottom: declare the cluster, run cells, write the report.
//
//   const nb = await notebook('quickstart');
//   await nb.up(embeddedPostgres());
//   await nb.run(cell('steady'));
//   await nb.run(cell('kill -9 and restart', { fault: faults.kill(target.node(1)) }));
//   await nb.report();
//
// Parameters come from the command line (see --help); Ctrl-C stops the load, heals the faults,
// writes the report of the cells so far and tears the cluster down.
import { randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { planCell, describePlan, runCell, type CellPlan, type CellSpec, type CellTick } from './cells.ts';
import { BankChecker, LIVE_TRANSFER_RECORDS } from './check/bank-checker.ts';
import { checkFile } from './check/check-file.ts';
import { refusePlatform } from './platform.ts';
import { DryRunPlan, type DryRunOutcome } from './dry-run.ts';
import { noFaults } from './faults/kinds.ts';
import type { CheckResult, Segment } from './check/verdict.ts';
import { nowNs } from './clock.ts';
import type { Op } from './history/op.ts';
import { HistoryWriter } from './history/writer.ts';
import { openDisplay } from './progress/display.ts';
import { ProgressState } from './progress/state.ts';
import { DEFAULTS, ParamError, parseParams, rerunFlags, splitCells, usage, type ParsedArgs, type Params } from './params.ts';
import { changedSettings, flagOf, settingsFromFlags, settingsUsage, type SettingSpec, type SettingValues } from './settings.ts';
import type { CellReport, RunReport } from './report/model.ts';
import { savedCellRecord } from './report/rebuild.ts';
import { brokenReadPromises, judgeReadPromise } from './report/read-promise.ts';
import { headline } from './report/markdown.ts';
import { writeReport } from './report/write.ts';
import { gzipHistory, makeRunDir, writeJson } from './results.ts';
import type { Cluster, Runtime } from './runtime/cluster.ts';
import { ADMIN_PROCESS, healthyThenAudit, setupAccounts } from './workload/admin.ts';
import { initialBalances } from './workload/bank.ts';
import { ProcessIds } from './workload/executor.ts';
import { OpGenerator } from './workload/generator.ts';
import { SeededRandom } from './random.ts';

export { cell, faults } from './cells.ts';

/** What a real run ends with: its results folder, the checked history and the report. */
export interface RunOutcome {
  dir: string;
  check: CheckResult;
  run: RunReport;
}
export { target } from './faults/targets.ts';
export { standardCells } from './standard-cells.ts';

export interface NotebookOptions {
  /** Defaults of this notebook, over bankrun's; the command line overrides both. */
  defaults?: Partial<Params>;
  /** Command-line arguments; default: process.argv after the script. */
  argv?: string[];
}

/** Parses the command line (a wrong flag exits 2 before anything starts) and opens the run. */
export async function notebook(name: string, options: NotebookOptions = {}): Promise<Notebook> {
  const unsupported = refusePlatform();
  if (unsupported) {
    console.error(`${name}: ${unsupported}`);
    process.exit(2);
  }
  const defaults = { ...DEFAULTS, ...options.defaults };
  let parsed;
  try {
    parsed = parseParams(options.argv ?? process.argv.slice(2), defaults);
  } catch (err) {
    if (!(err instanceof ParamError)) throw err;
    console.error(`${name}: ${err.message}`);
    process.exit(2);
  }
  const params = parsed.seedGiven ? parsed.params : { ...parsed.params, seed: randomInt(2 ** 31 - 1) };
  return new Notebook(name, params, new Date(), { engineFlags: parsed.engineFlags, help: parsed.help, dryRun: parsed.dryRun, defaults });
}

export class Notebook {
  private history!: HistoryWriter;
  /** results/<notebook>/<timestamp>/, made when the cluster is brought up. */
  private dir = '';
  /** Bounded, so a long run's memory stays flat; the verdict comes from the file, unbounded. */
  private readonly live = new BankChecker({ maxTransferRecords: LIVE_TRANSFER_RECORDS });
  /** What the live display shows, fed from the history like the live checker. */
  private readonly progressState = new ProgressState();
  private readonly display = openDisplay({
    out: process.stdout, env: process.env, state: this.progressState,
    checker: () => ({ anomalies: this.live.anomalyCount(), stopped: this.liveBroken, ledgerLeftToFinal: this.live.ledgerChecksLeftToFinal() }),
  });
  private readonly gen: OpGenerator;
  private readonly random: { routing: SeededRandom; nemesis: SeededRandom };
  private readonly processes = new ProcessIds(ADMIN_PROCESS + 1);
  private readonly segments: Segment[] = [];
  private readonly cells: Omit<CellReport, 'verdict'>[] = [];
  private readonly plans: CellPlan[] = [];
  private readonly interrupt = new AbortController();
  private cluster: Cluster | null = null;
  private scratchDir: string | null = null;
  private bringUpMs = 0;
  private reportedAnomalies = 0;
  /** --cells: the only cells to run (empty: all), and every cell name the notebook offered. */
  private readonly onlyCells: Set<string>;
  private readonly offeredCells: string[] = [];
  private firstSigintAt = 0;
  private liveBroken = false;
  /** The engine's settings: the run's (flags over defaults) and those the API nodes have now. */
  private settingSpecs: readonly SettingSpec[] = [];
  /** The engine's promise about reads, per cell (see ReadPromise). */
  private freshReads: Runtime['freshReads'];
  private loadAtStart = 0;
  private runSettings: SettingValues = {};
  private appliedSettings: SettingValues = {};
  /** --dry-run: nothing starts; the checks and the plan are printed instead. */
  private dry: DryRunPlan | null = null;
  /** report() has run (or is running): disposal has nothing left to write. */
  private reported = false;

  constructor(
    readonly name: string,
    readonly params: Params,
    readonly startedAt: Date,
    private readonly args: Pick<ParsedArgs, 'engineFlags' | 'help' | 'dryRun'> & { defaults: Params } = { engineFlags: {}, help: false, dryRun: false, defaults: params },
  ) {
    this.gen = new OpGenerator({
      seed: params.seed, accounts: params.accounts, maxAmount: params.maxAmount, readShare: params.reads,
    });
    this.random = { routing: new SeededRandom(params.seed, 'routing'), nemesis: new SeededRandom(params.seed, 'nemesis') };
    this.onlyCells = new Set(splitCells(params.cells));
    this.onSigint = this.onSigint.bind(this);
  }

  /** Brings the cluster up, waits until every API node answers, and sets up the accounts. */
  async up(runtime: Runtime): Promise<Cluster> {
    if (this.cluster) throw new Error('this notebook already has a cluster up');
    this.settingSpecs = runtime.settings ?? [];
    this.freshReads = runtime.freshReads;
    this.loadAtStart = loadavg()[0]!;
    if (this.args.help) {
      console.log(`${this.name} — a bankrun notebook (${runtime.name})\n\n${usage(this.args.defaults)}`);
      if (this.settingSpecs.length) console.log(`Settings of this engine (per cell, the notebook may change them):\n${settingsUsage(this.settingSpecs, {}).join('\n')}`);
      process.exit(0);
    }
    try {
      this.runSettings = settingsFromFlags(this.settingSpecs, this.args.engineFlags);
    } catch (err) {
      if (!(err instanceof ParamError)) throw err;
      this.stop(`${err.message}\n\n${usage(this.args.defaults)}${this.settingSpecs.length ? `\n${settingsUsage(this.settingSpecs, {}).join('\n')}` : ''}`);
    }
    this.appliedSettings = this.runSettings;
    const refusal = runtime.refuse?.(this.params, this.runSettings);
    if (refusal) this.stop(refusal);
    if (this.args.dryRun) return this.dryUp(runtime);
    this.dir = await makeRunDir(this.params.out, this.name, this.startedAt);
    this.history = new HistoryWriter(join(this.dir, 'history.jsonl'));
    this.history.subscribe((op) => this.observeLive(op));
    this.history.subscribe((op) => this.progressState.observe(op));
    process.on('SIGINT', this.onSigint);
    this.log(`bankrun ${this.name} — seed ${this.params.seed}, results in ${relative(process.cwd(), this.dir) || this.dir}`);
    this.log(`bringing up ${runtime.name}…`);
    const t0 = nowNs();
    const scratchDir = await mkdtemp(join(tmpdir(), `bankrun-${this.name}-`));
    this.scratchDir = scratchDir;
    // If the notebook dies on an error, its child processes are killed by their own exit hooks;
    // this removes their data directories after them.
    process.once('exit', () => rmSync(scratchDir, { recursive: true, force: true }));
    try {
      this.cluster = await runtime.start({
        params: this.params, settings: this.runSettings, scratchDir: this.scratchDir, resultsDir: this.dir, runId: `${this.name}-${basename(this.dir)}`, log: (l) => this.log(`  ${l}`),
      });
    } catch (err) {
      console.error(`${this.name}: could not bring up ${runtime.name}: ${(err as Error).message}`);
      this.history.close();
      await this.teardown();
      process.exit(1);
    }
    this.bringUpMs = (nowNs() - t0) / 1e6;
    this.log(`  ${this.cluster.nodes.length} database node(s) and ${this.cluster.api.length} API node(s) ready in ${(this.bringUpMs / 1000).toFixed(1)} s`);
    await this.setupAccounts(this.cluster);
    return this.cluster;
  }

  /** Runs one cell: load and faults, then waits for the cluster to recover and audits it. */
  async run(spec: CellSpec): Promise<void> {
    const cluster = this.requireCluster();
    if (this.interrupt.signal.aborted) return;
    this.offeredCells.push(spec.name);
    if (this.onlyCells.size > 0 && !this.onlyCells.has(spec.name)) {
      this.log(`· ${spec.name} — not run (--cells)`);
      return;
    }
    let plan: CellPlan;
    try {
      plan = planCell({ ...spec, name: this.uniqueName(spec.name) }, this.params, this.random.nemesis, { specs: this.settingSpecs, values: this.runSettings });
    } catch (err) {
      if (!(err instanceof ParamError)) throw err;
      if (this.dry) return this.dry.refused(spec.name, err.message);
      return this.abandon(`cell '${spec.name}': ${err.message}`);
    }
    if (this.dry) {
      this.plans.push(plan);
      return this.dry.planned(plan, this.random.nemesis);
    }
    this.log(`\n▶ ${plan.name} — ${describePlan(plan)}`);
    if (!(await this.applySettings(cluster, plan.settings))) return;
    this.segments.push({ name: plan.name, fromIndex: this.history.length });
    this.plans.push(plan);
    let report;
    try {
      report = await runCell(plan, {
        params: this.params, settingSpecs: this.settingSpecs, cluster, history: this.history, gen: this.gen, random: this.random, processes: this.processes,
        signal: this.interrupt.signal, log: (l) => this.log(`  ${l}`), onTick: (tick) => this.progress(tick, cluster),
      });
    } finally {
      // Also when the cell throws: its error must not print into the block.
      this.display.endCell();
    }
    const readPromise = this.freshReads?.(plan.settings, plan.routing);
    this.cells.push(readPromise ? { ...report, readPromise } : report);
    const m = report.metrics;
    this.log(`  done: ${m.okPerSecond.toFixed(0)} ok transfers/s, p99 ${(m.allTransfers.p99Us / 1000).toFixed(1)} ms, ` +
      `insufficient ${m.transfers.insufficient.count}, failed ${m.transfers.fail.count}, indeterminate ${m.transfers.info.count}` +
      (m.dropped ? `, dropped ${m.dropped}` : ''));
    await this.audit(cluster);
  }

  /** Checks the whole history, writes the report and the run's files, and tears the cluster down. */
  async report(): Promise<RunOutcome> {
    this.reported = true;
    if (this.dry) {
      // A dry run ends here, as --help does: 0 only if a real run could start.
      const outcome = await this.finishDryRun();
      process.exit(process.exitCode || (outcome.ready ? 0 : 1));
    }
    try {
      this.history.close();
      const historyPath = this.history.path;
      const check = await checkFile(historyPath, { segments: this.segments });
      const run = this.runReport(check);
      await writeReport(this.dir, run);
      await writeJson(join(this.dir, 'params.json'), {
        notebook: this.name, startedAt: run.startedAt, command: run.command, params: this.params, settings: this.runSettings, cells: this.plans, segments: this.segments, environment: run.environment,
        // What the history does not hold, so scripts/report.ts can rebuild the report exactly.
        cellRecords: this.cells.map((c) => savedCellRecord(c)),
      });
      await writeJson(join(this.dir, 'schedule.json'), this.cells.map((c) => ({ cell: c.name, faults: c.faults })));
      await gzipHistory(historyPath);
      this.log(`\n${headline(check)}`);
      const unknown = this.unknownCells();
      if (unknown) console.error(`${this.name}: ${unknown}`);
      for (const c of brokenReadPromises(run.cells)) this.log(`❌ ${c.name}: ${judgeReadPromise(c).text.replace(/\*\*/g, '')}`);
      this.log(`report: ${join(relative(process.cwd(), this.dir) || this.dir, 'report.md')}`);
      // A stopped run (Ctrl-C 130, an abandoned cell 2) keeps its code; else the verdict's.
      if (!process.exitCode) process.exitCode = check.valid === false ? 1 : 0;
      return { dir: this.dir, check, run };
    } finally {
      await this.teardown();
    }
  }

  /**
   * `await using nb = await notebook(…)`: when the notebook ends without report() — a cell threw —
   * the report of the cells so far is written and the cluster torn down before the error goes on.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.reported || !this.cluster || this.dry) return this.teardown();
    this.log('\nthe notebook stopped before its report: writing the report of the cells so far');
    try {
      await this.report();
    } catch (err) {
      // The notebook's own error goes on; this one is only said.
      this.log(`⚠ no report: ${(err as Error).message}`);
      await this.teardown();
    }
  }

  /** Whether this is a dry run (--dry-run): nothing starts, `report` prints whether a run could. */
  get dryRun(): boolean {
    return this.args.dryRun;
  }

  /** The dry run's verdict: whether a real run could start, and what stands in its way. */
  async finishDryRun(): Promise<DryRunOutcome> {
    if (!this.dry) throw new Error('not a dry run: call report()');
    const unknown = this.unknownCells();
    if (unknown) this.dry.problem(unknown);
    const outcome = this.dry.finish();
    await this.teardown();
    return outcome;
  }

  /** --cells named a cell the notebook never offered (a wrong flag: exit 2): which, and which exist. */
  private unknownCells(): string | undefined {
    const unknown = [...this.onlyCells].filter((n) => !this.offeredCells.includes(n));
    if (unknown.length === 0) return undefined;
    if (!process.exitCode) process.exitCode = 2;
    return `--cells: no cell named ${unknown.map((n) => `'${n}'`).join(', ')}; this notebook's cells: ${this.offeredCells.join(', ')}`;
  }

  /** The runtime's checks instead of a bring-up; the cells that follow are only planned. */
  private async dryUp(runtime: Runtime): Promise<Cluster> {
    this.dry = new DryRunPlan((l) => this.log(l));
    const dir = join(this.params.out, this.name, 'dry-run');
    this.log(`bankrun ${this.name} — dry run (nothing is started), seed ${this.params.seed}`);
    this.log(`checking what ${runtime.name} needs…`);
    const result = await runtime.dryRun({ params: this.params, settings: this.runSettings, dir, runId: `${this.name}-dry-run` });
    this.dry.checked(result);
    // The cells are planned against these names; nothing can be faulted.
    this.cluster = { nodes: result.nodes, api: [], faults: noFaults('a dry run starts nothing'), environment: {}, close: async () => undefined };
    return this.cluster;
  }

  /**
   * Gives the API nodes the cell's settings when they differ from what they have. False when that
   * failed: a cell must not run under settings it does not state, so the run stops with what it has.
   */
  private async applySettings(cluster: Cluster, wanted: SettingValues): Promise<boolean> {
    const changed = changedSettings(this.appliedSettings, wanted);
    if (Object.keys(changed).length === 0) return true;
    this.log(`  settings: ${Object.entries(changed).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    try {
      if (!cluster.changeSettings) throw new Error('this runtime cannot change settings while it runs');
      await cluster.changeSettings(this.appliedSettings, wanted);
      this.appliedSettings = wanted;
      return true;
    } catch (err) {
      this.abandon(`could not change the settings: ${(err as Error).message}`);
      return false;
    }
  }

  /** A cell that cannot run as written: say why, run no further cells, report what ran. */
  private abandon(message: string): void {
    console.error(`${this.name}: ${message} — no further cells run`);
    this.interrupt.abort();
    process.exitCode = 2;
  }

  private async setupAccounts(cluster: Cluster): Promise<void> {
    const balances = initialBalances({ accounts: this.params.accounts, initialBalance: this.params.balance });
    await setupAccounts(this.history, cluster.api[0]!, balances);
  }

  /** After the faults are healed: wait until every API node is healthy, then read the ledger. */
  private async audit(cluster: Cluster): Promise<void> {
    const t0 = nowNs();
    try {
      await healthyThenAudit(this.history, cluster.api);
      this.log(`  audited after ${((nowNs() - t0) / 1e9).toFixed(1)} s of recovery; anomalies so far: ${this.live.anomalyCount()}`);
    } catch (err) {
      this.log(`  ⚠ no audit for this cell: ${(err as Error).message} — its transfers stay unsettled until a later audit`);
    }
  }

  private progress(tick: CellTick, cluster: Cluster): void {
    const anomalies = this.live.anomalyCount();
    if (anomalies > this.reportedAnomalies) {
      this.log(`  ‼ ${anomalies} anomal${anomalies === 1 ? 'y' : 'ies'} found so far — see the report`);
      this.reportedAnomalies = anomalies;
    }
    const { name, durationMs, faults } = tick.plan;
    this.display.tick({ name, durationMs, faults, startNs: tick.startNs, nodes: cluster.nodes }, tick.nowNs);
  }

  private runReport(check: CheckResult): RunReport {
    const cells: CellReport[] = this.cells.map((c) => ({
      ...c,
      verdict: check.segments?.[c.name] ?? {
        valid: 'unknown', anomalies: {}, transfers: { ok: 0, fail: 0, info: 0 }, reads: { ok: 0, fail: 0, info: 0 },
        indeterminate: { total: 0, applied: 0, notApplied: 0, unresolved: 0 },
      },
    }));
    return {
      notebook: this.name,
      startedAt: this.startedAt.toISOString(),
      command: rerunCommand(this.params, this.runSettings),
      params: { ...this.params },
      environment: {
        ...this.cluster?.environment,
        'bring-up': `${(this.bringUpMs / 1000).toFixed(1)} s`,
        machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform}`,
        // Other work on the machine takes cores from the cluster: a reader should know.
        'load average (1 min)': `${this.loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`,
        runtime: 'Deno' in globalThis ? `Deno ${(globalThis as any).Deno.version.deno}` : `Node.js ${process.version}`,
      },
      cells,
      check,
    };
  }

  /** The live check is for the terminal; the verdict comes from the file. It must never stop the run. */
  private observeLive(op: Op): void {
    if (this.liveBroken) return;
    try {
      this.live.observe(op);
    } catch (err) {
      this.liveBroken = true;
      this.log(`  ⚠ live check stopped: ${(err as Error).message} (the history file is checked again at the end)`);
    }
  }

  /** A parameter this notebook cannot run with: say why and exit before anything starts. */
  private stop(message: string): never {
    console.error(`${this.name}: ${message}`);
    process.exit(2);
  }

  private requireCluster(): Cluster {
    if (!this.cluster) throw new Error('bring a cluster up first: await nb.up(runtime)');
    return this.cluster;
  }

  private uniqueName(name: string): string {
    let candidate = name;
    for (let i = 2; this.plans.some((p) => p.name === candidate); i++) candidate = `${name} (${i})`;
    return candidate;
  }

  private onSigint(): void {
    // tsx relays the terminal's SIGINT to us although the terminal already sent it: one Ctrl-C
    // can arrive twice within a few milliseconds.
    const sinceFirstMs = Date.now() - this.firstSigintAt;
    if (this.interrupt.signal.aborted && sinceFirstMs < 1000) return;
    if (this.interrupt.signal.aborted) {
      this.log('\nsecond Ctrl-C: tearing down now');
      void this.teardown().finally(() => process.exit(130));
      return;
    }
    // The block goes first, so the lines about stopping are not drawn into it.
    this.display.endCell();
    this.log('\nCtrl-C: stopping the load, healing faults, writing the report of the cells so far (Ctrl-C again to skip)');
    this.firstSigintAt = Date.now();
    this.interrupt.abort();
    process.exitCode = 130;
  }

  private async teardown(): Promise<void> {
    process.off('SIGINT', this.onSigint);
    const cluster = this.cluster;
    this.cluster = null;
    await cluster?.close();
    if (this.scratchDir) await rm(this.scratchDir, { recursive: true, force: true });
    this.scratchDir = null;
  }

  private log(line: string): void {
    this.display.log(line);
  }
}

function rerunCommand(p: Params, settings: SettingValues): string {
  const script = relative(process.cwd(), process.argv[1] ?? 'notebook.ts');
  const engine = Object.entries(settings).flatMap(([k, v]) => [`--${flagOf(k)}`, v]);
  return ['npx', 'tsx', script, ...rerunFlags(p), ...engine].join(' ');
}
