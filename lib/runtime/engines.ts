// Every engine bankrun can bring up, by the name the command-line tools take (--engine, --engines):
// how to make its runtime, and what it needs. Notebooks import their engine directly; this list
// is for the tools that take any engine (the contract suite, the comparison).
import { dockerCluster } from './docker/docker-runtime.ts';
import { cockroach } from './docker/engines/cockroach.ts';
import { etcd } from './docker/engines/etcd.ts';
import { foundationdb } from './docker/engines/foundationdb.ts';
import { galera } from './docker/engines/galera.ts';
import { postgresReplicas } from './docker/engines/postgres.ts';
import { yugabyte } from './docker/engines/yugabyte.ts';
import { ydb } from './docker/engines/ydb.ts';
import { embeddedMemory, embeddedPostgres } from './embedded.ts';
import type { Runtime } from './cluster.ts';

export interface EngineEntry {
  runtime(): Runtime;
  /** Its images are built here from Debian packages, or it needs no Docker: it runs without a registry. */
  runsWithoutRegistry: boolean;
  docker: boolean;
  /** The node count it runs at when none is given. */
  nodes: number;
}

export const ENGINES: Record<string, EngineEntry> = {
  memory: { runtime: embeddedMemory, runsWithoutRegistry: true, docker: false, nodes: 1 },
  postgres: { runtime: embeddedPostgres, runsWithoutRegistry: true, docker: false, nodes: 1 },
  etcd: { runtime: () => dockerCluster(etcd()), runsWithoutRegistry: true, docker: true, nodes: 3 },
  galera: { runtime: () => dockerCluster(galera()), runsWithoutRegistry: true, docker: true, nodes: 3 },
  'postgres-replicas': { runtime: () => dockerCluster(postgresReplicas()), runsWithoutRegistry: true, docker: true, nodes: 3 },
  cockroach: { runtime: () => dockerCluster(cockroach()), runsWithoutRegistry: false, docker: true, nodes: 3 },
  yugabyte: { runtime: () => dockerCluster(yugabyte()), runsWithoutRegistry: false, docker: true, nodes: 3 },
  foundationdb: { runtime: () => dockerCluster(foundationdb()), runsWithoutRegistry: false, docker: true, nodes: 3 },
  ydb: { runtime: () => dockerCluster(ydb()), runsWithoutRegistry: false, docker: true, nodes: 3 },
};

/** The entry for a name, or an error that lists the names. */
export function engineNamed(name: string): EngineEntry {
  const entry = ENGINES[name];
  if (!entry) throw new Error(`unknown engine '${name}'; known: ${Object.keys(ENGINES).join(', ')}`);
  return entry;
}
