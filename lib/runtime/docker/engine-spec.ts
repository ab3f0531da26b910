// What a database brings to the Docker runtime: its image, how each of N nodes is started and
// checked, and how an API node reaches its one database node. Everything else (network,
// addresses, labels, API nodes, volumes) is the same for every database.
import type { SettingSpec, SettingValues } from '../../settings.ts';
import type { Routing } from '../../workload/router.ts';
import type { ReadPromise } from '../cluster.ts';

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
  /** Replaces the image's entrypoint (e.g. a shell that writes a config file first). */
  entrypoint?: string[];
  environment?: Record<string, string>;
  healthcheck: Healthcheck;
  /** The container's memory limit, e.g. "2g": a laptop must hold the whole cluster. */
  memLimit?: string;
}

/** The Docker engine a cluster would run on, as it reports itself (Docker Desktop: its VM). */
export interface DockerHost {
  /** The engine's CPU architecture as Docker names it: x86_64, aarch64. */
  arch: string;
  /** Whether its CPU has AVX2, where that can be known (a local engine on Linux); undefined otherwise. */
  avx2?: boolean;
}

/** A one-shot container that sets the cluster up once its nodes run (cluster init, configure). */
export interface InitService {
  /** Default: the database image. */
  image?: string;
  entrypoint?: string[];
  command: string[];
  /** How long it may take before bring-up gives up (it should retry until the nodes answer). */
  timeoutMs: number;
}

export interface DockerEngine {
  /** Short name, used in image and volume names: etcd, galera, postgres. */
  name: string;
  /** As the report names it, e.g. "etcd 3.4 (Debian etcd-server)". */
  title: string;
  /** The database image, pinned to a version. */
  image: string;
  /** Build context of the image, relative to the repository root; absent: the image is pulled. */
  imageContext?: string;
  /** The API node's image when the adapter needs a native client library (default: bankrun/api). */
  apiImage?: { image: string; context: string };
  /** Memory a node needs, for the check before bring-up (MiB). */
  memoryPerNodeMiB: number;
  /** How the N nodes are laid out when they are not N equal nodes, as the report states it. */
  layout?(nodes: number): string;
  /** A node count (or settings at that count) this engine cannot run, and why (beyond the odd counts every cluster needs). */
  refuseNodes?(nodes: number, settings: SettingValues): string | undefined;
  /** Why this engine cannot run on this Docker engine (its CPU, a client library the API nodes need), and what to do. */
  refuseHost?(host: DockerHost): string | undefined;
  /** Where the node keeps its data inside the container (a named volume is mounted there). */
  dataPath: string;
  /** The adapter each API node runs (a name in adapters/). */
  adapter: string;
  /** What a notebook may choose (isolation, durability, read mode); see lib/settings.ts. */
  settings: readonly SettingSpec[];
  /** Fixed facts the report states beside the settings (replication, read path, …). */
  facts: Record<string, string>;
  /** Whether reads are promised fresh (no stale reads) under these settings and this routing, and why. */
  freshReads(settings: SettingValues, routing: Routing): ReadPromise;
  /** Node `node`'s container, started under the run's settings. */
  service(node: NodeAddress, all: readonly NodeAddress[], settings: SettingValues): DbService;
  /** The one-shot set-up step, where the cluster needs one. */
  init?(all: readonly NodeAddress[], settings: SettingValues): InitService;
  /** The config of the API node paired with `node`, under these settings. */
  adapterConfig(node: NodeAddress, all: readonly NodeAddress[], settings: SettingValues): Record<string, string>;
}
