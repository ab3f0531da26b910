// What a notebook imports, in one place: the notebook and its cells, fault builders and targets,
// and every runtime (where the nodes live).
//
//   import { notebook, cell, faults, target, docker } from '../lib/index.ts';
//   await using nb = await notebook('etcd-3node', { defaults: { nodes: 3 } });
//   await nb.up(docker.etcd());
//   await nb.run(cell('kill -9 the leader', { fault: faults.kill(target.leader()) }));
//   await nb.report();
import { dockerCluster } from './runtime/docker/docker-runtime.ts';
import { cockroach } from './runtime/docker/engines/cockroach.ts';
import { etcd } from './runtime/docker/engines/etcd.ts';
import { foundationdb } from './runtime/docker/engines/foundationdb.ts';
import { galera } from './runtime/docker/engines/galera.ts';
import { postgresReplicas } from './runtime/docker/engines/postgres.ts';
import { yugabyte } from './runtime/docker/engines/yugabyte.ts';
import { ydb } from './runtime/docker/engines/ydb.ts';

export { cell, faults, notebook, standardCells, target, type Notebook } from './notebook.ts';
export { embeddedMemory, embeddedPostgres } from './runtime/embedded.ts';
export { external } from './runtime/external.ts';

/** Clusters under Docker, one per engine (compose/ and lib/runtime/docker/engines/). */
export const docker = {
  etcd: () => dockerCluster(etcd()),
  galera: () => dockerCluster(galera()),
  postgresReplicas: () => dockerCluster(postgresReplicas()),
  cockroach: () => dockerCluster(cockroach()),
  yugabyte: () => dockerCluster(yugabyte()),
  foundationdb: () => dockerCluster(foundationdb()),
  ydb: () => dockerCluster(ydb()),
};
