// The Docker runtime: one cluster of N database nodes and N API nodes with docker compose.
// Bring-up: remove what earlier runs left (by label), write the compose file into the results
// folder, `up --build` (an image whose Dockerfile changed is rebuilt), wait for every database
// node's healthcheck and every API node's /health. After that everything goes through dockerode.
// The API nodes run a bundle of the API node and the engine's adapter, built here at each bring-up
// beside the compose file: containers never see the host's node_modules, built for the host.
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { buildApiBundle } from '../../api/bundle.ts';
import { ApiClient } from '../../api/client.ts';
import { nowNs, sleep } from '../../clock.ts';
import { retryUntil } from '../../retry.ts';
import { changeApiSettings, leaderByMajority, type Cluster, type Runtime, type RuntimeContext } from '../cluster.ts';
import { removeLeftovers } from './cleanup.ts';
import { API_BUNDLE_DIR, API_BUNDLE_FILE, API_PORT, composeFile, nodeAddresses, refuseNodeCount, renderCompose } from './compose-file.ts';
import { dockerFaults } from './docker-faults.ts';
import { dockerDryRun } from './dry-run.ts';
import { compose, connectDocker, findCompose } from './engine.ts';
import type { DockerEngine } from './engine-spec.ts';
import { LABEL, PROJECT } from './labels.ts';
import { demuxLogs } from './logs.ts';
import { preflight } from './preflight.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const READY_TIMEOUT_MS = 180_000;

export function dockerCluster(engine: DockerEngine): Runtime {
  return {
    name: `${engine.title} in Docker`,
    refuse: (params, settings) => refuseNodeCount(params.nodes) ?? engine.refuseNodes?.(params.nodes, settings),
    settings: engine.settings,
    freshReads: (settings, routing) => engine.freshReads(settings, routing),
    start: (ctx) => start(engine, ctx),
    dryRun: (ctx) => dockerDryRun(engine, ctx, REPO_ROOT),
  };
}

async function start(engine: DockerEngine, ctx: RuntimeContext): Promise<Cluster> {
  const docker = await connectDocker();
  const composeCmd = await findCompose();
  await preflight(docker, engine, ctx.params.nodes, ctx.log);
  const left = await removeLeftovers(docker);
  // Said every time, 0 included: the presenter sees the preamble ran and what it touched.
  ctx.log(`cleanup: removed ${left.containers.length} container(s), ${left.volumes.length} volume(s), ${left.networks.length} network(s) that earlier runs left (bankrun's labels only)`);
  const file = join(ctx.resultsDir, 'compose.yml');
  const deadlineMs = Math.max(100, ctx.params.timeoutMs - 500);
  const doc = composeFile({ engine, settings: ctx.settings, nodes: ctx.params.nodes, run: ctx.runId, repoFromFile: relative(ctx.resultsDir, REPO_ROOT) || '.', deadlineMs });
  await writeFile(file, renderCompose(doc));
  const bundle = await buildApiBundle(engine.adapter, join(ctx.resultsDir, API_BUNDLE_DIR, API_BUNDLE_FILE));
  ctx.log(`API node bundle (${engine.adapter} adapter): ${(bundle.bytes / 1e6).toFixed(1)} MB in ${(bundle.ms / 1000).toFixed(1)} s`);
  const down = () => compose(composeCmd, file, PROJECT, ['down', '-v', '--remove-orphans'], 120_000).catch(() => '');
  try {
    ctx.log(`${composeCmd.argv.join(' ')} ${composeCmd.version}: building images and starting ${ctx.params.nodes} + ${ctx.params.nodes} containers…`);
    await compose(composeCmd, file, PROJECT, ['up', '-d', '--build']);
    const nodes = nodeAddresses(ctx.params.nodes);
    const containers = await containersOf(docker, ctx.runId);
    const init = engine.init?.(nodes, ctx.settings);
    if (init) await waitInitDone(docker, containers.init!, init.timeoutMs, ctx.log);
    await Promise.all(nodes.map((n) => waitHealthy(docker, containers.db.get(n.name)!, n.name, ctx.log)));
    const api = await Promise.all(nodes.map(async (n) => {
      const url = await publishedUrl(docker, containers.api.get(n.name)!);
      return new ApiClient({ name: n.name, url, timeoutMs: ctx.params.timeoutMs });
    }));
    await Promise.all(api.map((a) => retryUntil(`API node ${a.name} (${a.url}) healthy`, 60_000, async () => {
      const r = await a.health();
      if (r.type !== 'ok') throw new Error(r.error ?? r.type);
    })));
    return {
      nodes: nodes.map((n) => n.name),
      api,
      faults: dockerFaults(docker, containers.db, nodes, ctx.runId, (id, name) => waitHealthy(docker, id, name, () => undefined)),
      environment: {
        database: engine.title,
        nodes: `${ctx.params.nodes} database nodes + ${ctx.params.nodes} API nodes, Docker (${composeCmd.argv.join(' ')} ${composeCmd.version})`,
        ...(engine.layout ? { layout: engine.layout(ctx.params.nodes) } : {}),
        ...engine.facts,
      },
      leader: () => leaderByMajority(api),
      changeSettings: (from, to) => changeApiSettings(api, (i, values) => engine.adapterConfig(nodes[i]!, nodes, values), from, to),
      async close() {
        await Promise.all(api.map((a) => a.close()));
        await down();
        await removeLeftovers(docker);
      },
    };
  } catch (err) {
    // A half-started cluster is torn down; its compose file stays in the results folder.
    await down();
    throw err;
  }
}

