// Faults on database containers through the Docker API, each verified from the container's
// state: kill (SIGKILL, restarted with the same volume at heal), stop/start, pause/unpause.
// Network faults run nftables/tc inside the target's network namespace (net-faults.ts); a
// container that is not running has no namespace to put them in, so they need it running.
import type Docker from 'dockerode';
import type { FaultDriver, FaultKind, Support } from '../../faults/kinds.ts';
import type { NodeAddress } from './engine-spec.ts';
import { networkFaults } from './net-faults.ts';

export function dockerFaults(
  docker: Docker,
  containers: ReadonlyMap<string, string>,
  nodes: readonly NodeAddress[],
  run: string,
  waitHealthy: (id: string, name: string) => Promise<void>,
): FaultDriver {
  const container = (node: string) => {
    const id = containers.get(node);
    if (!id) throw new Error(`no container for database node ${node}`);
    return docker.getContainer(id);
  };
  const state = async (node: string) => (await container(node).inspect()).State;
  const net = networkFaults(docker, containers, nodes, run);

  const signalKinds: readonly FaultKind[] = ['kill', 'stop', 'pause'];
  return {
    support(kind): Support | Promise<Support> {
      return signalKinds.includes(kind) ? { ok: true } : net.support(kind);
    },
    async apply(kind, node, group, level) {
      if (!signalKinds.includes(kind)) return net.apply(kind, node, group, level);
      const before = await state(node);
      if (!before.Running || before.Paused) throw new Error(`${node} is not running, so there is nothing to ${kind}`);
      if (kind === 'kill') {
        await container(node).kill({ signal: 'SIGKILL' });
        const s = await state(node);
        if (s.Running) throw new Error(`${node} still running after SIGKILL`);
        return `SIGKILL; container exited (code ${s.ExitCode})`;
      }
      if (kind === 'stop') {
        await container(node).stop({ t: 10 });
        const s = await state(node);
        if (s.Running) throw new Error(`${node} still running after docker stop`);
        // 137 = SIGKILL after the grace period: not a clean shutdown, and the report must say so.
        if (s.ExitCode === 137) throw new Error(`${node} did not stop within 10 s and was killed`);
        return `stopped cleanly (exit code ${s.ExitCode})`;
      }
      await container(node).pause();
      if (!(await state(node)).Paused) throw new Error(`${node} not paused after docker pause`);
      return 'paused (cgroup freezer); container state Paused';
    },
    async heal(kind, node, group) {
      if (!signalKinds.includes(kind)) return net.heal(kind, node, group);
      if (kind === 'pause') {
        await container(node).unpause();
        if ((await state(node)).Paused) throw new Error(`${node} still paused after unpause`);
        return 'unpaused';
      }
      if ((await state(node)).Running) throw new Error(`${node} is running already: nothing to restart after ${kind}`);
      await container(node).start();
      await waitHealthy(containers.get(node)!, node);
      return 'started with the same volume; healthy';
    },
  };
}
