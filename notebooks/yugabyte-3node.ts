// YugabyteDB (YSQL), three nodes (or --nodes 5, 7), each with its API node, under Docker. Steady
// load, then one fault per cell: a node killed (kill -9) and restarted with its data, paused,
// isolated, a minority split from the majority, packet loss, a bandwidth limit, added latency;
// last, the same transfers under read committed. Every acknowledged transfer must survive, and no
// money may appear, vanish or go negative.
//
//   npx tsx notebooks/yugabyte-3node.ts                  # needs Docker and, once, the image
//   npx tsx notebooks/yugabyte-3node.ts --nodes 5 --isolation repeatable-read
//
// Memory: about 2.1 GiB a node with its API node (6.4 GiB at 3 nodes).
// The API node of nK talks to nK only (plain `pg`, not the smart driver that spreads
// connections over the universe), so a fault on nK is what its API node sees.
import { cell, docker, notebook, standardCells } from '../lib/index.ts';

await using nb = await notebook('yugabyte-3node', { defaults: { nodes: 3, rate: 100 } });
await nb.up(docker.yugabyte());

// Steady, then kill -9 of n1, pause, isolate, minority split, loss, bandwidth, latency. Tablet
// leaders spread over the nodes; no one node leads them all, so the kill's target is named.
for (const c of standardCells()) await nb.run(c);
await nb.run(cell('read committed', { settings: { isolation: 'read-committed' } }));

await nb.report();
