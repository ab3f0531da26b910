// scripts/export-elle.ts: a real run's history as Jepsen's EDN, read back with an EDN parser:
// every op but setup, in order, mapped as lib/history/edn.ts says; a malformed history is refused.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { parseEDNString } from 'edn-data';
import type { Op } from '../lib/history/op.ts';
import { runNotebook } from './helpers/run-notebook.ts';

const run = promisify(execFile);

t.test('a quickstart history with kill and pause, exported and read back', async (t) => {
  const nb = await runNotebook('quickstart', ['--duration', '2s', '--fault-for', '1s', '--seed', '5'], 180_000);
  t.equal(nb.code, 0, 'the run is valid', { stdout: nb.stdout });
  const historyPath = join(nb.dir, 'history.jsonl.gz');
  const ops = gunzipSync(readFileSync(historyPath)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Op);
  const out = join(mkdtempSync(join(tmpdir(), 'bankrun-edn-')), 'history.edn');
  await run('npx', ['tsx', 'scripts/export-elle.ts', historyPath, '--out', out]);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  t.match(lines[0], /^; bankrun history for jepsen\.tests\.bank\/checker: test map \{:accounts \["a0" .* "a9"\] :total-amount 1000\}$/);
  const edn = lines.slice(1).map((l) => parseEDNString(l, { mapAs: 'object', keywordAs: 'string' }) as Record<string, unknown>);
  const expected = ops.filter((o) => o.f !== 'setup');
  t.equal(edn.length, expected.length, 'one EDN op per op, setup left out');
  t.same(edn.map((e) => e.index), expected.map((o) => o.index), 'in order, with their indexes');
  const sample = (f: string, type: string) => expected.findIndex((o) => o.f === f && o.type === type);
  const transfer = sample('transfer', 'ok');
  t.same(edn[transfer]!.value, expected[transfer]!.value, ':transfer keeps {:from :to :amount} and its :id');
  t.same([edn[transfer]!.type, edn[transfer]!.f, edn[transfer]!.process], ['ok', 'transfer', expected[transfer]!.process]);
  const read = sample('read', 'ok');
  t.same(edn[read]!.value, (expected[read]!.value as { balances: unknown }).balances, ':read is the balances map');
  const audit = sample('audit', 'ok');
  t.same([edn[audit]!.f, edn[audit]!.audit], ['read', true], 'the audit is a :read, marked');
  const kills = edn.filter((e) => e.process === 'nemesis');
  t.ok(kills.length >= 4 && kills.every((e) => e.type === 'info'), 'nemesis ops are :info with :process :nemesis');
  t.ok(kills.some((e) => e.f === 'kill') && kills.some((e) => e.f === 'pause'));
  const failed = expected.findIndex((o) => o.f === 'transfer' && o.type === 'fail');
  if (failed >= 0) t.equal(edn[failed]!.error, expected[failed]!.error, 'a failure keeps its :error');
});

t.test('a malformed history is refused with its line; a missing one with its path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bankrun-edn-'));
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"index":0,"type":"invoke","f":"transfer","process":1,"node":"n1","time":0,"value":{"id":"t","from":"a0","to":"a1","amount":1}}\nnot json\n');
  const r = await run('npx', ['tsx', 'scripts/export-elle.ts', bad]).catch((e) => e);
  t.equal(r.code, 2);
  t.match(r.stderr, /line 2/);
  const missing = await run('npx', ['tsx', 'scripts/export-elle.ts', join(dir, 'nope.jsonl')]).catch((e) => e);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /nope\.jsonl: ENOENT/);
});
