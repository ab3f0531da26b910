// The API node's process, wherever its adapter comes from: flags, the adapter, the server, a clean
// shutdown on a signal, exit codes. main.ts runs it from the checkout (any adapter in adapters/ or
// a module path); the bundle that bundle.ts builds for containers runs it with one adapter inside.
//   --name n1 --adapter NAME_OR_PATH [--config '{"k":"v"}'] [--port 0] [--host 127.0.0.1] [--deadline-ms 4000]
// Prints {"event":"listening","node":…,"port":…} on stdout once listening (spawn.ts waits for it).
// Exit codes: 0 after SIGTERM/SIGINT, 1 when the adapter or the socket fails, 2 for bad flags.

import process from 'node:process';
import { parseArgs } from 'node:util';
import { parseConfigJson } from '../config-json.ts';
import type { AdapterModule, BankStore } from '../store.ts';
import { createApiServer } from './server.ts';

interface Flags {
  name: string;
  adapter: string;
  config: Record<string, string>;
  port: number;
  host: string;
  deadlineMs: number;
}

/** Finds the module of `--adapter`; `where` names it in messages. Throws UsageError for an unknown one. */
export type AdapterLoader = (adapter: string) => Promise<{ module: unknown; where: string }>;

const FLAGS_USAGE = '--name n1 --adapter NAME_OR_PATH [--config JSON] [--port 0] [--host 127.0.0.1] [--deadline-ms 4000]';
/** Shutdown must beat spawn.ts's 3 s SIGKILL: in-flight requests get this long, then are cut. */
const SHUTDOWN_GRACE_MS = 1500;

export class UsageError extends Error {}

/** Runs the API node; `command` is how the usage line names the program. */
export function runApiNode(command: string, argv: string[], load: AdapterLoader): void {
  main(argv, load).catch((err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`api node: ${err.message}\nusage: ${command} ${FLAGS_USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`api node: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

/** The loader of a bundle that holds one adapter: its name finds it, anything else is refused. */
export function oneAdapter(name: string, module: unknown): AdapterLoader {
  return async (adapter) => {
    if (adapter !== name) throw new UsageError(`this API node holds the adapter ${JSON.stringify(name)} only, not ${JSON.stringify(adapter)}`);
    return { module, where: `adapters/${name}.ts (bundled)` };
  };
}

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

async function loadAdapter(load: AdapterLoader, adapter: string): Promise<AdapterModule> {
  const { module, where } = await load(adapter);
  const mod = module as { create?: unknown; settings?: unknown };
  if (typeof mod.create !== 'function') throw new UsageError(`adapter module ${where} does not export create: StoreFactory`);
  const settings = mod.settings;
  if (settings !== undefined && !(Array.isArray(settings) && settings.every((s) => typeof s === 'string'))) {
    throw new UsageError(`adapter module ${where} exports settings that are not a list of config keys`);
  }
  return mod as AdapterModule;
}

async function main(argv: string[], load: AdapterLoader): Promise<void> {
  const flags = parseFlags(argv);
  const adapter = await loadAdapter(load, flags.adapter);
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
