// PostgreSQL 15, one primary (n1) and two streaming replicas (or --nodes 5, 7), each node with its
// API node, under Docker. Transfers succeed only through the primary's API node: the replicas'
// API nodes answer reads and refuse writes, and the report shows what that costs. There is no
// failover, so while the primary is down nothing is written. The last cells weaken the isolation and
// the durability on purpose (see --help for the settings' flags).
//
//   npx tsx notebooks/postgres-3node.ts                   # needs a Docker engine
//   npx tsx notebooks/postgres-3node.ts --routing one     # every operation to n1, the primary
import { cell, docker, faults, notebook, standardCells, target } from '../lib/index.ts';

await using nb = await notebook('postgres-3node', { defaults: { nodes: 3, rate: 100 } });
await nb.up(docker.postgresReplicas());

// Steady, then kill -9 of n1 (the primary), pause, isolate, minority split, loss, bandwidth, latency.
for (const c of standardCells()) await nb.run(c);
await nb.run(cell('kill -9 a replica (n2) and restart', { fault: faults.kill(target.node(2)) }));
// What weaker settings cost. Read committed: a transfer is one statement whose UPDATE re-checks the
// balance on the newest row version, so it should cost nothing here. synchronous_commit off: a
// commit is acknowledged before its WAL reaches the disk, so kill -9 may lose acknowledged
// transfers. Last, because money lost here stays lost for any cell after it.
await nb.run(cell('read committed', { settings: { isolation: 'read-committed' } }));
await nb.run(cell('kill -9 the primary with synchronous_commit off', {
  settings: { synchronousCommit: 'off' }, fault: faults.kill(target.node(1)),
}));

await nb.report();
