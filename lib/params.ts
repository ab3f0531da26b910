// A notebook's parameters: every one has a default, every one can be overridden on the command
// line, and a wrong flag stops the run with a clear message before anything starts.
import { parseArgs } from 'node:util';
import type { Routing } from './workload/router.ts';

export type Loop = 'open' | 'closed';

export interface Params {
  /** Load duration of each cell. */
  durationMs: number;
  seed: number;
  /** Open loop: operations per second. */
  rate: number;
  /** Closed loop: concurrent workers. */
  workers: number;
  loop: Loop;
  routing: Routing;
  accounts: number;
  balance: number;
  maxAmount: number;
  /** Share of reads among operations, 0..1. */
  reads: number;
  /** Per-operation timeout, after which a transfer is indeterminate. */
  timeoutMs: number;
  /** Length of each fault window. */
  faultMs: number;
  nodes: number;
  /** Folder under which results/<notebook>/<timestamp>/ is written. */
  out: string;
  /** Only these cells run (their names, comma-separated); empty: every cell. */
  cells: string;
}

export const DEFAULTS: Params = {
  durationMs: 30_000,
  seed: 0, // replaced by a random seed when not given; recorded so the run can be repeated
  rate: 200,
  workers: 16,
  loop: 'open',
  routing: 'all',
  accounts: 10,
  balance: 100,
  maxAmount: 20,
  reads: 0.2,
  timeoutMs: 5_000,
  faultMs: 5_000,
  nodes: 1,
  out: 'results',
  cells: '',
};

interface FlagSpec {
  key: keyof Params;
  help: string;
  parse: (raw: string) => Params[keyof Params];
  /** Left out of the re-run command: where the results go is the re-runner's choice. */
  notRerun?: true;
}

export class ParamError extends Error {
  override name = 'ParamError';
}

/** bankrun's flags that take no value. */
const SWITCHES = ['help', 'dry-run'];

const FLAGS: Record<string, FlagSpec> = {
  duration: { key: 'durationMs', help: 'load duration of each cell (e.g. 10s, 2m)', parse: (v) => positive('duration', parseDurationMs(v, 'duration')) },
  seed: { key: 'seed', help: 'random seed: same seed, same operations and fault targets', parse: (v) => integer('seed', v, 0, 2 ** 31 - 1) },
  rate: { key: 'rate', help: 'open loop: operations per second', parse: (v) => number('rate', v, 0.1, 1_000_000) },
  workers: { key: 'workers', help: 'closed loop: concurrent workers', parse: (v) => integer('workers', v, 1, 10_000) },
  loop: { key: 'loop', help: 'open (fixed arrival rate) or closed (workers wait for answers)', parse: (v) => oneOf('loop', v, ['open', 'closed']) },
  routing: { key: 'routing', help: 'all (random API node per operation) or one (all to n1)', parse: (v) => oneOf('routing', v, ['all', 'one']) },
  accounts: { key: 'accounts', help: 'number of bank accounts', parse: (v) => integer('accounts', v, 2, 100_000) },
  balance: { key: 'balance', help: 'initial balance of each account', parse: (v) => integer('balance', v, 1, 1e12) },
  'max-amount': { key: 'maxAmount', help: 'largest transfer amount (amounts are 1..max)', parse: (v) => integer('max-amount', v, 1, 1e12) },
  reads: { key: 'reads', help: 'share of full-balance reads among operations, 0..1', parse: (v) => number('reads', v, 0, 1) },
  timeout: { key: 'timeoutMs', help: 'per-operation timeout; a transfer past it is indeterminate', parse: (v) => positive('timeout', parseDurationMs(v, 'timeout')) },
  'fault-for': { key: 'faultMs', help: 'length of each fault window', parse: (v) => positive('fault-for', parseDurationMs(v, 'fault-for')) },
  nodes: { key: 'nodes', help: 'database nodes in the cluster', parse: (v) => integer('nodes', v, 1, 99) },
  out: { key: 'out', help: 'folder for results', parse: (v) => v, notRerun: true },
  cells: { key: 'cells', help: 'run only these cells, by name, comma-separated (e.g. "steady,pause n1")', parse: (v) => cellList(v) },
};

/** Cell names as the command line gives them, comma-separated; at least one. */
function cellList(raw: string): string {
  const names = splitCells(raw);
  if (names.length === 0) throw new ParamError(`--cells: '${raw}' names no cell (give names separated by commas)`);
  return names.join(',');
}

export function splitCells(raw: string): string[] {
  return raw.split(',').map((n) => n.trim()).filter(Boolean);
}

/** A value as its flag takes it back: durations in seconds with their unit, the rest as they are. */
function flagValue(key: keyof Params, value: Params[keyof Params]): string {
  return key.endsWith('Ms') ? `${Number(value) / 1000}s` : String(value);
}

/**
 * The flags that run these parameters again, in the flag table's order: every parameter, so a
 * re-run does not depend on defaults that may change; a default-empty one (--cells) only when set.
 */
