// etcd 3.4, three members (or --nodes 5, 7), each with its API node, under Docker. Steady load,
// then one fault per cell: the leader killed (kill -9) and restarted with its data, a member
// paused, isolated, a minority split from the majority, packet loss, a bandwidth limit, added
// latency, two sides bridged by one member, loss rising step by step; then three faults of those
// kinds drawn from the seed (kinds, nodes, times, lengths); last, n1 isolated while reads are
// served locally (--read-mode serializable for the whole run).
// Every acknowledged transfer must survive, and no money may appear, vanish or go negative.
//
//   npx tsx notebooks/etcd-3node.ts                       # needs a Docker engine
//   npx tsx notebooks/etcd-3node.ts --duration 20s --nodes 5
import { cell, docker, faults, notebook, standardCells, target } from '../lib/index.ts';

// A transfer is an optimistic transaction on two of the accounts: past ~100/s on 10 accounts on a
// 2-core machine, conflicts and their retries pile up into timeouts. Raise --accounts to go faster.
await using nb = await notebook('etcd-3node', { defaults: { nodes: 3, rate: 50 } });
await nb.up(docker.etcd());

// Steady, then kill -9 of the leader, pause, isolate, minority split, loss, bandwidth, latency.
for (const c of standardCells({ kill: target.leader() })) await nb.run(c);
await nb.run(cell('bridge: two sides, one member between', { fault: faults.partition(target.bridge()) }));
await nb.run(cell('deteriorating network on n1', { fault: faults.deteriorating('loss', target.node(1), [10, 30, 60]) }));
await nb.run(cell('random faults', { fault: faults.random({ kinds: ['kill', 'pause', 'partition', 'loss'], count: 3 }) }));
// Serializable reads are served by the member itself, without asking the leader: an isolated
// member keeps answering, with balances that may be stale.
await nb.run(cell('isolate n1, serializable reads', { settings: { readMode: 'serializable' }, fault: faults.partition(target.node(1)) }));

await nb.report();
