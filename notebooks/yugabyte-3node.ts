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
import { cell, faults, notebook, target } from '../lib/notebook.ts';
import { dockerCluster } from '../lib/runtime/docker/docker-runtime.ts';
import { yugabyte } from '../lib/runtime/docker/engines/yugabyte.ts';

const nb = await notebook('yugabyte-3node', { defaults: { nodes: 3, rate: 100 } });
await nb.up(dockerCluster(yugabyte()));

await nb.run(cell('steady'));
// Tablet leaders spread over the nodes; no one node leads them all, so the target is named.
await nb.run(cell('kill -9 n1 and restart', { fault: faults.kill(target.node(1)) }));
await nb.run(cell('pause n1', { fault: faults.pause(target.node(1)) }));
await nb.run(cell('isolate n1', { fault: faults.partition(target.node(1)) }));
await nb.run(cell('minority | majority split', { fault: faults.partition(target.minority()) }));
await nb.run(cell('packet loss on n1', { fault: faults.loss(target.node(1)) }));
await nb.run(cell('bandwidth limit on n1', { fault: faults.bandwidth(target.node(1)) }));
await nb.run(cell('latency on n1', { fault: faults.latency(target.node(1)) }));
await nb.run(cell('read committed', { settings: { isolation: 'read-committed' } }));

await nb.report();
