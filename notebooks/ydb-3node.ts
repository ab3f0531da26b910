// YDB 25.2, three containers (or --nodes 5, 7), each with its API node, under Docker. Layout:
// n1–n3 each run a storage node (three file-backed PDisks on the node's volume; mirror-3-dc over
// the three, which survives one of them down) and a database node of /Root/testdb; at 5 or 7 nodes,
// n4… run a database node only. Every API node talks to the database node in its own container.
//
// Needs an x86-64 Docker engine (ydbd needs AVX2; there is no ARM build) with room for it:
// containers n1–n3 are limited to 5 GiB each, database-only ones to 3 GiB. The check before
// bring-up counts the largest, 5 GiB + 128 MiB for its API node, for every node: about 15.4 GiB at
// 3 nodes (25.6 at 5, 36 at 7). The first run pulls ydbplatform/local-ydb:25.2.1.
//
// Steady load, then one fault per cell: n1 killed (kill -9) and restarted with its data, paused,
// isolated, a minority split from the majority, packet loss, a bandwidth limit, added latency;
// last, every node killed at once (a power loss) and restarted. Every acknowledged transfer must
// survive, and no money may appear, vanish or go negative.
//
//   npx tsx notebooks/ydb-3node.ts                       # needs a Docker engine
//   npx tsx notebooks/ydb-3node.ts --duration 20s --nodes 5
//   npx tsx notebooks/ydb-3node.ts --read-mode snapshot  # how reads of all balances run (see --help)
import { cell, docker, faults, notebook, standardCells, target } from '../lib/index.ts';

// Transfers take optimistic locks on two of the accounts: a conflicting commit aborts and is
// retried. 50/s, as for etcd, is a first rate, not yet measured against YDB.
await using nb = await notebook('ydb-3node', { defaults: { nodes: 3, rate: 50 } });
await nb.up(docker.ydb());

// Steady, then kill -9 of n1, pause, isolate, minority split, loss, bandwidth, latency: the same
// cells as every engine's notebook. Tablets spread over the database nodes and no one node leads
// them all, so the kill's target is named.
for (const c of standardCells()) await nb.run(c);
// A commit is acknowledged once its blobs are on the PDisks of the storage nodes. Killing every
// node at once tests exactly that: after the restart, from the PDisk files alone, every
// acknowledged transfer must be there. Last, because the whole cluster restarts.
await nb.run(cell('power loss: kill -9 every node, restart', { fault: faults.kill(target.all()) }));

await nb.report();