export function rerunFlags(p: Params): string[] {
  return Object.entries(FLAGS).flatMap(([name, spec]) => {
    const value = p[spec.key];
    if (spec.notRerun || value === '') return [];
    const shown = flagValue(spec.key, value);
    return [`--${name}`, /^[\w.,:/-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", "'\\''")}'`];
  });
}

export interface ParsedArgs {
  params: Params;
  seedGiven: boolean;
  /** Flags that are not bankrun's own, flag → value: the engine's settings (lib/settings.ts) check them. */
  engineFlags: Record<string, string>;
  help: boolean;
  /** --dry-run: check that a real run could start and show what it would do; start nothing. */
  dryRun: boolean;
}

/**
 * Takes every `--name value` / `--name=value` out of argv, for a notebook's own flags (given
 * before notebook() parses the rest): the values in order, and argv without them.
 */
export function takeFlag(argv: readonly string[], name: string): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith(`--${name}=`)) values.push(arg.slice(name.length + 3));
    else if (arg === `--${name}`) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new ParamError(`--${name} needs a value`);
      values.push(value);
      i++;
    } else rest.push(arg);
  }
  return { values, rest };
}

/** Whether `--name` is one of bankrun's own flags (an engine's setting must not take one). */
export function isOwnFlag(name: string): boolean {
  return SWITCHES.includes(name) || Object.hasOwn(FLAGS, name);
}

/** Parses `argv` over `defaults`; throws ParamError with the flag and the fix. */
export function parseParams(argv: string[], defaults: Params): ParsedArgs {
  const { own, engineFlags } = splitEngineFlags(argv);
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      options: {
        help: { type: 'boolean', short: 'h' },
        'dry-run': { type: 'boolean' },
        ...Object.fromEntries(Object.keys(FLAGS).map((name) => [name, { type: 'string' as const }])),
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new ParamError(`${(err as Error).message.replace(/\. To specify .*$/s, '')}\n\n${usage(defaults)}`);
  }
  const params = { ...defaults };
  for (const [name, raw] of Object.entries(parsed.values)) {
    const spec = FLAGS[name];
    if (!spec || typeof raw !== 'string') continue;
    (params as Record<string, unknown>)[spec.key] = spec.parse(raw);
  }
  const seedGiven = typeof (parsed.values as Record<string, unknown>).seed === 'string';
  return { params, seedGiven, engineFlags, help: parsed.values.help === true, dryRun: parsed.values['dry-run'] === true };
}

/**
 * Takes `--name value` and `--name=value` pairs whose name is not one of bankrun's flags out of
 * argv: the engine's settings are known only once the notebook brings its cluster up.
 */
function splitEngineFlags(argv: string[]): { own: string[]; engineFlags: Record<string, string> } {
  const own: string[] = [];
  const engineFlags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    if (!m || SWITCHES.includes(m[1]!) || FLAGS[m[1]!]) {
      own.push(arg);
      // A value of bankrun's own flag may itself start with "--": keep it with its flag.
      if (m && m[2] === undefined && FLAGS[m[1]!] && i + 1 < argv.length) own.push(argv[++i]!);
      continue;
    }
    const value = m[2] ?? argv[i + 1];
    if (value === undefined || (m[2] === undefined && value.startsWith('--'))) throw new ParamError(`--${m[1]} needs a value`);
    if (m[2] === undefined) i++;
    engineFlags[m[1]!] = value;
  }
  return { own, engineFlags };
}

export function usage(defaults: Params): string {
  const lines = Object.entries(FLAGS).map(([name, spec]) => {
    const shown = spec.key === 'seed' ? 'random' : spec.key === 'cells' ? 'all' : flagValue(spec.key, defaults[spec.key]);
    return `  --${name.padEnd(11)} ${spec.help} (default: ${shown})`;
  });
  return `Options:\n${lines.join('\n')}\n` +
    '  --dry-run     check that a real run could start (engine, memory, images, client libraries, compose file)\n' +
    '                and print the cells and faults it would run; nothing is started\n' +
    '  --help        this text';
}

/** Durations as people write them: 500ms, 10s, 2m, 1h, or a plain number of seconds. */
export function parseDurationMs(raw: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw new ParamError(`--${flag}: '${raw}' is not a duration (use e.g. 500ms, 10s, 2m)`);
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Number(m[1]) * unitMs;
}

function positive(flag: string, ms: number): number {
  if (ms <= 0) throw new ParamError(`--${flag}: must be longer than zero`);
  return ms;
}

function number(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new ParamError(`--${flag}: '${raw}' is not a number from ${min} to ${max}`);
  }
  return n;
}

function integer(flag: string, raw: string, min: number, max: number): number {
  const n = number(flag, raw, min, max);
  if (!Number.isInteger(n)) throw new ParamError(`--${flag}: '${raw}' is not a whole number`);
  return n;
}

function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if (!allowed.includes(raw as T)) throw new ParamError(`--${flag}: '${raw}' is not one of ${allowed.join(', ')}`);
  return raw as T;
}
