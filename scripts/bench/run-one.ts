// One section of `npm run bench` on its own, printing its Markdown and figures:
//   npx tsx scripts/bench/run-one.ts pgbench|coordinated-omission|bring-up|memory [--quick] [--out DIR]
import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { BenchSection, BenchOptions } from './section.ts';

const SECTIONS = ['pgbench', 'coordinated-omission', 'bring-up', 'memory'];
const { values, positionals } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string', default: '/tmp/bankrun-bench-section' } },
  allowPositionals: true,
});
const name = positionals[0];
if (!name || !SECTIONS.includes(name) || positionals.length > 1) {
  console.error(`usage: npx tsx scripts/bench/run-one.ts ${SECTIONS.join('|')} [--quick] [--out DIR]`);
  process.exit(2);
}
await mkdir(values.out!, { recursive: true });
const mod = (await import(`./${name}.ts`)) as { run(opts: BenchOptions): Promise<BenchSection> };
const started = Date.now();
const section = await mod.run({ outDir: values.out!, log: (line) => console.log(line), quick: values.quick! });
console.log(`\n## ${section.title}\n\n${section.markdown}\n`);
console.log(JSON.stringify({ figures: section.figures, targetMet: section.targetMet, seconds: (Date.now() - started) / 1000 }));
