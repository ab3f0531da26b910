// Runs a notebook as a user does (`npx tsx notebooks/NAME.ts …`) into a fresh results folder,
// and hands back its exit code, its output and the folder of the run it wrote.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkFile } from '../../lib/check/check-file.ts';
import type { Segment, SegmentVerdict } from '../../lib/check/verdict.ts';

export interface NotebookRun {
  code: number;
  stdout: string;
  stderr: string;
  /** results/<notebook>/<timestamp>/ of the run, or '' when it wrote none. */
  dir: string;
}

/** @param runner how to run TypeScript: ['tsx'] or ['deno', 'run', '-A'] */
export async function runNotebook(name: string, args: string[], timeoutMs: number, runner: readonly string[] = ['tsx']): Promise<NotebookRun> {
  const out = mkdtempSync(join(tmpdir(), `bankrun-${name}-`));
  const argv = [...runner, `notebooks/${name}.ts`, '--out', out, ...args];
  const r = await promisify(execFile)('npx', argv, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }).then(
    (x) => ({ code: 0, stdout: x.stdout, stderr: x.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const runs = join(out, name);
  return { ...r, dir: existsSync(runs) ? join(runs, readdirSync(runs)[0]!) : '' };
}

/** Each cell's verdict in a run's folder, checked again from its history and params.json. */
export async function cellVerdicts(dir: string): Promise<Record<string, SegmentVerdict>> {
  const params = JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8')) as { segments: Segment[] };
  const check = await checkFile(join(dir, 'history.jsonl.gz'), { segments: params.segments });
  return check.segments ?? {};
}
