// The adapter contract (npm run contract) against every engine that runs on a real Docker engine
// here, at 3 nodes: etcd, MariaDB Galera, PostgreSQL with replicas. Skipped, with the reason,
// where no Docker engine answers (CI starts one: scripts/docker/engine.sh).
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CASES } from '../lib/contract/cases.ts';
import { dockerEngineOrSkip, dockerTestLock } from './helpers/docker.ts';

const engine = await dockerEngineOrSkip(t);

if (engine) {
  t.setTimeout(1_800_000);
  for (const name of ['etcd', 'galera', 'postgres-replicas']) {
    t.test(`contract on ${name}, 3 nodes: every case passes`, async (t) => {
      t.teardown(await dockerTestLock());
      const out = mkdtempSync(join(tmpdir(), 'bankrun-contract-'));
      const r = await promisify(execFile)('npx', ['tsx', 'scripts/contract.ts', '--engine', name, '--nodes', '3', '--out', out], { timeout: 400_000 })
        .then((x) => ({ code: 0, stdout: x.stdout, stderr: x.stderr }), (e) => ({ code: e.code as number, stdout: String(e.stdout), stderr: String(e.stderr) }));
      t.equal(r.code, 0, 'exit 0', { stdout: r.stdout, stderr: r.stderr });
      t.match(r.stdout, new RegExp(`${CASES.length} passed, 0 failed`));
      const root = join(out, 'contract', `${name}-3node`);
      const saved = JSON.parse(readFileSync(join(root, readdirSync(root)[0]!, 'contract.json'), 'utf8')) as { results: { ok: boolean }[] };
      t.equal(saved.results.length, CASES.length);
    });
  }
}
