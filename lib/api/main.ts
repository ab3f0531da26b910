// The API node as its own process: one adapter connected to one database node, behind HTTP.
//   tsx lib/api/main.ts --name n1 --adapter memory|postgres|./path/to/module.ts --config '{"k":"v"}'
//       [--port 0] [--host 127.0.0.1] [--deadline-ms 4000]
// Prints {"event":"listening","node":…,"port":…} on stdout once listening (spawn.ts waits for it).
// Exit codes: 0 after SIGTERM/SIGINT, 1 when the adapter or the socket fails, 2 for bad flags.

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseConfigJson, type AdapterModule, type BankStore } from '../store.ts';
import { createApiServer } from './server.ts';

interface Flags {
  name: string;
  adapter: string;
  config: Record<string, string>;
  port: number;
  host: string;
  deadlineMs: number;
}

const USAGE =
  'usage: tsx lib/api/main.ts --name n1 --adapter NAME_OR_PATH [--config JSON] [--port 0] [--host 127.0.0.1] [--deadline-ms 4000]';
const ADAPTERS_DIR = fileURLToPath(new URL('../../adapters/', import.meta.url));
/** Shutdown must beat spawn.ts's 3 s SIGKILL: in-flight requests get this long, then are cut. */
const SHUTDOWN_GRACE_MS = 1500;

class UsageError extends Error {}

function parseFlags(argv: string[]): Flags {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        name: { type: 'string' },
        adapter: { type: 'string' },
        config: { type: 'string', default: '{}' },
        port: { type: 'string', default: '0' },
        host: { type: 'string', default: '127.0.0.1' },
        'deadline-ms': { type: 'string', default: '4000' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!values.name) throw new UsageError('--name is required (e.g. --name n1)');
  if (!values.adapter) throw new UsageError('--adapter is required (a name in adapters/ or a module path)');
  return {
    name: values.name,
    adapter: values.adapter,
    config: parseConfig(values.config),
    port: parseInteger('--port', values.port, 0, 65535),
    host: values.host,
    deadlineMs: parseInteger('--deadline-ms', values['deadline-ms'], 1, 3_600_000),
  };
}

function parseInteger(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${flag} must be an integer in ${min}..${max}, got ${JSON.stringify(text)}`);
  return n;
}

function parseConfig(text: string): Record<string, string> {
  try {
    return parseConfigJson(text);
  } catch (err) {
    throw new UsageError(`--config ${(err as Error).message}`);
  }
}

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

async function loadAdapter(adapter: string): Promise<AdapterModule> {
  const url = adapterUrl(adapter);
  const mod = (await import(url.href)) as { create?: unknown; settings?: unknown };
  const where = fileURLToPath(url);
  if (typeof mod.create !== 'function') throw new UsageError(`adapter module ${where} does not export create: StoreFactory`);
  const settings = mod.settings;
  if (settings !== undefined && !(Array.isArray(settings) && settings.every((s) => typeof s === 'string'))) {
    throw new UsageError(`adapter module ${where} exports settings that are not a list of config keys`);
  }
  return mod as AdapterModule;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const adapter = await loadAdapter(flags.adapter);
  const store = await adapter.create(flags.config);
  const api = createApiServer(store, {
    name: flags.name,
    deadlineMs: flags.deadlineMs,
    settings: adapter.settings?.length
      ? { names: adapter.settings, open: (changed) => adapter.create({ ...flags.config, ...changed }) }
      : undefined,
  });
  onShutdownSignal(() => shutdown(api.close(SHUTDOWN_GRACE_MS), () => api.store));
  const port = await api.listen(flags.port, flags.host);
  process.stdout.write(`${JSON.stringify({ event: 'listening', node: flags.name, port })}\n`);
}

/** The first signal shuts down cleanly; a second one means "now". */
function onShutdownSignal(shutdown: () => Promise<void>): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

async function shutdown(serverClosed: Promise<void>, store: () => BankStore): Promise<void> {
  await serverClosed;
  await store().close();
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`api node: ${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`api node: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
