// npm run bench — how fast and how right is bankrun itself? Runs the sections in scripts/bench/
// one after another (bring-up beside the 10-minute memory run, which watches a process of its own
// and is not timed: together they keep the whole bench under 15 minutes) and writes results/bench/<UTC timestamp>/bench.md, with bench.json beside it
// holding the same figures. bench.md is rewritten after each section, so a run cut short keeps
// what it measured.
//
//   npm run bench [-- --only harness,checker] [--quick] [--out results]
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeRunDir, writeJson } from '../lib/results.ts';
import type { BenchOptions, BenchSection } from './bench/section.ts';

interface SectionModule {
  run(opts: BenchOptions): Promise<BenchSection>;
}

/**
 * Every section, in the order they run; `--only` picks by these names. Sections of one stage run
 * at the same time: the memory run's figure is its process's RSS, which the CPU that bring-up
 * takes does not change (bench.md says which ran together).
 */
const SECTIONS: readonly { name: string; stage: number; load: () => Promise<SectionModule> }[] = [
  { name: 'harness', stage: 1, load: () => import('./bench/harness-ceiling.ts') },
  { name: 'pgbench', stage: 2, load: () => import('./bench/pgbench.ts') },
  { name: 'coordinated-omission', stage: 3, load: () => import('./bench/coordinated-omission.ts') },
  { name: 'checker', stage: 4, load: () => import('./bench/checker.ts') },
  { name: 'memory', stage: 5, load: () => import('./bench/memory.ts') },
  { name: 'bring-up', stage: 5, load: () => import('./bench/bring-up.ts') },
];

interface Finished {
  name: string;
  /** Other sections that ran at the same time. */
  alongside: string[];
  seconds: number;
  section: BenchSection;
  /** The section threw: its message, and the section counts as not meeting its target. */
  error?: string;
}

function parseFlags(): { only: string[]; quick: boolean; out: string } {
  const usage = `usage: npm run bench [-- --only ${SECTIONS.map((s) => s.name).join(',')}] [--quick] [--out results]`;
  let values;
  try {
    ({ values } = parseArgs({
      options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, out: { type: 'string', default: 'results' } },
      strict: true,
    }));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
  const known = SECTIONS.map((s) => s.name);
  const only = values.only === undefined ? known : values.only.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((name) => !known.includes(name));
  if (unknown.length > 0 || only.length === 0) {
    console.error(`bench: --only ${JSON.stringify(values.only)}: ${unknown.length ? `no section ${unknown.join(', ')}` : 'names no section'}; the sections are ${known.join(', ')}\n${usage}`);
    process.exit(2);
  }
  return { only, quick: values.quick!, out: values.out! };
}

function machine(): Record<string, string | number> {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    'memory (GiB)': Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    os: `${platform()} ${release()}`,
    'load average at start (1 min)': Number(loadavg()[0]!.toFixed(2)),
  };
}

function renderMarkdown(started: Date, flags: { only: string[]; quick: boolean }, host: Record<string, string | number>, done: Finished[]): string {
  const args = [...(flags.only.length < SECTIONS.length ? [`--only ${flags.only.join(',')}`] : []), ...(flags.quick ? ['--quick'] : [])];
  const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
  const met = (f: Finished): string => (f.error ? 'error' : f.section.targetMet === undefined ? '—' : f.section.targetMet ? 'met' : '**not met**');
  const parts = [
    `# bankrun bench — ${started.toISOString().replace('T', ' ').replace(/\.\d+Z/, ' UTC')}`,
    `Machine: ${host.cores} cores (${host.cpu}), ${host['memory (GiB)']} GiB, Node.js ${host.node}, ${host.os}; ` +
      `1-minute load average ${host['load average at start (1 min)']} at the start (other work on the machine shares its cores).`,
    `Re-run: \`${command}\`${flags.quick ? ' — **a quick smoke run: every section shortened, figures not comparable with the targets**' : ''}`,
    ['| section | target | time s |', '| --- | --- | ---: |', ...done.map((f) => `| ${f.section.title}${f.alongside.length ? ` (beside ${f.alongside.join(', ')})` : ''} | ${met(f)} | ${f.seconds.toFixed(0)} |`)].join('\n'),
    ...done.flatMap((f) => [`## ${f.section.title}`, f.section.markdown]),
  ];
  return parts.join('\n\n') + '\n';
}

const flags = parseFlags();
const started = new Date();
const host = machine();
const dir = await makeRunDir(flags.out, 'bench', started);
const log = (line: string): void => console.log(line);
const done: Finished[] = [];
const chosen = SECTIONS.filter((s) => flags.only.includes(s.name));
for (const stage of [...new Set(chosen.map((s) => s.stage))]) {
  const together = chosen.filter((s) => s.stage === stage);
  const finished = await Promise.all(together.map(async ({ name, load }): Promise<Finished> => {
    const alongside = together.filter((s) => s.name !== name).map((s) => s.name);
    const say = together.length > 1 ? (line: string) => log(line.split('\n').map((l) => `[${name}] ${l}`).join('\n')) : log;
    log(`\n== ${name}${alongside.length ? ` (beside ${alongside.join(', ')})` : ''}`);
    const t0 = performance.now();
    try {
      const section = await (await load()).run({ outDir: dir, log: say, quick: flags.quick });
      return { name, alongside, seconds: (performance.now() - t0) / 1000, section };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`${name} failed: ${message}`);
      return {
        name,
        alongside,
        seconds: (performance.now() - t0) / 1000,
        section: { title: name, markdown: `This section failed before it could measure anything:\n\n\`\`\`\n${message}\n\`\`\``, figures: {}, targetMet: false },
        error: message,
      };
    }
  }));
  done.push(...finished);
  await writeFile(join(dir, 'bench.md'), renderMarkdown(started, flags, host, done));
  await writeJson(join(dir, 'bench.json'), {
    started: started.toISOString(),
    machine: host,
    flags,
    sections: done.map((f) => ({ name: f.name, title: f.section.title, seconds: Number(f.seconds.toFixed(1)), alongside: f.alongside, targetMet: f.section.targetMet ?? null, figures: f.section.figures, ...(f.error ? { error: f.error } : {}) })),
  });
}
log(`\nbench: ${join(dir, 'bench.md')} (${((Date.now() - started.getTime()) / 1000).toFixed(0)} s)`);
if (done.some((f) => f.error)) process.exitCode = 1;
