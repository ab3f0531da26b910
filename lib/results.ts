// The results folder of one run: results/<notebook>/<UTC timestamp>/, and the files beside the
// report that make the run reproducible and re-checkable.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/** A folder name that sorts by time and is valid on every file system: 2026-11-25T190312Z. */
export function timestampName(date: Date): string {
  return date.toISOString().replace(/:/g, '').replace(/\.\d+Z$/, 'Z');
}

export async function makeRunDir(outRoot: string, notebook: string, startedAt: Date): Promise<string> {
  const dir = join(outRoot, notebook, timestampName(startedAt));
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2) + '\n');
}

/** history.jsonl → history.jsonl.gz (the plain file is removed once the archive is complete). */
export async function gzipHistory(plainPath: string): Promise<string> {
  const gzPath = `${plainPath}.gz`;
  await pipeline(createReadStream(plainPath), createGzip(), createWriteStream(gzPath));
  await rm(plainPath);
  return gzPath;
}
