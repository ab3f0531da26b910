// CockroachDB, five nodes (or --nodes 3, 7), each with its API node, under Docker. Steady load,
// then one fault per cell: the leaseholder of the accounts killed (kill -9) and restarted with its
// store, a node paused, isolated, a minority split from the majority, packet loss, a bandwidth
// limit, added latency; then two nodes killed at once. With --replicas 5 every range has five
// copies and survives that; with the default 3, a range that had two of its copies on the killed
// nodes stops until they return — watch the throughput. Every acknowledged transfer must survive,
// and no money may appear, vanish or go negative.
//
//   npx tsx notebooks/cockroach-5node.ts                 # needs Docker and, once, the image
//   npx tsx notebooks/cockroach-5node.ts --replicas 5    # two nodes down, nothing stops
//   npx tsx notebooks/cockroach-5node.ts --nodes 3 --duration 20s
//
// Memory: about 1.7 GiB a node with its API node (8.3 GiB at 5 nodes).
import { cell, faults, notebook, target } from '../lib/notebook.ts';
import { dockerCluster } from '../lib/runtime/docker/docker-runtime.ts';
import { cockroach } from '../lib/runtime/docker/engines/cockroach.ts';

const nb = await notebook('cockroach-5node', { defaults: { nodes: 5, rate: 100 } });
await nb.up(dockerCluster(cockroach()));

await nb.run(cell('steady'));
await nb.run(cell('kill -9 the leaseholder and restart', { fault: faults.kill(target.leader()) }));
await nb.run(cell('pause n1', { fault: faults.pause(target.node(1)) }));
await nb.run(cell('isolate n1', { fault: faults.partition(target.node(1)) }));
await nb.run(cell('minority | majority split', { fault: faults.partition(target.minority()) }));
await nb.run(cell('packet loss on n1', { fault: faults.loss(target.node(1)) }));
await nb.run(cell('bandwidth limit on n1', { fault: faults.bandwidth(target.node(1)) }));
await nb.run(cell('latency on n1', { fault: faults.latency(target.node(1)) }));
// ⌊n/2⌋ nodes at once: two of five. Survivable for every range only with --replicas 5.
await nb.run(cell('kill -9 a minority at once', { fault: faults.kill(target.minority()) }));
await nb.run(cell('read committed', { settings: { isolation: 'read-committed' } }));

await nb.report();
