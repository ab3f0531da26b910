// The cleanup preamble: what earlier runs left in Docker — containers running or exited, their
// named and anonymous volumes, their networks — removed by bankrun's label and nothing else.
import type Docker from 'dockerode';
import { LABEL, PROJECT } from './labels.ts';

export interface Removed {
  containers: string[];
  volumes: string[];
  networks: string[];
}

const OURS = { label: [`${LABEL.project}=${PROJECT}`] };

export async function removeLeftovers(docker: Docker): Promise<Removed> {
  const removed: Removed = { containers: [], volumes: [], networks: [] };
  const containers = await docker.listContainers({ all: true, filters: OURS });
  // Anonymous volumes have no labels of their own: they go with their container (v: true).
  await Promise.all(containers.map(async (c) => {
    await docker.getContainer(c.Id).remove({ force: true, v: true });
    removed.containers.push(c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12));
  }));
  const { Volumes } = await docker.listVolumes({ filters: OURS });
  for (const v of Volumes ?? []) {
    await docker.getVolume(v.Name).remove();
    removed.volumes.push(v.Name);
  }
  for (const n of await docker.listNetworks({ filters: OURS })) {
    await docker.getNetwork(n.Id).remove();
    removed.networks.push(n.Name);
  }
  return removed;
}
