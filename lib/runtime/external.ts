// Your own database, through your own adapter: bankrun does not start the database (it runs
// wherever you run it); it starts one local API node per config, each with your adapter module
// and that config (typically one node's address), and drives them like any cluster's. It cannot
// fault a database it did not start: every fault is reported unsupported, never applied.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiClient } from '../api/client.ts';
import { spawnApiNode, type ApiNode } from '../api/spawn.ts';
import { noFaults } from '../faults/kinds.ts';
import { ParamError, takeFlag } from '../params.ts';
import { parseConfigJson } from '../config-json.ts';
import type { Cluster, Runtime } from './cluster.ts';

export interface ExternalOptions {
  /** A module path (./my-db.ts, anywhere on disk) exporting `create`, or a name in adapters/. */
  adapter: string;
  /** One adapter config per database node: API node nK gets configs[K-1]. */
  configs: Record<string, string>[];
}

const NOT_OURS = 'the database runs outside bankrun (external runtime), so bankrun cannot fault its nodes';

export function external(o: ExternalOptions): Runtime {
  // A path is taken from where the notebook runs, as a user typed it.
  const adapter = /^[\w-]+$/.test(o.adapter) ? o.adapter : resolve(o.adapter);
  return {
    name: `your adapter ${o.adapter} (${o.configs.length} node${o.configs.length === 1 ? '' : 's'})`,
    refuse: (params) => (params.nodes === o.configs.length || params.nodes === 1
      ? undefined
      : `--nodes ${params.nodes}: this run has ${o.configs.length} adapter config(s), one per node; give one --config per node`),
    // A module path must exist; a bare name is one of adapters/ (the API node says which exist).
    dryRun: async () => ({
      nodes: o.configs.map((_, i) => `n${i + 1}`),
      checks: [adapter === o.adapter
        ? { what: `adapter ${o.adapter}`, ok: true, detail: 'one of bankrun\'s adapters/' }
        : { what: `adapter ${o.adapter}`, ok: existsSync(adapter), detail: existsSync(adapter) ? adapter : `${adapter} does not exist` }],
    }),
    async start(ctx) {
      const deadlineMs = Math.max(100, ctx.params.timeoutMs - 500);
      const nodes: ApiNode[] = [];
      try {
        for (const [i, config] of o.configs.entries()) {
          nodes.push(await spawnApiNode({ name: `n${i + 1}`, adapter, config, deadlineMs }));
          ctx.log(`n${i + 1}: API node with ${o.adapter} listening on ${nodes[i]!.url}`);
        }
      } catch (err) {
        await Promise.all(nodes.map((n) => n.stop()));
        throw err;
      }
      const api = nodes.map((n) => new ApiClient({ name: n.name, url: n.url, timeoutMs: ctx.params.timeoutMs }));
      let closed = false;
      const cluster: Cluster = {
        nodes: nodes.map((n) => n.name),
        api,
        faults: noFaults(NOT_OURS),
        environment: { database: `external, through ${o.adapter}`, nodes: `${nodes.length} API node(s), local processes; the database is not bankrun's` },
        async close() {
          if (closed) return;
          closed = true;
          await Promise.all(api.map((a) => a.close()));
          await Promise.all(nodes.map((n) => n.stop()));
        },
      };
      return cluster;
    },
  };
}

/**
 * `--adapter PATH` and one `--config JSON` per node, taken out of argv (the rest is the
 * notebook's); throws ParamError saying what is missing or malformed.
 */
export function takeExternalFlags(argv: readonly string[]): { options: ExternalOptions; rest: string[] } {
  const adapter = takeFlag(argv, 'adapter');
  const config = takeFlag(adapter.rest, 'config');
  if (adapter.values.length !== 1) throw new ParamError('--adapter: name your adapter module once, e.g. --adapter ./my-db.ts (see adapters/README.md)');
  if (config.values.length === 0) {
    throw new ParamError(`--config: give one JSON object of strings per database node, e.g. --config '{"url":"postgres://db1:5432/bank"}'`);
  }
  const configs = config.values.map((text, i) => {
    try {
      return parseConfigJson(text);
    } catch (err) {
      throw new ParamError(`--config #${i + 1} ${(err as Error).message}`);
    }
  });
  return { options: { adapter: adapter.values[0]!, configs }, rest: config.rest };
}
