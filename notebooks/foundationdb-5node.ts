// FoundationDB 7.3, five fdbserver nodes (triple redundancy, five coordinators; --nodes 3 gives
// double with three, --nodes 7 triple with five), each with its API node, under Docker. Steady
// load, then one fault per cell: a node killed (kill -9) and restarted with its data, paused,
// isolated, a minority split from the majority, packet loss, a bandwidth limit, added latency;
// last, two nodes killed at once, which triple redundancy is built to survive.
// Every acknowledged transfer must survive, and no money may appear, vanish or go negative.
//
//   npx tsx notebooks/foundationdb-5node.ts               # needs a Docker engine and a registry
//   npx tsx notebooks/foundationdb-5node.ts --duration 20s --nodes 3
//
// The first run pulls foundationdb/foundationdb:7.3.79 and builds bankrun/api-fdb (compose/api-fdb).
//
// Unlike etcd's or Galera's, an API node's client is not tied to its paired node: libfdb_c reads
// the cluster file and talks to the whole cluster (coordinators, proxies, storage servers). A fault
// on n1 therefore need not make api1 fail; what it shows is how the cluster as a whole copes.
import { cell, docker, faults, notebook, standardCells, target } from '../lib/index.ts';

// Not measured here (no FoundationDB server runs on our machines): start at 100/s, between what
// etcd and Galera sustain on a 2-core machine, and raise it with --rate where there is room.
await using nb = await notebook('foundationdb-5node', { defaults: { nodes: 5, rate: 100 } });
await nb.up(docker.foundationdb());

// Steady, then kill -9 of n1, pause, isolate, minority split, loss, bandwidth, latency. No
// target.leader(): the adapter cannot name one leading node (roles such as the cluster
// controller, sequencer and proxies are recruited on any process and move), so n1 stands in.
// n1 is also a coordinator, which makes its loss a real one.
for (const c of standardCells()) await nb.run(c);
// Two of five at once (the minority, drawn from the seed): triple keeps three copies and five
// coordinators, so three live nodes still make progress and nothing acknowledged may be lost.
// At --nodes 7 the minority is three nodes, past what triple promises: expect unavailability.
await nb.run(cell('kill -9 two nodes at once', { fault: faults.kill(target.minority()) }));

await nb.report();
