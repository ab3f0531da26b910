// --dry-run under Docker: every check that bring-up would make, none of its effects. The engine
// must answer and Compose be there; memory, the engine's own needs and every image (pulled, or
// built FROM) are checked without pulling; the API node bundle is built and the compose file
// written where the user can read them, and Compose itself validates the file (`config -q`).
// Each failure says what to do.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { DryRun, DryRunContext, ReadinessCheck } from '../cluster.ts';
import { buildApiBundle } from '../../api/bundle.ts';
import { API_BUNDLE_DIR, API_BUNDLE_FILE, API_CONTEXTS, composeFile, nodeAddresses, renderCompose } from './compose-file.ts';
import { compose, connectDocker, findCompose } from './engine.ts';
import type { DockerEngine } from './engine-spec.ts';
import { PROJECT } from './labels.ts';
import { preflightChecks } from './preflight.ts';

export async function dockerDryRun(engine: DockerEngine, ctx: DryRunContext, repoRoot: string): Promise<DryRun> {
  const nodes = nodeAddresses(ctx.params.nodes);
  const result: DryRun = { nodes: nodes.map((n) => n.name), checks: [] };
  const add = (check: ReadinessCheck) => result.checks.push(check);
  let docker;
  try {
    docker = await connectDocker();
    add({ what: 'Docker engine', ok: true, detail: `answers at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}` });
  } catch (err) {
    add({ what: 'Docker engine', ok: false, detail: (err as Error).message });
  }
  let composeCmd;
  try {
    composeCmd = await findCompose();
    add({ what: 'Docker Compose', ok: true, detail: `${composeCmd.argv.join(' ')} ${composeCmd.version}` });
  } catch (err) {
    add({ what: 'Docker Compose', ok: false, detail: (err as Error).message });
  }
  if (docker) {
    const bases = await baseImages(repoRoot, buildContexts(engine));
    for (const check of await preflightChecks(docker, engine, ctx.params.nodes, bases)) add(check);
  }
  await mkdir(ctx.dir, { recursive: true });
  const file = join(ctx.dir, 'compose.yml');
  const deadlineMs = Math.max(100, ctx.params.timeoutMs - 500);
  const doc = composeFile({ engine, settings: ctx.settings, nodes: ctx.params.nodes, run: ctx.runId, repoFromFile: relative(ctx.dir, repoRoot) || '.', deadlineMs });
  await writeFile(file, renderCompose(doc));
  const shown = relative(process.cwd(), file) || file;
  try {
    const bundle = await buildApiBundle(engine.adapter, join(ctx.dir, API_BUNDLE_DIR, API_BUNDLE_FILE));
    add({ what: 'API node bundle', ok: true, detail: `the ${engine.adapter} adapter, ${(bundle.bytes / 1e6).toFixed(2)} MB, built in ${(bundle.ms / 1000).toFixed(1)} s` });
  } catch (err) {
    add({ what: 'API node bundle', ok: false, detail: (err as Error).message });
  }
  if (composeCmd) {
    try {
      await compose(composeCmd, file, PROJECT, ['config', '-q'], 60_000);
      add({ what: 'compose file', ok: true, detail: `${shown}: Compose accepts it` });
    } catch (err) {
      add({ what: 'compose file', ok: false, detail: `${shown}: ${(err as Error).message}` });
    }
  } else {
    add({ what: 'compose file', ok: false, detail: `${shown} written; not validated without Compose` });
  }
  return result;
}

/** The folders `up --build` builds images from: the database's (where built here), the API node's, nettools'. */
function buildContexts(engine: DockerEngine): string[] {
  return [engine.imageContext, engine.apiImage?.context ?? API_CONTEXTS.api, API_CONTEXTS.nettools].filter((c): c is string => !!c);
}

/** Every `FROM image` of those Dockerfiles that is not an earlier stage of the same file. */
export async function baseImages(repoRoot: string, contexts: readonly string[]): Promise<string[]> {
  const images = new Set<string>();
  for (const context of contexts) {
    const text = await readFile(join(repoRoot, context, 'Dockerfile'), 'utf8');
    const stages = new Set<string>();
    for (const m of text.matchAll(/^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/gim)) {
      if (!stages.has(m[1]!.toLowerCase())) images.add(m[1]!);
      if (m[2]) stages.add(m[2].toLowerCase());
    }
  }
  return [...images];
}
