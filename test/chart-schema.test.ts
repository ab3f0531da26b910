// Every Vega-Lite spec the report writes validates against Vega-Lite's own JSON schema: for a
// fixture saved before the finer metrics existed and for a cell fed through the recorder.
import { readFile, readdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import t, { type Test } from 'tap';
import { CellRecorder } from '../lib/metrics/cell-recorder.ts';
import type { RunReport } from '../lib/report/model.ts';
import { writeReport } from '../lib/report/write.ts';
import { runFixture } from './helpers/run-fixture.ts';

// not in the package's exports map: read from the installed package's folder
const schema = JSON.parse(await readFile(new URL('../node_modules/vega-lite/build/vega-lite-schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ strict: false, allErrors: true, logger: false, validateFormats: false }).compile(schema);

const S = 1e9;
const MS = 1e6;

/** The fixture's kill cell again, its metrics recorded from operations on three API nodes. */
function recordedRun(): RunReport {
  const run = runFixture();
  const kill = run.cells[1]!;
  const r = new CellRecorder(0);
  for (let i = 0; i < 30 * 200; i++) {
    const due = i * 5 * MS;
    const node = `n${(i % 3) + 1}`;
    const down = node === 'n1' && due >= 10 * S && due < 16 * S;
    r.record('transfer', down ? 'fail' : i % 17 ? 'ok' : 'insufficient', due, due + (down ? 1 : 2 + (i % 7)) * MS, node);
    if (i % 5 === 0) r.record('read', 'ok', due, due + MS, node);
  }
  return { ...run, cells: [{ ...kill, metrics: r.summary(30 * S, 0) }] };
}

async function writtenSpecs(t: Test, run: RunReport): Promise<[string, unknown][]> {
  const dir = await mkdtemp(join(tmpdir(), 'bankrun-schema-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeReport(dir, run);
  const names = (await readdir(join(dir, 'charts'))).filter((f) => f.endsWith('.vl.json'));
  return Promise.all(names.map(async (n): Promise<[string, unknown]> => [n, JSON.parse(await readFile(join(dir, 'charts', n), 'utf8'))]));
}

for (const [what, run] of [['saved data without the finer metrics', runFixture()], ['a recorder-fed cell', recordedRun()]] as const) {
  t.test(`every written spec is valid Vega-Lite: ${what}`, async (t) => {
    const specs = await writtenSpecs(t, run);
    const kinds = new Set(specs.map(([n]) => n.replace(/\.vl\.json$/, '').split('-').at(-1)));
    for (const kind of ['throughput', 'latency', 'distribution', 'mix']) t.ok(kinds.has(kind), `a ${kind} chart was written`);
    if (what === 'a recorder-fed cell') t.ok(kinds.has('nodes'), 'and the per-node chart, from the recorded nodes');
    for (const [name, spec] of specs) {
      const ok = validate(spec);
      t.ok(ok, name, ok ? {} : { errors: validate.errors?.slice(0, 5) });
    }
  });
}

t.test('the validator does reject a spec Vega-Lite would refuse', async (t) => {
  t.notOk(validate({ mark: 'line', encoding: { x: { field: 't', type: 'quantitative', scale: { type: 'logarithmic' } } } }));
  t.notOk(validate({ mark: 'bar', data: { values: [] }, encoding: { y: { field: 'v', type: 'quantity' } } }));
});
