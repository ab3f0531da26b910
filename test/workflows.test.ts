// The GitHub workflows cannot run here: the four seed databases need a registry, the platforms job
// a Mac and an arm64 runner. What can be checked without them: their shape (every seed database,
// FoundationDB's client library before npm ci, inputs through env; macOS and Linux arm64 with the
// quickstart) and their own scripts, run here: an empty run, or a fault not applied, must fail them.
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

t.test('FoundationDB: its API node image, with its own binding, is built first, and versions are logged', async (t) => {
  const names = steps.map((s) => s.name);
  const image = stepNamed('FoundationDB API node image (its binding must load)');
  t.ok(names.indexOf(image.name) < names.indexOf('dry run (preflight, compose file, planned cells)'), 'before anything else uses it');
  t.match(image.run, /docker build -t "bankrun\/api-fdb:\$FDB_VERSION" compose\/api-fdb/);
  t.match(readFileSync(join(REPO, 'compose/api-fdb/Dockerfile'), 'utf8'), /npm install [^\n]*foundationdb@2\.0\.1[\s\S]*await import\('foundationdb'\)/, 'the image build fails when the binding does not load');
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

const platforms = parse(readFileSync(join(REPO, '.github/workflows/platforms.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  jobs: { quickstart: { strategy: { matrix: { os: string[] } }; steps: Step[] } };
};

t.test('platforms: macOS arm64 and Linux arm64 on every push, with the tests and a short quickstart', async (t) => {
  t.same(Object.keys(platforms.on).sort(), ['pull_request', 'push']);
  t.same(platforms.jobs.quickstart.strategy.matrix.os, ['macos-14', 'ubuntu-24.04-arm']);
  const runs = platforms.jobs.quickstart.steps.map((s) => s.run ?? '').join('\n');
  t.match(runs, /npm ci --no-audit --no-fund\n[\s\S]*npm test\n[\s\S]*notebooks\/quickstart\.ts --duration 5s --fault-for 2s/);
  t.match(runs, /scripts\/check\.ts "\$run\/history\.jsonl\.gz" --segments-file "\$run\/params\.json"/);
  t.match(runs, /scripts\/ci\/faults-applied\.ts "\$run\/schedule\.json" kill pause/);
});

t.test('faults-applied: passes when every named kind was applied and verified, names what was not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bankrun-faults-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'schedule.json');
  const fault = (kind: string, status: string, verified: boolean) => ({ kind, targets: ['n1'], status, verified, detail: status === 'applied' ? 'ok' : 'no netem' });
  const check = async (schedule: unknown, kinds: string[]) => {
    writeFileSync(file, JSON.stringify(schedule));
    return promisify(execFile)('npx', ['tsx', 'scripts/ci/faults-applied.ts', file, ...kinds], { cwd: REPO }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
  };
  const good = [{ cell: 'steady', faults: [] }, { cell: 'kill', faults: [fault('kill', 'applied', true)] }, { cell: 'pause', faults: [fault('pause', 'applied', true)] }];
  t.equal((await check(good, ['kill', 'pause'])).code, 0);
  const missing = await check(good, ['kill', 'latency']);
  t.equal(missing.code, 1);
  t.match(missing.out, /no latency fault in the run/);
  const unsupported = await check([...good, { cell: 'latency', faults: [fault('latency', 'unsupported', false)] }], ['kill']);
  t.equal(unsupported.code, 1);
  t.match(unsupported.out, /latency: latency unsupported, not verified \(no netem\)/);
  const unverified = await check([{ cell: 'kill', faults: [fault('kill', 'applied', false)] }], ['kill']);
  t.equal(unverified.code, 1, 'applied but not verified is not enough');
});
