// Fixture for the exit-hook test: starts a node, prints its pid and dir, and exits WITHOUT
// stopping it. The runtime's process 'exit' hook must kill the node's processes.
import { startPostgresNode } from '../../lib/runtime/embedded-postgres.ts';

const node = await startPostgresNode({ name: 'orphan' });
process.stdout.write(JSON.stringify({ pid: node.pid, dataDir: node.dataDir }) + '\n');
process.exit(0);
