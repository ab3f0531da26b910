// The API node image on a real engine, as the compose file runs it: bankrun/api:node20 with the
// bundle's folder as its only mount answers /health and serves transfers, and inside it there is no
// node_modules and no checkout to be seen. Skipped, with the reason, where no Docker engine answers.
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { buildApiBundle } from '../lib/api/bundle.ts';
import { ApiClient } from '../lib/api/client.ts';
import { API_BUNDLE_FILE, API_MOUNT, API_PORT } from '../lib/runtime/docker/compose-file.ts';
import { labels } from '../lib/runtime/docker/labels.ts';
import { demuxLogs } from '../lib/runtime/docker/logs.ts';
import { retryUntil } from '../lib/retry.ts';
import { dockerEngineOrSkip, dockerTestLock } from './helpers/docker.ts';

t.setTimeout(1_800_000);
const IMAGE = 'bankrun/api:node20';
const docker = new Docker();
const engine = await dockerEngineOrSkip(t);

/** Builds the image from compose/api where it is missing, as `up --build` would. */
async function ensureImage(): Promise<void> {
  if (await docker.getImage(IMAGE).inspect().then(() => true, () => false)) return;
  const stream = await docker.buildImage({ context: join(import.meta.dirname, '..', 'compose', 'api'), src: ['Dockerfile'] }, { t: IMAGE });
  const out = await new Promise<{ error?: string }[]>((resolve, reject) => docker.modem.followProgress(stream, (err, res) => (err ? reject(err) : resolve(res))));
  const failed = out.find((e) => e.error);
  if (failed) throw new Error(`building ${IMAGE} from compose/api: ${failed.error}`);
}

if (engine) {
  // Labelled like a run's containers, so a crash leaves nothing the next cleanup misses; hence the lock.
  t.before(async () => {
    t.teardown(await dockerTestLock());
  });

  t.test('bankrun/api:node20 with only the bundle mounted: healthy, answers /health, sees no node_modules', async (t) => {
    await ensureImage();
    const dir = mkdtempSync(join(tmpdir(), 'bankrun-api-bundle-docker-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    await buildApiBundle('memory', join(dir, API_BUNDLE_FILE));
    t.same(readdirSync(dir), [API_BUNDLE_FILE], 'the mounted folder holds the bundle alone');

    const container = await docker.createContainer({
      Image: IMAGE,
      name: `bankrun-api-bundle-test-${process.pid}`,
      Cmd: ['node', `${API_MOUNT}/${API_BUNDLE_FILE}`, '--name', 'n1', '--adapter', 'memory', '--port', String(API_PORT), '--host', '0.0.0.0'],
      Labels: labels('api-bundle-test', 'api', 'n1'),
      ExposedPorts: { [`${API_PORT}/tcp`]: {} },
      HostConfig: {
        Binds: [`${dir}:${API_MOUNT}:ro`],
        PortBindings: { [`${API_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
      },
    });
    t.teardown(() => container.remove({ force: true }).catch(() => undefined));
    await container.start();
    const info = await container.inspect();
    t.same(info.Mounts.map((m) => [m.Type, m.Source, m.Destination, m.RW]), [['bind', dir, API_MOUNT, false]], 'one mount: the bundle\'s folder, read-only');

    const url = `http://127.0.0.1:${info.NetworkSettings.Ports[`${API_PORT}/tcp`]![0]!.HostPort}`;
    const client = new ApiClient({ name: 'n1', url, timeoutMs: 2000 });
    t.teardown(() => client.close());
    await retryUntil('the API container answers /health', 30_000, async () => {
      const r = await client.health();
      if (r.type !== 'ok') throw new Error(r.error ?? r.type);
    });
    t.same(await client.health(), { type: 'ok', value: { status: 'up', node: 'n1' } });
    t.match(await client.setup({ a: 10, b: 0 }), { type: 'ok' });
    t.match(await client.transfer({ id: 't1', from: 'a', to: 'b', amount: 4 }), { type: 'ok' });
    t.same(await client.read(), { type: 'ok', value: { balances: { a: 6, b: 4 }, versions: { a: 1, b: 1 } } });

    // What Node inside would find for a bare import, and any checkout at the old mount point.
    const exec = await container.exec({
      Cmd: ['node', '-e', "const fs = require('fs'); const seen = ['/node_modules', '/bankrun', `${process.cwd()}/node_modules`, '/root/node_modules'].filter((p) => fs.existsSync(p)); console.log(JSON.stringify({ cwd: process.cwd(), seen }))"],
      AttachStdout: true,
      AttachStderr: true,
    });
    const output = await new Promise<string>((resolve, reject) => exec.start({}, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error('no exec stream'));
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(demuxLogs(Buffer.concat(chunks))));
    }));
    t.same(JSON.parse(output), { cwd: API_MOUNT, seen: [] }, 'no node_modules in reach and no checkout');

    await retryUntil('the image\'s own healthcheck passes', 30_000, async () => {
      const health = (await container.inspect()).State.Health?.Status;
      if (health !== 'healthy') throw new Error(`health ${health}`);
    });
    t.pass('Docker reports the container healthy');
  });
}
