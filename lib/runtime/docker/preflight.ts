// What a Docker notebook checks before it brings anything up: the engine has the memory the
// cluster needs, and every image that is pulled rather than built is present or can be pulled.
// Each failure says plainly what is missing and what to do.
import type Docker from 'dockerode';
import type { DockerEngine } from './engine-spec.ts';

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
  const pulled = engine.imageContext ? [] : [engine.image];
  const missing: string[] = [];
  for (const image of pulled) {
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
      `the image ${image} is not on this Docker engine and could not be pulled (${(err as Error).message.split('\n')[0]}). ` +
        `It needs a connection to its registry once: run \`docker pull ${image}\` where there is one, then run the notebook again.`,
    );
  }
}

/**
 * Checks memory and images, pulling what is missing (unless BANKRUN_NO_PULL=1: offline machines,
 * and tests that must not reach a registry); throws with the reason.
 */
export async function preflight(docker: Docker, engine: DockerEngine, nodes: number, log: (line: string) => void): Promise<void> {
  const info = (await docker.info()) as { MemTotal?: number };
  const refusal = info.MemTotal ? refuseMemory(engine, nodes, info.MemTotal) : undefined;
  if (refusal) throw new Error(refusal);
  const missing = await missingImages(docker, engine);
  if (missing.length > 0 && process.env.BANKRUN_NO_PULL === '1') {
    throw new Error(`the image ${missing.join(', ')} is not on this Docker engine, and BANKRUN_NO_PULL=1 forbids pulling it: ` +
      `run \`docker pull ${missing[0]}\` where a registry is reachable (or unset BANKRUN_NO_PULL)`);
  }
  for (const image of missing) {
    log(`pulling ${image} (once; later runs use the local copy)…`);
    await pullImage(docker, image);
  }
}
