// CockroachDB, five nodes (or --nodes 3, 7), each with its API node, under Docker. Steady load,
// then one fault per cell: the leaseholder of the accounts killed (kill -9) and restarted with its
// store, a node paused, isolated, a minority split from the majority, packet loss, a bandwidth
// limit, added latency; then two nodes killed at once. On 5 nodes every range has five copies
// (--replicas auto) and survives that; with --replicas 3, a range that had two of its copies on the
// killed nodes stops until they return — watch the throughput. Every acknowledged transfer must
// survive, and no money may appear, vanish or go negative.
//
//   npx tsx notebooks/cockroach-5node.ts                 # needs Docker and, once, the image
//   npx tsx notebooks/cockroach-5node.ts --replicas 3    # two nodes down: some ranges stop
//   npx tsx notebooks/cockroach-5node.ts --nodes 3 --duration 20s
//
// Memory: about 1.7 GiB a node with its API node (8.3 GiB at 5 nodes).
import { cell, docker, faults, notebook, standardCells, target } from '../lib/index.ts';

await using nb = await notebook('cockroach-5node', { defaults: { nodes: 5, rate: 100 } });
await nb.up(docker.cockroach());

// Steady, then kill -9 of the leaseholder (the leader of the accounts' range), pause, isolate,
// minority split, loss, bandwidth, latency.
for (const c of standardCells({ kill: target.leader() })) await nb.run(c);
// ⌊n/2⌋ nodes at once: two of five. Survivable for every range only with five replicas.
await nb.run(cell('kill -9 a minority at once', { fault: faults.kill(target.minority()) }));
await nb.run(cell('read committed', { settings: { isolation: 'read-committed' } }));

await nb.report();
