// The adapter contract against a live cluster (lib/contract/cases.ts): brings the engine up,
// runs every case through its API nodes, tears it down, and writes contract.json beside the
// compose file in results/contract/<engine>-<N>node/<timestamp>/.
//   npm run contract -- --engine etcd --nodes 3
//   npm run contract -- --engine cockroach          # needs Docker and, once, the image
//   npm run contract -- --adapter ../my-db/tidb.ts --config '{"host":"10.0.0.1"}' [--config …]
//                                                   # your adapter, your running database
// Exit 0 when every case passes, 1 when one fails, 2 for a wrong flag or an engine that cannot start.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { runContract } from '../lib/contract/cases.ts';
import { DEFAULTS } from '../lib/params.ts';
import { makeRunDir, writeJson } from '../lib/results.ts';
import type { Runtime } from '../lib/runtime/cluster.ts';
import { ENGINES, engineNamed } from '../lib/runtime/engines.ts';
import { external, takeExternalFlags, type ExternalOptions } from '../lib/runtime/external.ts';
import { defaultValues } from '../lib/settings.ts';

const USAGE = `usage: npm run contract -- --engine NAME [--nodes N] [--out results]
       npm run contract -- --adapter MODULE --config JSON [--config JSON …] [--out results]
engines: ${Object.keys(ENGINES).join(', ')}`;

function fail(message: string): never {
  console.error(`contract: ${message}\n${USAGE}`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const byo = argv.some((a) => a === '--adapter' || a.startsWith('--adapter='));
let taken = { rest: argv, options: undefined as ExternalOptions | undefined };
try {
  if (byo) taken = takeExternalFlags(argv);
} catch (err) {
  fail((err as Error).message);
}
let values;
try {
  ({ values } = parseArgs({ args: taken.rest, options: { engine: { type: 'string' }, nodes: { type: 'string' }, out: { type: 'string', default: 'results' } }, strict: true }));
} catch (err) {
  fail((err as Error).message);
}
let runtime: Runtime;
let label: string;
let nodes: number;
if (taken.options) {
  if (values.engine) fail('--engine and --adapter exclude each other: name an engine bankrun brings up, or your adapter with its configs');
  runtime = external(taken.options);
  nodes = taken.options.configs.length;
  label = basename(taken.options.adapter).replace(/\.[^.]*$/, '');
} else {
  if (!values.engine) fail('--engine (or --adapter with --config) is required');
  let entry;
  try {
    entry = engineNamed(values.engine);
  } catch (err) {
    fail((err as Error).message);
  }
  nodes = values.nodes === undefined ? entry.nodes : Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1) fail(`--nodes ${values.nodes}: a whole number of nodes, at least 1`);
  runtime = entry.runtime();
  label = values.engine;
}

const params = { ...DEFAULTS, nodes, timeoutMs: 10_000 };
const settings = defaultValues(runtime.settings ?? []);
const refusal = runtime.refuse?.(params, settings);
if (refusal) fail(refusal);

const dir = await makeRunDir(values.out, join('contract', `${label}-${nodes}node`), new Date());
const scratchDir = await mkdtemp(join(tmpdir(), 'bankrun-contract-'));
console.log(`contract: ${runtime.name}, ${nodes} node(s); results in ${relative(process.cwd(), dir)}`);
let cluster;
try {
  cluster = await runtime.start({ params, settings, scratchDir, resultsDir: dir, runId: `contract-${basename(dir)}`, log: (l) => console.log(`  ${l}`) });
} catch (err) {
  console.error(`contract: could not bring up ${runtime.name}: ${(err as Error).message}`);
  await rm(scratchDir, { recursive: true, force: true });
  process.exit(2);
}
let failed = 0;
try {
  const results = await runContract(cluster.api, (r) => console.log(`${r.ok ? '✓' : '✗'} ${r.name} — ${r.detail}`));
  failed = results.filter((r) => !r.ok).length;
  await writeJson(join(dir, 'contract.json'), { engine: label, nodes, environment: cluster.environment, results });
  console.log(`${results.length - failed} passed, ${failed} failed`);
} finally {
  await cluster.close();
  await rm(scratchDir, { recursive: true, force: true });
}
process.exit(failed > 0 ? 1 : 0);
