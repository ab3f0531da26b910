// Network faults need a helper container in the target's network namespace (nftables, tc); they
// arrive with the nettools image. Until then they are reported as unsupported, never as applied.
import type Docker from 'dockerode';
import type { FaultDriver } from '../../faults/kinds.ts';
import type { NodeAddress } from './engine-spec.ts';

export function networkFaults(_docker: Docker, _containers: ReadonlyMap<string, string>, _nodes: readonly NodeAddress[]): FaultDriver {
  const reason = 'network faults in the Docker runtime are not available in this version of bankrun';
  return {
    support: () => ({ ok: false, reason }),
    apply: () => Promise.reject(new Error(reason)),
    heal: () => Promise.resolve('nothing to heal'),
  };
}
