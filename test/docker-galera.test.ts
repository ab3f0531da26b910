// The Galera notebook on a real Docker engine: 3 nodes with their API nodes come up Synced, every
// fault it can apply is applied and verified (kill -9 of n1 included: n1 must rejoin the running
// cluster with its data, not bootstrap a second one), unsupported ones are reported, the verdict
// is valid, and nothing bankrun-labelled is left behind.
// Skipped, with the reason, where no Docker engine answers (CI starts one: scripts/docker/engine.sh).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { LABEL, PROJECT } from '../lib/runtime/docker/labels.ts';
import { dockerEngineOrSkip, dockerTestLock } from './helpers/docker.ts';
import { runNotebook } from './helpers/run-notebook.ts';

const docker = new Docker();
const engine = await dockerEngineOrSkip(t);

const ours = () => docker.listContainers({ all: true, filters: { label: [`${LABEL.project}=${PROJECT}`] } });

interface Fault {
  kind: string;
  status: string;
  verified: boolean;
  detail?: string;
}

if (engine) {
  // Waiting for another Docker test file (the lock) comes on top of this one's ~2 minutes.
  t.setTimeout(1_800_000);
  t.test('galera, 3 nodes: faults applied and verified, n1 rejoins after kill -9, valid, nothing left behind', async (t) => {
    t.teardown(await dockerTestLock());
    const r = await runNotebook('galera-3node', ['--duration', '8s', '--fault-for', '3s', '--seed', '3'], 280_000);
    t.equal(r.code, 0, `exit 0\n${r.stdout}\n${r.stderr}`);
    t.match(r.stdout, /✅ valid/);
    const dir = r.dir;
    const schedule = JSON.parse(readFileSync(join(dir, 'schedule.json'), 'utf8')) as { cell: string; faults: Fault[] }[];
    const byKind = Object.fromEntries(schedule.flatMap((c) => c.faults).map((f) => [f.kind, f]));
    for (const kind of ['kill', 'pause', 'partition', 'loss']) {
      t.same([byKind[kind]?.status, byKind[kind]?.verified], ['applied', true], `${kind} applied and verified`);
    }
    // The kill's heal waits until the restarted n1 is Synced in a majority component: an n1 that
    // bootstrapped a cluster of its own would stay unhealthy, and the kill unverified.
    t.match(readFileSync(join(dir, 'report.md'), 'utf8'), /REPEATABLE READ/, 'the report states the isolation');
    const latency = byKind.latency!;
    if (latency.status === 'unsupported') t.match(latency.detail, /no netem/, 'latency is reported unsupported, with the reason');
    else t.same([latency.status, latency.verified], ['applied', true], 'latency applied and verified');
    t.same(await ours(), [], 'nothing bankrun-labelled is left');
  });
}
