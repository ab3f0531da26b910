// The GitHub workflow that runs the four seed databases cannot run here (no registry, no images),
// so what can be checked without it is: its shape (every seed database, FoundationDB's client
// library before npm ci, inputs through env) and its notebook step's own script, run under bash
// with a stand-in `npx` that prints what a notebook would: an empty run must fail it.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { parse } from 'yaml';

interface Step { name?: string; run?: string; if?: string; uses?: string }
const REPO = join(import.meta.dirname, '..');
const workflow = parse(readFileSync(join(REPO, '.github/workflows/target-databases.yml'), 'utf8')) as {
  permissions: Record<string, string>;
  jobs: { engine: { strategy: { matrix: { include: { engine: string; notebook: string; nodes: number }[] } }; steps: Step[] }; compare: { needs: string; steps: Step[] } };
};
const steps = workflow.jobs.engine.steps;
const stepNamed = (name: string) => steps.find((s) => s.name === name)!;

t.test('every seed database at 3 nodes, CockroachDB also at 5, each notebook present', async (t) => {
  const matrix = workflow.jobs.engine.strategy.matrix.include;
  t.same(matrix.map((m) => `${m.engine}-${m.nodes}`).sort(), ['cockroach-3', 'cockroach-5', 'foundationdb-3', 'ydb-3', 'yugabyte-3']);
  for (const m of matrix) t.doesNotThrow(() => readFileSync(join(REPO, 'notebooks', `${m.notebook}.ts`)), m.notebook);
  t.equal(workflow.jobs.compare.needs, 'engine', 'the comparison runs after the four');
  t.match(workflow.jobs.compare.steps.map((s) => s.run ?? '').join('\n'), /scripts\/compare\.ts "\$\{runs\[@\]\}"/);
});

t.test('FoundationDB: its client library goes in before npm ci, and a binding that does not load stops the job', async (t) => {
  const names = steps.map((s) => s.name);
  t.ok(names.indexOf('FoundationDB client library') < names.indexOf('npm ci'));
  t.match(stepNamed('FoundationDB client library').run, /foundationdb-clients_\$\{FDB_VERSION\}-1_amd64\.deb/);
  t.match(stepNamed('FoundationDB binding loads').run, /setAPIVersion\(720\).*\|\| \{ .*exit 1; \}/s);
  t.match(stepNamed('versions').run, /node -v\n\s*npm -v/);
});

t.test('least privilege; inputs reach scripts only through env', async (t) => {
  t.same(workflow.permissions, { contents: 'read' });
  for (const s of [...steps, ...workflow.jobs.compare.steps]) t.notMatch(s.run ?? '', /\$\{\{/, `${s.name ?? s.uses}: no expression inside a script`);
});

t.test('the notebook step fails an empty run, a crash and a run without a report; passes a verdict with its report', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bankrun-workflow-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  const fakeNpx = join(dir, 'bin', 'npx');
  writeFileSync(join(dir, 'report.md'), '# run\n\n| cell | ok/s |\n| --- | --- |\n| steady | 90 |\n');
  const script = stepNamed('notebook').run!;
  const runStep = async (output: string, code: number) => {
    writeFileSync(fakeNpx, `#!/bin/sh\ncat <<'EOF'\n${output}\nEOF\nexit ${code}\n`, { mode: 0o755 });
    // GitHub's shell for run steps: bash --noprofile --norc -eo pipefail.
    return promisify(execFile)('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      cwd: dir,
      env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, NOTEBOOK: 'x', NODES: '3', DURATION: '1s', OUT: 'out' },
    }).then(() => 0, (e: { code: number }) => e.code);
  };
  t.not(await runStep('', 0), 0, 'no output at all');
  t.not(await runStep('bringing up…', 0), 0, 'exit 0 without a verdict line');
  t.equal(await runStep('❌ invalid — 1 lost\nreport: missing/report.md', 1), 1, 'a verdict whose report is missing');
  t.equal(await runStep('cannot bring up', 2), 2, 'a run that could not start keeps its code');
  t.equal(await runStep('✅ valid — no money created, lost or overspent\nreport: report.md', 0), 0);
  t.equal(await runStep('❌ invalid — 3 lost\nreport: report.md', 1), 0, 'an invalid verdict is a finding, not a broken job');
});
