// The API node from the checkout, as spawn.ts starts it for local runs:
//   tsx lib/api/main.ts --name n1 --adapter memory|postgres|./path/to/module.ts --config '{"k":"v"}'
//       [--port 0] [--host 127.0.0.1] [--deadline-ms 4000]
// Any adapter in adapters/ by name, or any module by path. Flags, output and exit codes: run.ts.
// Containers run a bundle of run.ts and one adapter instead (bundle.ts).

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runApiNode, UsageError } from './run.ts';

const ADAPTERS_DIR = fileURLToPath(new URL('../../adapters/', import.meta.url));

/** A bare name is a file in adapters/; anything with a slash or an extension is a module path. */
function adapterUrl(adapter: string): URL {
  if (/^[\w-]+$/.test(adapter)) {
    const file = path.join(ADAPTERS_DIR, `${adapter}.ts`);
    if (!existsSync(file)) throw new UsageError(`unknown adapter ${JSON.stringify(adapter)}; known: ${knownAdapters()}`);
    return pathToFileURL(file);
  }
  const file = path.resolve(adapter);
  if (!existsSync(file)) throw new UsageError(`adapter module ${file} does not exist`);
  return pathToFileURL(file);
}

function knownAdapters(): string {
  return readdirSync(ADAPTERS_DIR).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).join(', ');
}

runApiNode('tsx lib/api/main.ts', process.argv.slice(2), async (adapter) => {
  const url = adapterUrl(adapter);
  return { module: await import(url.href), where: fileURLToPath(url) };
});
