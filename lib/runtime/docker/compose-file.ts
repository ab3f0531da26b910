// The compose file of one run, as plain data (rendered to YAML at the edge): N database nodes and
// N API nodes paired one to one, on a network with a fixed subnet and static addresses, every
// container, volume and network labelled. Paths are relative to the file's folder, so the copy
// saved in results/<notebook>/<timestamp>/ brings the same cluster up by hand. The API nodes mount
// one thing: the API node bundle (lib/api/bundle.ts) in API_BUNDLE_DIR beside the file — nothing
// of the checkout or of the host's node_modules.
import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { SettingValues } from '../../settings.ts';
import type { DockerEngine, NodeAddress } from './engine-spec.ts';
import { labels } from './labels.ts';

export const API_PORT = 8080;
export const INIT_SERVICE = 'init';
/** The folder beside the compose file that holds the API node bundle; mounted read-only at API_MOUNT. */
export const API_BUNDLE_DIR = 'api-node';
export const API_BUNDLE_FILE = 'api.mjs';
export const API_MOUNT = '/bankrun-api';
const INIT_HOST = 250;
/** Build contexts of bankrun's own images beside every cluster. */
export const API_CONTEXTS = { api: 'compose/api', nettools: 'compose/nettools' } as const;
const DEFAULT_API_IMAGE = { image: 'bankrun/api:node20', context: API_CONTEXTS.api };
/** The cluster's own private subnet; the API nodes also join a second network to publish their port. */
export const SUBNET_PREFIX = '10.77.0';
export const FRONT_PREFIX = '10.77.1';

export interface ComposeOptions {
  engine: DockerEngine;
  /** The engine's settings at bring-up (every one of engine.settings). */
  settings: SettingValues;
  nodes: number;
  /** Run id, for labels. */
  run: string;
  /** From the compose file's folder to the repository root, e.g. "../../..": for the images' build contexts. */
  repoFromFile: string;
  /** The API node's deadline for one store call. */
  deadlineMs: number;
}

export function nodeAddresses(count: number): NodeAddress[] {
  return Array.from({ length: count }, (_, i) => ({ name: `n${i + 1}`, number: i + 1, ip: `${SUBNET_PREFIX}.${11 + i}` }));
}

export function apiAddress(node: NodeAddress): string {
  return `${SUBNET_PREFIX}.${111 + node.number - 1}`;
}

export const apiService = (node: NodeAddress) => `api${node.number}`;

/** Odd counts only: a majority must survive a minority's failure, and an even count buys nothing. */
export function refuseNodeCount(nodes: number): string | undefined {
  if (Number.isInteger(nodes) && nodes >= 1 && nodes % 2 === 1 && nodes <= 9) return undefined;
  return `--nodes ${nodes}: use an odd number from 1 to 9 (1, 3, 5, 7, 9). A cluster needs a majority to ` +
    `make progress; with an even count one more node adds no failure it can survive.`;
}

export function composeFile(o: ComposeOptions): Record<string, unknown> {
  const nodes = nodeAddresses(o.nodes);
  const services: Record<string, unknown> = {};
  const volumes: Record<string, unknown> = {};
  for (const node of nodes) {
    const db = o.engine.service(node, nodes, o.settings);
    services[node.name] = {
      image: o.engine.image,
      ...(o.engine.imageContext ? { build: { context: posix.join(o.repoFromFile, o.engine.imageContext) } } : {}),
      hostname: node.name,
      ...(db.entrypoint ? { entrypoint: literal(db.entrypoint) } : {}),
      command: literal(db.command),
      ...(db.environment ? { environment: Object.fromEntries(Object.entries(db.environment).map(([k, v]) => [k, literal([v])[0]])) } : {}),
      healthcheck: { ...db.healthcheck, test: literal(db.healthcheck.test) },
      ...(db.memLimit ? { mem_limit: db.memLimit } : {}),
      volumes: [`${node.name}-data:${o.engine.dataPath}`],
      networks: { cluster: { ipv4_address: node.ip } },
      labels: labels(o.run, 'db', node.name),
    };
    volumes[`${node.name}-data`] = { labels: labels(o.run, 'db', node.name) };
    const apiImage = o.engine.apiImage ?? DEFAULT_API_IMAGE;
    services[apiService(node)] = {
      image: apiImage.image,
      build: { context: posix.join(o.repoFromFile, apiImage.context) },
      hostname: apiService(node),
      command: [
        'node', `${API_MOUNT}/${API_BUNDLE_FILE}`,
        '--name', node.name, '--adapter', o.engine.adapter,
        '--config', JSON.stringify(o.engine.adapterConfig(node, nodes, o.settings)),
        '--port', String(API_PORT), '--host', '0.0.0.0', '--deadline-ms', String(o.deadlineMs),
      ],
      // The tester on the host reaches each API node on a port chosen by Docker, on loopback only.
      ports: [`127.0.0.1::${API_PORT}`],
      // "./…": a folder beside this file (a bare name would be a named volume).
      volumes: [`./${API_BUNDLE_DIR}:${API_MOUNT}:ro`],
      networks: { cluster: { ipv4_address: apiAddress(node) }, front: {} },
      labels: labels(o.run, 'api', node.name),
    };
  }
  const init = o.engine.init?.(nodes, o.settings);
  if (init) {
    // Runs once, beside the nodes; the runtime waits for it to exit 0 (it retries until they answer).
    services[INIT_SERVICE] = {
      image: init.image ?? o.engine.image,
      ...(init.entrypoint ? { entrypoint: literal(init.entrypoint) } : {}),
      command: literal(init.command),
      depends_on: nodes.map((n) => n.name),
      networks: { cluster: { ipv4_address: `${SUBNET_PREFIX}.${INIT_HOST}` } },
      labels: labels(o.run, 'init'),
    };
  }
  // Built with the cluster by `up --build` (so it is never stale); it only prints and exits.
  // The nemesis starts it per fault in a database container's network namespace.
  services.nettools = {
    image: 'bankrun/nettools:latest',
    build: { context: posix.join(o.repoFromFile, API_CONTEXTS.nettools) },
    command: ['true'],
    network_mode: 'none',
    labels: labels(o.run, 'nettools'),
  };
  return {
    // 2.4: the newest format Compose v1 reads with static addresses; Compose v2 reads it too.
    version: '2.4',
    services,
    networks: {
      cluster: {
        driver: 'bridge',
        internal: true,
        ipam: { config: [{ subnet: `${SUBNET_PREFIX}.0/24` }] },
        labels: labels(o.run),
      },
      // Ports publish only from a network with a way out: the API nodes' second network.
      front: { driver: 'bridge', ipam: { config: [{ subnet: `${FRONT_PREFIX}.0/24` }] }, labels: labels(o.run) },
    },
    volumes,
  };
}

/** Compose reads "$x" as its own variable: an engine's shell scripts keep their "$" as "$$". */
function literal(args: readonly string[]): string[] {
  return args.map((a) => a.replaceAll('$', '$$$$'));
}

export function renderCompose(doc: Record<string, unknown>): string {
  return `# bankrun cluster — bring it up by hand: docker compose -f compose.yml -p bankrun up -d\n${stringify(doc)}`;
}
