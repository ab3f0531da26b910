// Engine settings (lib/settings.ts): flags checked against the engine's specs, per-cell changes,
// what is sent to the API nodes, and how the report states them.
import t from 'tap';
import { planCell, cell } from '../lib/cells.ts';
import { DEFAULTS } from '../lib/params.ts';
import { SeededRandom } from '../lib/random.ts';
import { galeraSettings, postgresSettings } from '../lib/runtime/engine-settings.ts';
import { postgresReplicas } from '../lib/runtime/docker/engines/postgres.ts';
import { nodeAddresses } from '../lib/runtime/docker/compose-file.ts';
import { changedSettings, defaultValues, describeSettings, flagOf, settingsFromFlags, settingsUsage } from '../lib/settings.ts';

t.test('flags are the keys in kebab case', async (t) => {
  t.same(galeraSettings.map((s) => flagOf(s.key)), ['isolation', 'for-update', 'flush-log-at-trx-commit']);
});

t.test('the run\'s settings: defaults, with the flags over them', async (t) => {
  t.same(settingsFromFlags(galeraSettings, {}), { isolation: 'repeatable-read', forUpdate: 'true', flushLogAtTrxCommit: '1' });
  t.same(settingsFromFlags(galeraSettings, { 'for-update': 'false', 'flush-log-at-trx-commit': '2' }),
    { isolation: 'repeatable-read', forUpdate: 'false', flushLogAtTrxCommit: '2' });
});

t.test('a wrong setting flag names the flag and what is allowed', async (t) => {
  t.throws(() => settingsFromFlags(galeraSettings, { isolation: 'snapshot' }), /--isolation: 'snapshot' is not one of repeatable-read, serializable, read-committed/);
  t.throws(() => settingsFromFlags(galeraSettings, { reads: 'serializable' }), /unknown option --reads \(this engine's settings: --isolation, --for-update, --flush-log-at-trx-commit\)/);
  t.throws(() => settingsFromFlags([], { isolation: 'serializable' }), /unknown option --isolation$/);
});

t.test('a cell\'s settings override the run\'s; a wrong one names the cell\'s option', async (t) => {
  const engine = { specs: postgresSettings, values: defaultValues(postgresSettings) };
  const random = new SeededRandom(1, 'nemesis');
  const plan = planCell(cell('weak', { settings: { synchronousCommit: 'off' } }), DEFAULTS, random, engine);
  t.same(plan.settings, { isolation: 'serializable', synchronousCommit: 'off' });
  t.same(planCell(cell('plain'), DEFAULTS, random, engine).settings, engine.values, 'a cell without settings runs under the run\'s');
  t.throws(() => planCell(cell('bad', { settings: { isolation: 'snapshot' } }), DEFAULTS, random, engine), /settings.isolation: 'snapshot' is not one of/);
  t.throws(() => planCell(cell('bad', { settings: { forUpdate: 'false' } }), DEFAULTS, random, engine), /no setting forUpdate \(it has: isolation, synchronousCommit\)/);
});

t.test('only what changed is sent; a replica keeps its weaker isolation under serializable', async (t) => {
  t.same(changedSettings({ isolation: 'serializable', synchronousCommit: 'on' }, { isolation: 'serializable', synchronousCommit: 'off' }), { synchronousCommit: 'off' });
  const engine = postgresReplicas();
  const [primary, replica] = nodeAddresses(2);
  const values = defaultValues(engine.settings);
  t.equal(engine.adapterConfig(primary!, [], values).isolation, 'serializable');
  t.equal(engine.adapterConfig(replica!, [], values).isolation, 'repeatable-read');
  t.equal(engine.adapterConfig(replica!, [], { ...values, isolation: 'read-committed' }).isolation, 'read-committed');
});

t.test('the report states each setting with its meaning; --help lists them', async (t) => {
  t.same(describeSettings(galeraSettings, { isolation: 'serializable', forUpdate: 'false', flushLogAtTrxCommit: '0' }), {
    isolation: 'serializable',
    'transfer reads': 'plain SELECT (no row locks)',
    innodb_flush_log_at_trx_commit: '0 (redo log written and fsynced about once a second)',
  });
  t.match(settingsUsage(postgresSettings, {}).join('\n'), /--synchronous-commit .*: on \| off \(default: on\)/);
});

t.test('no engine setting takes one of bankrun\'s own flags; one that did is refused', async (t) => {
  const all = await import('../lib/runtime/engine-settings.ts');
  for (const [name, specs] of Object.entries(all)) {
    t.doesNotThrow(() => settingsFromFlags(specs as typeof galeraSettings, {}), name);
  }
  t.throws(() => settingsFromFlags([{ key: 'reads', label: 'reads', help: '', values: ['a'], default: 'a' }], {}), /setting reads has the flag --reads, which is bankrun's own/);
});
