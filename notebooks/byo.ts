// Your own database, through your own adapter (adapters/README.md): bankrun starts one API node
// per --config with your adapter module and that config, runs steady load in the open and the
// closed loop, checks every operation and writes the report. The database runs wherever you run
// it; bankrun cannot fault it, so this notebook has no fault cells.
//
//   npx tsx notebooks/byo.ts --adapter ../my-db/tidb.ts \
//     --config '{"host":"10.0.0.1","port":"4000"}' --config '{"host":"10.0.0.2","port":"4000"}'
//
// Run `npm run contract -- --adapter … --config …` first: it says whether the adapter keeps the
// contract every adapter must keep.
import { cell, external, notebook } from '../lib/index.ts';
import { ParamError } from '../lib/params.ts';
import { takeExternalFlags } from '../lib/runtime/external.ts';

let taken;
try {
  taken = takeExternalFlags(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof ParamError)) throw err;
  console.error(`byo: ${err.message}`);
  process.exit(2);
}
const { options, rest } = taken;
await using nb = await notebook('byo', { argv: rest, defaults: { nodes: options.configs.length } });
await nb.up(external(options));

await nb.run(cell('steady, open loop', { loop: 'open' }));
await nb.run(cell('steady, closed loop', { loop: 'closed' }));
await nb.run(cell('steady, all to n1', { routing: 'one' }));

await nb.report();
