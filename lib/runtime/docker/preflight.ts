// What a Docker notebook checks before it brings anything up: the engine has the memory the
// cluster needs, every image that is pulled rather than built is present or can be pulled, and
// the engine's own needs (a native client library for the API nodes, a CPU) are met. Each failure
// says plainly what is missing and what to do. A real run stops at the first failure and pulls
// what is missing; a dry run (--dry-run) reports every check and pulls nothing.
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import type { ReadinessCheck } from '../cluster.ts';
import type { DockerEngine, DockerHost } from './engine-spec.ts';

/** An API node's share: a Node.js process with one adapter. */
export const API_NODE_MIB = 128;

export function memoryNeededMiB(engine: DockerEngine, nodes: number): number {
  return nodes * (engine.memoryPerNodeMiB + API_NODE_MIB);
}

/** Undefined when the engine has room for the cluster, else why not and what to do. */
export function refuseMemory(engine: DockerEngine, nodes: number, engineMemBytes: number): string | undefined {
  const needMiB = memoryNeededMiB(engine, nodes);
  const haveMiB = Math.floor(engineMemBytes / 2 ** 20);
  if (haveMiB >= needMiB) return undefined;
  return `${engine.title} at ${nodes} nodes needs about ${(needMiB / 1024).toFixed(1)} GiB ` +
    `(${engine.memoryPerNodeMiB} MiB a node + ${API_NODE_MIB} MiB an API node), and the Docker engine has ` +
    `${(haveMiB / 1024).toFixed(1)} GiB. Give Docker more memory (Docker Desktop: Settings → Resources) or run fewer nodes (--nodes).`;
}

/** Images the cluster pulls (not built here) and this engine does not have yet. */
export async function missingImages(docker: Docker, engine: DockerEngine): Promise<string[]> {
  return absent(docker, engine.imageContext ? [] : [engine.image]);
}

async function absent(docker: Docker, images: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const image of images) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      missing.push(image);
    }
  }
  return missing;
}

/** Pulls an image, or says why it could not and what to do. */
export async function pullImage(docker: Docker, image: string): Promise<void> {
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
    });
  } catch (err) {
    throw new Error(
      `the image ${image} is not on this Docker engine and could not be pulled (${firstLine(err)}). ` +
        `It needs a connection to its registry once: run \`docker pull ${image}\` where there is one, then run the notebook again.`,
    );
  }
}

const noPull = () => process.env.BANKRUN_NO_PULL === '1';

/** Why a missing image stops here when pulling is forbidden, and what to do. */
function noPullReason(image: string): string {
  return `not on this Docker engine, and BANKRUN_NO_PULL=1 forbids pulling it: run \`docker pull ${image}\` where a registry is reachable`;
}

/** The engine's CPU and memory as Docker reports them (Docker Desktop: its VM's, not the host's). */
export async function dockerHost(docker: Docker): Promise<DockerHost & { memBytes?: number }> {
  const info = (await docker.info()) as { MemTotal?: number; Architecture?: string };
  const avx2 = localAvx2();
  return { arch: info.Architecture ?? 'unknown', ...(avx2 === undefined ? {} : { avx2 }), ...(info.MemTotal ? { memBytes: info.MemTotal } : {}) };
}

/** A local engine on Linux runs on this machine's CPU, whose flags /proc/cpuinfo lists. */
function localAvx2(): boolean | undefined {
  if (process.platform !== 'linux' || process.env.DOCKER_HOST) return undefined;
  try {
    return /^flags\s*:.*\bavx2\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Memory and the engine's own needs (its CPU, a client library), as checks. */
function engineChecks(engine: DockerEngine, nodes: number, host: DockerHost & { memBytes?: number }): ReadinessCheck[] {
  const needMiB = memoryNeededMiB(engine, nodes);
  const memory = host.memBytes ? refuseMemory(engine, nodes, host.memBytes) : undefined;
  const refusal = engine.refuseHost?.(host);
  return [{
    what: 'memory',
    ok: memory === undefined,
    detail: memory ?? (host.memBytes
      ? `${(needMiB / 1024).toFixed(1)} GiB needed, the engine has ${(host.memBytes / 2 ** 30).toFixed(1)} GiB`
      : `the engine does not say its memory; ${(needMiB / 1024).toFixed(1)} GiB needed`),
  }, { what: `${engine.name} on this engine (${host.arch})`, ok: refusal === undefined, detail: refusal ?? 'supported' }];
}

/**
 * Checks memory, the engine's own needs and images, pulling what is missing (unless
 * BANKRUN_NO_PULL=1: offline machines, and tests that must not reach a registry); throws with the reason.
 */
export async function preflight(docker: Docker, engine: DockerEngine, nodes: number, log: (line: string) => void): Promise<void> {
  const failed = engineChecks(engine, nodes, await dockerHost(docker)).find((c) => !c.ok);
  if (failed) throw new Error(failed.detail);
  const missing = await missingImages(docker, engine);
  if (missing.length > 0 && noPull()) throw new Error(`the image ${missing[0]} is ${noPullReason(missing[0]!)} (or unset BANKRUN_NO_PULL)`);
  for (const image of missing) {
    log(`pulling ${image} (once; later runs use the local copy)…`);
    await pullImage(docker, image);
  }
}

/**
 * The same checks as `preflight`, each reported (none stops the others), and images looked up in
 * their registry instead of pulled. `baseImages` are the images bankrun's own Dockerfiles build
 * FROM: `up --build` needs them present or pullable too.
 */
export async function preflightChecks(docker: Docker, engine: DockerEngine, nodes: number, baseImages: readonly string[]): Promise<ReadinessCheck[]> {
  const checks = engineChecks(engine, nodes, await dockerHost(docker));
  const pulled = engine.imageContext ? [] : [engine.image];
  for (const image of [...pulled, ...baseImages.filter((b) => !pulled.includes(b))]) {
    checks.push(await imageCheck(docker, image, pulled.includes(image) ? 'image' : 'base image'));
  }
  return checks;
}

/** Present, or pullable: the registry is asked for the image's manifest (nothing is downloaded). */
async function imageCheck(docker: Docker, image: string, role: string): Promise<ReadinessCheck> {
  const what = `${role} ${image}`;
  if ((await absent(docker, [image])).length === 0) return { what, ok: true, detail: 'present' };
  if (noPull()) return { what, ok: false, detail: noPullReason(image) };
  try {
    // GET /distribution/{name}/json: the engine asks the registry, without pulling.
    await docker.getImage(image).distribution();
    return { what, ok: true, detail: 'not here yet; its registry has it, a real run pulls it once' };
  } catch (err) {
    return { what, ok: false, detail: `not here, and its registry did not answer for it (${firstLine(err)}): run \`docker pull ${image}\` where the registry is reachable` };
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}
