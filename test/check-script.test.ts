import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { CheckResult } from '../lib/check/verdict.ts';
import { HistoryBuilder } from './helpers/history-builder.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'scripts/check.ts', ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const START = { a0: 100, a1: 100 };

function history(): HistoryBuilder {
  const h = new HistoryBuilder();
  h.setup(START);
  h.transfer('t1', 'a0', 'a1', 5);
  return h;
}

t.test('the check script', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bankrun-check-script-'));

  t.test('valid (gzip input): exit 0 and the verdict as JSON', async (t) => {
    const h = history();
    h.audit({ a0: 95, a1: 105 }, ['t1']);
    const r = await run(await h.write(join(dir, 'valid.jsonl.gz')));
    t.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as CheckResult;
    t.equal(result.valid, true);
    t.equal(result.initialTotal, 200);
  });

  t.test('anomaly: exit 1; --segments splits at audits', async (t) => {
    const h = history();
    h.audit(START, []);
    h.transfer('t2', 'a0', 'a1', 5, 'info');
    h.audit({ a0: 95, a1: 105 }, ['t2']);
    const r = await run(await h.write(join(dir, 'lost.jsonl')), '--segments');
    t.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout) as CheckResult;
    t.equal(result.anomalies.lost?.count, 1);
    t.same(Object.keys(result.segments ?? {}), ['cell 1', 'cell 2']);
    t.equal(result.segments?.['cell 2']?.valid, true);
  });

  t.test('--segments-file names the segments', async (t) => {
    const h = history();
    h.audit({ a0: 95, a1: 105 }, ['t1']);
    const path = await h.write(join(dir, 'named.jsonl'));
    await writeFile(join(dir, 'segments.json'), JSON.stringify([{ name: 'steady', fromIndex: 0 }]));
    const r = await run(path, '--segments-file', join(dir, 'segments.json'));
    t.equal(r.code, 0, r.stderr);
    t.same(Object.keys((JSON.parse(r.stdout) as CheckResult).segments ?? {}), ['steady']);
    await writeFile(join(dir, 'bad-segments.json'), '[{"name": 1}]');
    const bad = await run(path, '--segments-file', join(dir, 'bad-segments.json'));
    t.equal(bad.code, 2);
    t.match(bad.stderr, /bad-segments\.json: expected a JSON array/);
  });

  t.test('unknown (no audit): exit 3 with the reason', async (t) => {
    const r = await run(await history().write(join(dir, 'unaudited.jsonl')));
    t.equal(r.code, 3, r.stderr);
    t.match((JSON.parse(r.stdout) as CheckResult).reason, /no audit/);
  });

  t.test('malformed line: exit 2, stderr names the line', async (t) => {
    const lines = history().jsonl().split('\n');
    lines[2] = lines[2]!.replace('"type":"invoke"', '"type":"begin"');
    await writeFile(join(dir, 'bad.jsonl'), lines.join('\n'));
    const r = await run(join(dir, 'bad.jsonl'));
    t.equal(r.code, 2);
    t.equal(r.stdout, '');
    t.match(r.stderr, /bad\.jsonl: line 3: "type" must be one of/);
  });

  t.test('missing file, no arguments, unknown flag: exit 2 with usage', async (t) => {
    const missing = await run(join(dir, 'nope.jsonl'));
    t.equal(missing.code, 2);
    t.match(missing.stderr, /ENOENT|no such file/);
    const none = await run();
    t.equal(none.code, 2);
    t.match(none.stderr, /usage: /);
    const flag = await run('x.jsonl', '--bogus');
    t.equal(flag.code, 2);
  });

  t.test('--help: exit 0, usage with the exit codes', async (t) => {
    const r = await run('--help');
    t.equal(r.code, 0);
    t.match(r.stdout, /usage: /);
    t.match(r.stdout, /3 {2}unknown/);
  });
});
