// A real short run with its output in a pipe, as CI and `| tee` see it: plain progress lines,
// the fault that could not be applied said so, and not one control code.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const CONTROL = /[\x00-\x09\x0b-\x1f\x7f]/;

t.test('piped output of a short run: plain lines every 5 s, no control codes', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bankrun-progress-'));
  const { stdout } = await promisify(execFile)('npx', ['tsx', 'test/fixtures/notebooks/memory-short.ts', '--duration', '6s', '--seed', '3', '--out', out], {
    timeout: 120_000, env: { ...process.env, FORCE_COLOR: '1' },
  });
  t.notMatch(stdout, CONTROL, 'no ANSI escapes, no carriage returns');
  const progressLines = stdout.split('\n').filter((l) => /^ +5s {2}ok \d+\/s {2}insufficient \d+\/s {2}failed \d+\/s {2}indeterminate \d+\/s {2}p99 [\d.,]+ ms/.test(l));
  t.equal(progressLines.length, 2, `one line at 5 s in each of the two 6 s cells:\n${stdout}`);
  t.match(stdout, /kill n1 — NOT APPLIED/);
  t.notMatch(stdout, /kill n1 heals in|ACTIVE/, 'a fault that was not applied is never shown as applied');
  t.match(stdout, /✅ valid/);
});
