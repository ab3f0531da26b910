// The Docker runtime on a real engine: the cleanup preamble removes bankrun's leftovers and
// nothing else; the etcd notebook brings up 3 members with their API nodes, applies each fault
// it can, reports the ones it cannot as unsupported, and leaves nothing bankrun-labelled behind.
// Skipped, with the reason, where no Docker engine answers (CI starts one: scripts/docker/engine.sh).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { removeLeftovers } from '../lib/runtime/docker/cleanup.ts';
import { LABEL, PROJECT, labels } from '../lib/runtime/docker/labels.ts';
import { dockerEngineOrSkip, dockerTestLock } from './helpers/docker.ts';
import { cellVerdicts, runNotebook } from './helpers/run-notebook.ts';

// Notebooks under Docker take minutes, and this file may wait for another Docker test's lock.
t.setTimeout(1_800_000);
const docker = new Docker();
const engine = await dockerEngineOrSkip(t);

const ours = () => docker.listContainers({ all: true, filters: { label: [`${LABEL.project}=${PROJECT}`] } });

if (engine) {
  // Cleanup preambles remove every bankrun container: one Docker test file at a time.
  t.before(async () => {
    t.teardown(await dockerTestLock());
  });

  t.test('the cleanup preamble removes bankrun-labelled containers and volumes, and nothing else', async (t) => {
    const image = 'debian:bookworm-slim';
    const foreignVolume = await docker.createVolume({ Name: 'not-bankrun-volume' });
    const foreign = await docker.createContainer({ Image: image, Cmd: ['sleep', '600'], name: 'not-bankrun', HostConfig: { Binds: ['not-bankrun-volume:/data'] } });
    await foreign.start();
    t.teardown(async () => {
      await foreign.remove({ force: true }).catch(() => undefined);
      await docker.getVolume('not-bankrun-volume').remove().catch(() => undefined);
    });
    await docker.createVolume({ Name: 'bankrun-leftover-volume', Labels: labels('old-run', 'db', 'n1') });
    const leftover = await docker.createContainer({
      Image: image, Cmd: ['sleep', '600'], name: 'bankrun-leftover', Labels: labels('old-run', 'db', 'n1'),
      HostConfig: { Binds: ['bankrun-leftover-volume:/data'] },
    });
    await leftover.start();
    const exited = await docker.createContainer({ Image: image, Cmd: ['true'], name: 'bankrun-exited', Labels: labels('old-run', 'api', 'n1') });

    const removed = await removeLeftovers(docker);
    t.ok(removed.containers.includes('bankrun-leftover') && removed.containers.includes('bankrun-exited'), 'running and exited leftovers removed');
    t.ok(removed.volumes.includes('bankrun-leftover-volume'), 'their volume removed');
    t.equal((await foreign.inspect()).State.Running, true, 'the foreign container is still running');
    t.ok(await docker.getVolume(foreignVolume.name).inspect(), 'the foreign volume is still there');
    t.same(await ours(), [], 'no bankrun container left');
    await t.rejects(exited.inspect(), 'the exited one is gone too');
  });

  t.test('etcd, 3 members: faults applied and verified, unsupported ones reported, nothing left behind', async (t) => {
    const r = await runNotebook('etcd-3node', ['--duration', '8s', '--fault-for', '3s', '--seed', '3'], 900_000);
    t.equal(r.code, 0, `exit 0\n${r.stdout}\n${r.stderr}`);
    t.match(r.stdout, /✅ valid/);
    const dir = r.dir;
    t.ok(existsSync(join(dir, 'compose.yml')), 'the compose file is saved with the results');
    const schedule = JSON.parse(readFileSync(join(dir, 'schedule.json'), 'utf8')) as { cell: string; faults: { kind: string; status: string; verified: boolean; detail?: string }[] }[];
    const fixed = schedule.filter((c) => c.cell !== 'random faults');
    const byKind = Object.fromEntries(fixed.flatMap((c) => c.faults).map((f) => [f.kind, f]));
    const drawn = schedule.find((c) => c.cell === 'random faults')!.faults;
    t.equal(drawn.length, 3, 'the random cell drew three faults');
    t.ok(drawn.every((f) => f.status === 'applied' && f.verified), `each applied and verified: ${drawn.map((f) => `${f.kind} ${f.status}`).join(', ')}`);
    t.match(r.stdout, /kill n\d — applied/, 'the leader was found and killed');
    for (const kind of ['kill', 'pause']) t.same([byKind[kind]?.status, byKind[kind]?.verified], ['applied', true], `${kind} applied and verified`);
    for (const kind of ['partition', 'bandwidth']) t.same([byKind[kind]?.status, byKind[kind]?.verified], ['applied', true], `${kind} applied and verified`);
    const losses = fixed.flatMap((c) => c.faults).filter((f) => f.kind === 'loss');
    t.ok(losses.length === 2 && losses.every((f) => f.status === 'applied' && f.verified), 'loss, steady and deteriorating, applied and verified');
    t.match(losses[1]?.detail, /levels 10 → 30 → 60/);
    // Latency needs netem: applied where the kernel has it, reported unsupported (never applied) where not.
    const latency = byKind.latency!;
    if (latency.status === 'unsupported') {
      t.match(latency.detail, /no netem/, 'latency is reported unsupported, with the reason');
      t.match(readFileSync(join(dir, 'report.md'), 'utf8'), /unsupported/);
    } else {
      t.same([latency.status, latency.verified], ['applied', true], 'latency applied and verified');
    }
    t.match(readFileSync(join(dir, 'report.md'), 'utf8'), /read mode serializable \(local, may be stale\)/, 'the last cell states its read mode');
    // Linearizable reads (every cell but the last) go through the leader: none may be stale.
    const verdicts = await cellVerdicts(dir);
    const linearizable = Object.entries(verdicts).filter(([name]) => name !== 'isolate n1, serializable reads');
    t.ok(linearizable.every(([, v]) => (v.realtime?.checked ?? 0) > 0), 'reads carry versions and are checked in every cell');
    t.same(linearizable.filter(([, v]) => v.realtime?.stale).map(([name, v]) => `${name}: ${v.realtime!.stale}`), [], 'no stale read where reads are linearizable');
    t.comment(`serializable reads on an isolated n1: ${JSON.stringify(verdicts['isolate n1, serializable reads']?.realtime)}`);
    t.same(await ours(), [], 'nothing bankrun-labelled is left');
  });

  t.test('postgres, primary and 2 replicas: writes only through the primary, valid, nothing left behind', async (t) => {
    const r = await runNotebook('postgres-3node', ['--duration', '6s', '--fault-for', '2s', '--seed', '3'], 900_000);
    const dir = r.dir;
    t.ok(dir, 'a run was written', { stdout: r.stdout, stderr: r.stderr });
    // The last cell kills the primary with synchronous_commit off: it may lose acknowledged
    // transfers (and then only those), or be lucky. Every other cell must be valid.
    const verdicts = await cellVerdicts(dir);
    const weak = 'kill -9 the primary with synchronous_commit off';
    t.same(Object.entries(verdicts).filter(([name, v]) => name !== weak && v.valid !== true).map(([name]) => name), [], 'every cell before it is valid');
    t.ok(verdicts[weak]?.valid === true || Object.keys(verdicts[weak]?.anomalies ?? {}).every((a) => a === 'lost'),
      `the weak cell: ${JSON.stringify(verdicts[weak])}`);
    t.equal(r.code, verdicts[weak]?.valid === true ? 0 : 1, 'the exit code follows the verdict');
    t.match(readFileSync(join(dir, 'report.md'), 'utf8'), /synchronous_commit off \(acknowledged before the WAL flush\)/);
    const history = readFileSync(join(dir, 'history.jsonl.gz'));
    const { gunzipSync } = await import('node:zlib');
    const ops = gunzipSync(history).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; f: string; node: string; error?: string });
    const refused = ops.filter((o) => o.f === 'transfer' && o.type === 'fail' && o.node !== 'n1' && /read-only/.test(o.error ?? ''));
    t.ok(refused.length > 0, `the replicas' API nodes refuse transfers as read-only (${refused.length})`);
    t.ok(ops.some((o) => o.f === 'transfer' && o.type === 'ok' && o.node === 'n1'), 'the primary\'s API node takes them');
    t.same(await ours(), [], 'nothing bankrun-labelled is left');
  });
}
