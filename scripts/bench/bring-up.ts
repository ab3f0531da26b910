// Bring-up: for every engine that runs here under Docker (its images built from Debian packages,
// no registry), the time from "up" (runtime.start: preflight, leftovers removed, compose up,
// every database node's healthcheck, every API node's /health) to all nodes ready, at 3, 5 and
// 7 nodes; then the runtime's own teardown, timed as well. Nothing is left behind.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowNs } from '../../lib/clock.ts';
import { DEFAULTS, type Params } from '../../lib/params.ts';
import { connectDocker } from '../../lib/runtime/docker/engine.ts';
import { ENGINES } from '../../lib/runtime/engines.ts';
import { defaultValues } from '../../lib/settings.ts';
import type { BenchOptions, BenchSection } from './section.ts';

export interface BringUp {
  engine: string;
  nodes: number;
  /** From runtime.start() to every database node healthy and every API node answering /health. */
  upSeconds?: number;
  /** The runtime's teardown (compose down -v, leftovers removed). */
  downSeconds?: number;
  /** Why this size did not come up. */
  error?: string;
}

/** Engines whose images are built here and need no registry: the ones `npm run bench` can time. */
export function enginesHere(): string[] {
  return Object.entries(ENGINES).filter(([, e]) => e.docker && e.runsWithoutRegistry).map(([name]) => name);
}

/** Brings one engine up at `nodes` nodes and tears it down again, timing both. */
export async function timeBringUp(engine: string, nodes: number, log: (line: string) => void): Promise<BringUp> {
  const runtime = ENGINES[engine]!.runtime();
  const params: Params = { ...DEFAULTS, seed: 1, nodes };
  const settings = defaultValues(runtime.settings ?? []);
  const refusal = runtime.refuse?.(params, settings);
  if (refusal) return { engine, nodes, error: refusal };
  const dir = await mkdtemp(join(tmpdir(), `bankrun-bench-up-${engine}-`));
  const runId = `bench-up-${engine}-${nodes}-${Date.now()}`;
  try {
    const t0 = nowNs();
    let cluster;
    try {
      cluster = await runtime.start({ params, settings, scratchDir: dir, resultsDir: dir, runId, log: (l) => log(`    ${l}`) });
    } catch (err) {
      // start() tears a half-started cluster down itself.
      return { engine, nodes, error: (err as Error).message };
    }
    const upSeconds = (nowNs() - t0) / 1e9;
    const t1 = nowNs();
    await cluster.close();
    return { engine, nodes, upSeconds, downSeconds: (nowNs() - t1) / 1e9 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const firstLine = (text: string) => text.split('\n')[0]!;

/** Undefined when a Docker engine answers, else why not and what to do. */
async function dockerMissing(): Promise<string | undefined> {
  try {
    await connectDocker();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export async function run(opts: BenchOptions): Promise<BenchSection> {
  const sizes = opts.quick ? [3] : [3, 5, 7];
  const engines = enginesHere();
  const title = 'Bring-up';
  const missing = await dockerMissing();
  if (missing) {
    opts.log(`bring-up: not measured — ${missing}`);
    return { title, markdown: `Not measured: ${missing}.`, figures: {} };
  }
  opts.log(`bring-up: ${engines.join(', ')} at ${sizes.join(', ')} nodes under Docker, each up then torn down`);
  const results: BringUp[] = [];
  for (const engine of engines) {
    for (const nodes of sizes) {
      opts.log(`  ${engine} × ${nodes}…`);
      const r = await timeBringUp(engine, nodes, () => undefined);
      results.push(r);
      opts.log(r.error ? `  ${engine} × ${nodes}: did not come up — ${firstLine(r.error)}` : `  ${engine} × ${nodes}: ready in ${r.upSeconds!.toFixed(1)} s, down in ${r.downSeconds!.toFixed(1)} s`);
    }
  }
  const cell = (engine: string, nodes: number) => {
    const r = results.find((x) => x.engine === engine && x.nodes === nodes)!;
    return r.error ? 'did not come up (below)' : `${r.upSeconds!.toFixed(1)} (down ${r.downSeconds!.toFixed(1)})`;
  };
  const markdown = [
    'Seconds from "up" to every database node healthy and every API node answering `/health` (the Docker runtime\'s ' +
      '`start`: engine preflight, leftovers of earlier runs removed, compose file written, `up -d --build` with the images ' +
      'already built, the healthchecks and API nodes awaited), and in brackets the teardown (`down -v`, leftovers removed). ' +
      `Engines whose images are built here from Debian packages; each size brought up once, one after another.`,
    '',
    `| engine | ${sizes.map((n) => `${n} nodes`).join(' | ')} |`,
    `| --- | ${sizes.map(() => '---:').join(' | ')} |`,
    ...engines.map((e) => `| ${e} | ${sizes.map((n) => cell(e, n)).join(' | ')} |`),
    ...results.filter((r) => r.error).flatMap((r) => ['', `${r.engine} at ${r.nodes} nodes did not come up:`, '', '```', r.error!.trimEnd(), '```']),
  ].join('\n');
  const figures: Record<string, number | string> = {};
  for (const r of results) figures[`${r.engine}${r.nodes}UpSeconds`] = r.error ? 'failed' : Number(r.upSeconds!.toFixed(1));
  return { title, markdown, figures };
}
