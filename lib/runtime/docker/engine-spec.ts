// What a database brings to the Docker runtime: its image, how each of N nodes is started and
// checked, and how an API node reaches its one database node. Everything else (network,
// addresses, labels, API nodes, volumes) is the same for every database.
import type { SettingSpec, SettingValues } from '../../settings.ts';

export interface NodeAddress {
  /** n1, n2, … */
  name: string;
  /** 1-based */
  number: number;
  /** Static address on the cluster network. */
  ip: string;
}

export interface Healthcheck {
  test: string[];
  interval: string;
  timeout: string;
  retries: number;
  start_period: string;
}

export interface DbService {
  command: string[];
  environment?: Record<string, string>;
  healthcheck: Healthcheck;
}

export interface DockerEngine {
  /** Short name, used in image and volume names: etcd, galera, postgres. */
  name: string;
  /** As the report names it, e.g. "etcd 3.4 (Debian etcd-server)". */
  title: string;
  /** Build context of the database image, relative to the repository root. */
  imageContext: string;
  imageTag: string;
  /** Where the node keeps its data inside the container (a named volume is mounted there). */
  dataPath: string;
  /** The adapter each API node runs (a name in adapters/). */
  adapter: string;
  /** What a notebook may choose (isolation, durability, read mode); see lib/settings.ts. */
  settings: readonly SettingSpec[];
  /** Fixed facts the report states beside the settings (replication, read path, …). */
  facts: Record<string, string>;
  /** Node `node`'s container, started under the run's settings. */
  service(node: NodeAddress, all: readonly NodeAddress[], settings: SettingValues): DbService;
  /** The config of the API node paired with `node`, under these settings. */
  adapterConfig(node: NodeAddress, settings: SettingValues): Record<string, string>;
}
