// MariaDB Galera, three nodes (or --nodes 5, 7), each with its API node, under Docker. Steady load,
// then one fault per cell: a node killed (kill -9) and restarted with its data (it must rejoin,
// not start a second cluster), paused, isolated, a minority split from the majority, packet loss,
// a bandwidth limit, added latency. Every acknowledged transfer must survive, and no money may
// appear, vanish or go negative. The last cell weakens a setting on purpose and shows the price.
//
//   npx tsx notebooks/galera-3node.ts                       # needs a Docker engine
//   npx tsx notebooks/galera-3node.ts --duration 20s --nodes 5
//
// The database's own settings are flags (see --help): --isolation, --for-update (false reads
// without row locks), --flush-log-at-trx-commit. The last cells change them to show what a weaker
// setting costs; the report states each cell's settings.
import { cell, docker, notebook, standardCells } from '../lib/index.ts';

// 150 operations/s: measured on a 2-core machine that also runs the tester and the 3 API nodes,
// steady p99 stays under 60 ms (about 115 ok transfers/s); at 200/s p99 reaches 0.1–0.5 s, at 250/s
// a second, and at 400/s every node's commit queue overflows into timeouts.
await using nb = await notebook('galera-3node', { defaults: { nodes: 3, rate: 150 } });
await nb.up(docker.galera());

// Steady, then kill -9 of n1, pause, isolate, minority split, loss, bandwidth, latency.
for (const c of standardCells()) await nb.run(c);
// What a weaker setting costs: transfers that read without row locks. 16 workers on one node make
// two transfers from one account meet often enough for lost updates to show, if the database lets
// them. Last, because money lost here stays lost for any cell after it.
await nb.run(cell('no row locks: plain SELECT, then UPDATE', {
  settings: { forUpdate: 'false' }, loop: 'closed', workers: 16, routing: 'one',
}));

await nb.report();
