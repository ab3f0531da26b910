// The notebook whose memory `npm run bench` watches (scripts/bench/memory.ts): one long open-loop
// cell into the in-memory reference store behind one API node, checked and reported as any run.
//   npx tsx scripts/bench/memory-notebook.ts --duration 10m --rate 1000
// With BANKRUN_MEMORY_SAMPLE_S set it writes its memory to stderr every that many seconds of
// load, one JSON line each; run with --expose-gc, it also writes the heap still held after a full
// collection once the warm-up (BANKRUN_MEMORY_WARMUP_S) is over and again when the load ends.
import { cell, notebook } from '../../lib/notebook.ts';
import { embeddedMemory } from '../../lib/runtime/embedded.ts';

const sampleS = Number(process.env.BANKRUN_MEMORY_SAMPLE_S ?? 0);
const warmUpS = Number(process.env.BANKRUN_MEMORY_WARMUP_S ?? 0);
const gc = (globalThis as { gc?: () => void }).gc;

const nb = await notebook('bench-memory');
await nb.up(embeddedMemory());
const loadStartMs = Date.now();
const atS = () => (Date.now() - loadStartMs) / 1000;
const write = (line: object) => process.stderr.write(JSON.stringify(line) + '\n');
const sample = () => {
  const m = process.memoryUsage();
  write({ memory: { atS: atS(), rssBytes: m.rss, heapTotalBytes: m.heapTotal, heapUsedBytes: m.heapUsed, externalBytes: m.external } });
};
const held = () => {
  gc!();
  write({ held: { atS: atS(), heapUsedBytes: process.memoryUsage().heapUsed } });
};
const sampler = sampleS > 0 ? setInterval(sample, sampleS * 1000) : undefined;
const warmUp = sampleS > 0 && gc ? setTimeout(held, warmUpS * 1000) : undefined;
if (sampleS > 0) sample();
await nb.run(cell('steady'));
clearInterval(sampler);
clearTimeout(warmUp);
if (sampleS > 0 && gc) held();
await nb.report();
