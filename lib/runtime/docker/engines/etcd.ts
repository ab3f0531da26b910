// etcd 3.4 from Debian's etcd-server: N members formed with a static --initial-cluster. A member
// restarted with its volume finds its data directory and rejoins as itself.
import { etcdSettings } from '../../engine-settings.ts';
import type { DockerEngine, NodeAddress } from '../engine-spec.ts';

const CLIENT_PORT = 2379;
const PEER_PORT = 2380;

export function etcd(): DockerEngine {
  return {
    name: 'etcd',
    title: 'etcd 3.4 (Debian etcd-server)',
    imageContext: 'compose/etcd',
    image: 'bankrun/etcd:3.4',
    dataPath: '/var/lib/etcd',
    memoryPerNodeMiB: 256,
    adapter: 'etcd',
    settings: etcdSettings,
    facts: {
      'write durability': 'fsync on every commit (etcd default)',
    },
    freshReads: (settings) => settings.readMode === 'serializable'
      ? { fresh: false, why: 'serializable reads are served by the local member, which may lag the leader' }
      : { fresh: true, why: 'linearizable reads go through Raft (ReadIndex)' },
    service: (node, all) => ({
      // The image's entrypoint is etcd: these are its flags.
      command: [
        '--name', node.name,
        '--data-dir', '/var/lib/etcd/data',
        '--listen-client-urls', `http://0.0.0.0:${CLIENT_PORT}`,
        '--advertise-client-urls', clientUrl(node),
        '--listen-peer-urls', `http://0.0.0.0:${PEER_PORT}`,
        '--initial-advertise-peer-urls', peerUrl(node),
        '--initial-cluster', all.map((n) => `${n.name}=${peerUrl(n)}`).join(','),
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', 'bankrun',
      ],
      healthcheck: {
        test: ['CMD', 'etcdctl', '--endpoints', `http://127.0.0.1:${CLIENT_PORT}`, '--command-timeout', '2s', 'endpoint', 'health'],
        interval: '1s',
        timeout: '3s',
        retries: 60,
        start_period: '1s',
      },
    }),
    adapterConfig: (node, _all, settings) => ({ endpoints: clientUrl(node), readMode: settings.readMode! }),
  };
}

const clientUrl = (n: NodeAddress) => `http://${n.ip}:${CLIENT_PORT}`;
const peerUrl = (n: NodeAddress) => `http://${n.ip}:${PEER_PORT}`;
