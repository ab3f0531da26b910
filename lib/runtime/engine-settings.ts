// What each engine that runs here lets a notebook choose: isolation, durability, read mode. Each
// is a flag of the run (--isolation read-committed) and can change per cell
// (cell('…', { settings: { isolation: 'read-committed' } })), so one report shows what a weaker
// setting costs. The keys are the adapters' config keys (their `settings` export).
import type { SettingSpec } from '../settings.ts';

const ISOLATION_MEANING: Record<string, string> = {
  serializable: 'serializable',
  'repeatable-read': 'repeatable read (snapshot)',
  'read-committed': 'read committed',
};

/** Transaction isolation of transfers: the levels the engine has, its default first. */
function isolation(levels: readonly string[], note = ''): SettingSpec {
  return {
    key: 'isolation',
    label: 'isolation',
    help: `transaction isolation of transfers${note}`,
    values: levels,
    default: levels[0]!,
    describe: (v) => ISOLATION_MEANING[v] ?? v,
  };
}

export const postgresSettings: readonly SettingSpec[] = [
  isolation(['serializable', 'repeatable-read', 'read-committed']),
  {
    key: 'synchronousCommit',
    label: 'synchronous_commit',
    help: 'on: a commit waits for its WAL flush; off: the last commits may be lost in a crash',
    values: ['on', 'off'],
    default: 'on',
    describe: (v) => (v === 'on' ? 'on (commit waits for the WAL flush)' : 'off (acknowledged before the WAL flush)'),
  },
];

const FLUSH_MEANING: Record<string, string> = {
  '1': '1 (redo log written and fsynced on every commit)',
  '2': '2 (redo log written on every commit, fsynced about once a second)',
  '0': '0 (redo log written and fsynced about once a second)',
};

export const galeraSettings: readonly SettingSpec[] = [
  isolation(['repeatable-read', 'serializable', 'read-committed']),
  {
    key: 'forUpdate',
    label: 'transfer reads',
    help: 'true: read both accounts with SELECT … FOR UPDATE; false: plain SELECT (lost updates possible)',
    values: ['true', 'false'],
    default: 'true',
    describe: (v) => (v === 'true' ? 'SELECT … FOR UPDATE (both accounts, in id order)' : 'plain SELECT (no row locks)'),
  },
  {
    key: 'flushLogAtTrxCommit',
    label: 'innodb_flush_log_at_trx_commit',
    help: 'InnoDB redo log durability: 1 fsync per commit, 2 write per commit, 0 about once a second',
    values: ['1', '2', '0'],
    default: '1',
    describe: (v) => FLUSH_MEANING[v] ?? v,
  },
];

export const etcdSettings: readonly SettingSpec[] = [
  {
    key: 'readMode',
    label: 'read mode',
    help: 'linearizable: through the leader, never stale; serializable: served locally, may be stale',
    values: ['linearizable', 'serializable'],
    default: 'linearizable',
    describe: (v) => (v === 'linearizable' ? 'linearizable (through the leader)' : 'serializable (local, may be stale)'),
  },
];

export const cockroachSettings: readonly SettingSpec[] = [
  isolation(['serializable', 'read-committed', 'repeatable-read'], ' (repeatable read is enabled for the cluster at init)'),
  {
    key: 'replicas',
    label: 'replicas',
    help: 'copies of each range (num_replicas of the default zone); auto: 5 on 5 nodes or more (two nodes down survivable), else 3',
    values: ['auto', '3', '5', '7'],
    default: 'auto',
    describe: (v) => (v === 'auto' ? 'auto: 5 per range on 5 nodes or more, else 3' : `${v} per range (survives ${Math.floor((Number(v) - 1) / 2)} node${v === '3' ? '' : 's'} down)`),
    runOnly: true,
  },
];

export const yugabyteSettings: readonly SettingSpec[] = [
  isolation(['serializable', 'repeatable-read', 'read-committed'], ' (YSQL; read committed is enabled on every tserver)'),
];
