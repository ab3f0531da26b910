// The Galera notebook on a real Docker engine: 3 nodes with their API nodes come up Synced, every
// fault it can apply is applied and verified (kill -9 of n1 included: n1 must rejoin the running
// cluster with its data, not bootstrap a second one), unsupported ones are reported, every cell is
// valid but the last, which reads without row locks and must be caught losing updates, and
// nothing bankrun-labelled is left behind.
// Skipped, with the reason, where no Docker engine answers (CI starts one: scripts/docker/engine.sh).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { LABEL, PROJECT } from '../lib/runtime/docker/labels.ts';
import { dockerEngineOrSkip, dockerTestLock } from './helpers/docker.ts';
import { cellVerdicts, runNotebook } from './helpers/run-notebook.ts';

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
  t.test('galera, 3 nodes: faults applied and verified, n1 rejoins after kill -9, valid until row locks go, nothing left behind', async (t) => {
    t.teardown(await dockerTestLock());
    const r = await runNotebook('galera-3node', ['--duration', '8s', '--fault-for', '3s', '--seed', '3'], 280_000);
    const dir = r.dir;
    t.ok(dir, 'a run was written', { stdout: r.stdout, stderr: r.stderr });
    const verdicts = await cellVerdicts(dir);
    const weak = 'no row locks: plain SELECT, then UPDATE';
    t.same(Object.entries(verdicts).filter(([name, v]) => name !== weak && v.valid !== true).map(([name]) => name), [], 'every cell with row locks is valid');
    t.equal(verdicts[weak]?.valid, false, `without row locks, anomalies are found: ${JSON.stringify(verdicts[weak]?.anomalies)}`);
    t.equal(r.code, 1, 'the run exits 1: it found anomalies');
    const schedule = JSON.parse(readFileSync(join(dir, 'schedule.json'), 'utf8')) as { cell: string; faults: Fault[] }[];
    const byKind = Object.fromEntries(schedule.flatMap((c) => c.faults).map((f) => [f.kind, f]));
    for (const kind of ['kill', 'pause', 'partition', 'loss']) {
      t.same([byKind[kind]?.status, byKind[kind]?.verified], ['applied', true], `${kind} applied and verified`);
    }
    // The kill's heal waits until the restarted n1 is Synced in a majority component: an n1 that
    // bootstrapped a cluster of its own would stay unhealthy, and the kill unverified.
    const report = readFileSync(join(dir, 'report.md'), 'utf8');
    t.match(report, /isolation repeatable read \(snapshot\) · transfer reads SELECT … FOR UPDATE/, 'the report states the isolation and the row locks');
    t.match(report, /transfer reads plain SELECT \(no row locks\)/, 'and the weaker setting of the last cell');
    const latency = byKind.latency!;
    if (latency.status === 'unsupported') t.match(latency.detail, /no netem/, 'latency is reported unsupported, with the reason');
    else t.same([latency.status, latency.verified], ['applied', true], 'latency applied and verified');
    t.same(await ours(), [], 'nothing bankrun-labelled is left');
  });
}
