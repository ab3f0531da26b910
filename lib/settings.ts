// An engine's settings: the isolation, durability and read-mode choices a notebook can make, as
// command-line flags for the whole run and per cell, so one run can show what a weaker setting
// costs in correctness. Each setting is a config key of the engine's adapter (AdapterModule in
// lib/store.ts); the API nodes apply a change between cells (PUT /settings).
import { isOwnFlag, ParamError } from './params.ts';

export interface SettingSpec {
  /** The adapter's config key, e.g. `forUpdate`; its flag is the same in kebab case (--for-update). */
  key: string;
  /** As the report names it, e.g. "transfer reads". */
  label: string;
  help: string;
  values: readonly string[];
  default: string;
  /** How the report states a value; default: the value itself. */
  describe?: (value: string) => string;
  /** Set when the cluster is made (e.g. a replication factor) and for the whole run, never per cell. */
  runOnly?: boolean;
}

/** Setting key → value, every setting of the engine present. */
export type SettingValues = Record<string, string>;

export const flagOf = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function defaultValues(specs: readonly SettingSpec[]): SettingValues {
  return Object.fromEntries(specs.map((s) => [s.key, s.default]));
}

/**
 * `base` with `changes` over it, each checked against the specs. `where` names the source in the
 * message (a flag, a cell), so a wrong value says where it came from and what is allowed.
 */
export function withChanges(specs: readonly SettingSpec[], base: SettingValues, changes: Record<string, string>, where: (key: string) => string): SettingValues {
  const out = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    const spec = specs.find((s) => s.key === key);
    if (!spec) {
      const known = specs.map((s) => s.key).join(', ');
      throw new ParamError(`${where(key)}: this engine has no setting ${key} (${known ? `it has: ${known}` : 'it has none'})`);
    }
    if (!spec.values.includes(value)) throw new ParamError(`${where(key)}: '${value}' is not one of ${spec.values.join(', ')}`);
    out[key] = value;
  }
  return out;
}

/** A cell's settings over the run's: like withChanges, but a run-only setting cannot change. */
export function cellSettings(specs: readonly SettingSpec[], run: SettingValues, changes: Record<string, string>): SettingValues {
  const out = withChanges(specs, run, changes, (key) => `settings.${key}`);
  for (const spec of specs) {
    if (spec.runOnly && out[spec.key] !== run[spec.key]) {
      throw new ParamError(`settings.${spec.key}: ${spec.label} is set when the cluster is made; give it for the whole run (--${flagOf(spec.key)})`);
    }
  }
  return out;
}

/** The settings that differ between two sets of values (what must be sent to the API nodes). */
export function changedSettings(from: SettingValues, to: SettingValues): Record<string, string> {
  return Object.fromEntries(Object.entries(to).filter(([k, v]) => from[k] !== v));
}

/** Label → value as the report states it. */
export function describeSettings(specs: readonly SettingSpec[], values: SettingValues): Record<string, string> {
  return Object.fromEntries(specs.map((s) => {
    const v = values[s.key] ?? s.default;
    return [s.label, s.describe ? s.describe(v) : v];
  }));
}

/** The usage lines of the settings' flags. */
export function settingsUsage(specs: readonly SettingSpec[], values: SettingValues): string[] {
  return specs.map((s) => `  --${flagOf(s.key).padEnd(11)} ${s.help}: ${s.values.join(' | ')} (default: ${values[s.key] ?? s.default})`);
}

/** The run's settings: the defaults with the command line's engine flags over them. */
export function settingsFromFlags(specs: readonly SettingSpec[], flags: Record<string, string>): SettingValues {
  const taken = specs.filter((s) => isOwnFlag(flagOf(s.key)));
  // An engine's setting named like one of bankrun's flags could never be given on the command line.
  if (taken.length > 0) throw new Error(`setting ${taken[0]!.key} has the flag --${flagOf(taken[0]!.key)}, which is bankrun's own: rename the setting`);
  const byFlag = new Map(specs.map((s) => [flagOf(s.key), s.key]));
  const changes: Record<string, string> = {};
  for (const [flag, value] of Object.entries(flags)) {
    const key = byFlag.get(flag);
    if (!key) {
      const known = [...byFlag.keys()].map((f) => `--${f}`).join(', ');
      throw new ParamError(`unknown option --${flag}${known ? ` (this engine's settings: ${known})` : ''}`);
    }
    changes[key] = value;
  }
  return withChanges(specs, defaultValues(specs), changes, (key) => `--${flagOf(key)}`);
}