interface RunContainers {
  db: Map<string, string>;
  api: Map<string, string>;
  /** The one-shot set-up container, where the engine has one. */
  init?: string;
}

async function containersOf(docker: Docker, run: string): Promise<RunContainers> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.project}=${PROJECT}`, `${LABEL.run}=${run}`] } });
  const out: RunContainers = { db: new Map(), api: new Map() };
  for (const c of list) {
    const role = c.Labels[LABEL.role];
    const node = c.Labels[LABEL.node];
    if (role === 'init') out.init = c.Id;
    if (node && (role === 'db' || role === 'api')) out[role].set(node, c.Id);
  }
  return out;
}

type ContainerInfo = Awaited<ReturnType<Docker.Container['inspect']>>;

/**
 * Polls a container until `reached` says it got to `goal` (true) or never will (the state to
 * report), or the deadline passes; then the error names the container, the goal and its log tail.
 */
async function waitForContainer(
  docker: Docker, id: string, name: string, goal: string, timeoutMs: number, log: (l: string) => void,
  reached: (info: ContainerInfo) => true | string | undefined,
): Promise<void> {
  const t0 = nowNs();
  let state = 'unknown';
  while ((nowNs() - t0) / 1e6 < timeoutMs) {
    const info = await docker.getContainer(id).inspect();
    state = info.State.Health?.Status ?? info.State.Status;
    const verdict = reached(info);
    if (verdict === true) {
      log(`${name}: ${goal} after ${((nowNs() - t0) / 1e9).toFixed(1)} s`);
      return;
    }
    if (verdict !== undefined) {
      state = verdict;
      break;
    }
    await sleep(250);
  }
  const logs = await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: 20 }).catch(() => Buffer.from(''));
  throw new Error(`${name}: not ${goal} after ${((nowNs() - t0) / 1e9).toFixed(0)} s (state: ${state}); its last log lines:\n${demuxLogs(logs).trimEnd()}`);
}

/** A database node's healthcheck passes; a container that stopped will not get there. */
export function waitHealthy(docker: Docker, id: string, name: string, log: (l: string) => void, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  return waitForContainer(docker, id, name, 'healthy', timeoutMs, log, (info) => {
    if (info.State.Health?.Status === 'healthy') return true;
    return !info.State.Running && !info.State.Restarting ? info.State.Status : undefined;
  });
}

/** The set-up container ran to the end with exit code 0. */
async function waitInitDone(docker: Docker, id: string | undefined, timeoutMs: number, log: (l: string) => void): Promise<void> {
  if (!id) throw new Error('the cluster\'s set-up container (init) was not created');
  await waitForContainer(docker, id, 'cluster set-up (init)', 'done', timeoutMs, log, (info) => {
    if (info.State.Running || info.State.Status !== 'exited') return undefined;
    return info.State.ExitCode === 0 ? true : `exited with code ${info.State.ExitCode}`;
  });
}

async function publishedUrl(docker: Docker, id: string): Promise<string> {
  const info = await docker.getContainer(id).inspect();
  const binding = info.NetworkSettings.Ports[`${API_PORT}/tcp`]?.[0];
  if (!binding) throw new Error(`API container ${info.Name} has no published port ${API_PORT}`);
  return `http://127.0.0.1:${binding.HostPort}`;
}

