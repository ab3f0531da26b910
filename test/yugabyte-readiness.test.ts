// YugabyteDB is ready for faults only once it keeps three copies of everything: yugabyted makes
// the universe with replication factor 1 and raises it to 3 when the third node joins, and tables
// made before then get their other copies later. Checked here without the image: the node
// healthcheck's script under sh with stand-ins for pg_isready and yb-admin printing what those
// print, the compose file's memory limits and flags, and the adapter's wait for the bank's tablets
// against embedded PostgreSQL, where a table shaped like YSQL's yb_tablet_metadata view stands in.
// https://docs.yugabyte.com/stable/reference/configuration/yugabyted/
// https://docs.yugabyte.com/stable/admin/yb-admin/
// https://docs.yugabyte.com/stable/explore/observability/yb-tablet-metadata/
import t from 'tap';
import pg from 'pg';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import * as yugabyte from '../adapters/yugabyte.ts';
import { replicationGaps, TABLET_REPLICAS_SQL, YugabyteBankStore } from '../adapters/yugabyte.ts';
import { IndeterminateError } from '../lib/store.ts';
import { sleep } from '../lib/clock.ts';
import { startPostgresNode } from '../lib/runtime/embedded-postgres.ts';
import { composeFile, nodeAddresses, renderCompose } from '../lib/runtime/docker/compose-file.ts';
import { healthScript, MEMORY, replicationFactor, startScript, yugabyte as yugabyteEngine } from '../lib/runtime/docker/engines/yugabyte.ts';
import { defaultValues } from '../lib/settings.ts';
import { accounts, outcomeOf } from './helpers/store-contract.ts';
import type { ComposeDoc } from './helpers/compose-check.ts';

const run = promisify(execFile);

t.test('replication gaps: a table without tablets, or a tablet short of copies', async (t) => {
  const full = [
    { relname: 'accounts', tablet_id: 't1', replicas: 3 },
    { relname: 'ledger', tablet_id: 't2', replicas: '3' }, // pg sends integers as text
  ];
  t.same(replicationGaps(full, ['accounts', 'ledger'], 3), []);
  t.same(replicationGaps([full[0]!, { ...full[1]!, replicas: 1 }], ['accounts', 'ledger'], 3), ['ledger tablet t2: 1 of 3 replicas']);
  t.same(replicationGaps([full[0]!], ['accounts', 'ledger'], 3), ['ledger: no tablets listed'], 'a table the view does not list yet is not ready');
  t.same(replicationGaps([{ relname: 'accounts', tablet_id: 't1', replicas: 1 }], ['accounts'], 1), [], 'one node: one copy is all there is');
  t.match(TABLET_REPLICAS_SQL, /FROM yb_tablet_metadata WHERE db_name = current_database\(\) AND relname = ANY\(\$1::text\[\]\)/);
  t.match(TABLET_REPLICAS_SQL, /cardinality\(replicas\)/, 'replicas is the text[] of replica addresses, leader included');
});

// What yb-admin prints: get_universe_config is the cluster config as JSON (camelCase fields, as
// yb-admin's own tests read "serverBlacklist" from it); list_all_tablet_servers is a table with a
// Status column, ALIVE or DEAD (format as captured from 2024.2; yb-admin docs list the command).
const universe = (rf: number, pretty: boolean) => pretty
  ? `{\n    "version": 2,\n    "replicationInfo": {\n        "liveReplicas": {\n            "numReplicas": ${rf},\n            "placementUuid": "abc"\n        }\n    },\n    "clusterUuid": "6cfd"\n}\n`
  : `{"version":2,"replicationInfo":{"liveReplicas":{"numReplicas":${rf}}},"clusterUuid":"6cfd"}\n`;
const tservers = (statuses: string[]) =>
  'Tablet Server UUID               RPC Host/Port Heartbeat delay Status   Reads/s  Writes/s Uptime   SST total size  SST uncomp size SST #files      Memory   Broadcast Host/Port \n' +
  statuses.map((st, i) => `4f5e4f2de0294c44bc30c15d1e4ce33${i} 10.77.0.1${i + 1}:9100 0.77s           ${st}    0.00     0.20     1514     1.03 GB         9.58 GB         62              189.01 MB 10.77.0.1${i + 1}:9100\n`).join('');

t.test('node healthcheck under sh: YSQL answers, the replication factor is 3 and every tserver is ALIVE', async (t) => {
  const nodes = nodeAddresses(3);
  const home = mkdtempSync(join(tmpdir(), 'bankrun-ybhealth-'));
  mkdirSync(join(home, 'bin'));
  mkdirSync(join(home, 'postgres', 'bin'), { recursive: true });
  const bin = (name: string, body: string) => writeFileSync(join(home, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  bin('postgres/bin/pg_isready', `[ -f ${home}/ysql-down ] && exit 2; exit 0`);
  bin('bin/yb-admin', [
    `echo "$*" >> ${home}/calls`,
    'case "$*" in',
    `  *get_universe_config*) cat ${home}/universe ;;`,
    `  *list_all_tablet_servers*) cat ${home}/tservers ;;`,
    '  *) exit 1 ;;',
    'esac',
  ].join('\n'));
  const script = healthScript(nodes[1]!, nodes).replaceAll('/home/yugabyte', home);
  const healthy = async (universeText: string, tserverText: string) => {
    writeFileSync(join(home, 'universe'), universeText);
    writeFileSync(join(home, 'tservers'), tserverText);
    return run('sh', ['-c', script]).then(() => true, () => false);
  };

  t.ok(await healthy(universe(3, false), tservers(['ALIVE', 'ALIVE', 'ALIVE'])), 'RF 3, three ALIVE: healthy');
  t.ok(await healthy(universe(3, true), tservers(['ALIVE', 'ALIVE', 'ALIVE'])), 'also when the JSON is pretty-printed');
  t.notOk(await healthy(universe(1, false), tservers(['ALIVE', 'ALIVE', 'ALIVE'])), 'RF still 1 (the third node has not raised it yet): not healthy');
  t.notOk(await healthy(universe(3, false), tservers(['ALIVE', 'ALIVE'])), 'a tserver not registered yet: not healthy');
  t.notOk(await healthy(universe(3, false), tservers(['ALIVE', 'DEAD', 'ALIVE'])), 'a DEAD tserver: not healthy');
  t.notOk(await healthy(universe(30, false), tservers(['ALIVE', 'ALIVE', 'ALIVE'])), 'numReplicas 30 is not 3');
  writeFileSync(join(home, 'ysql-down'), '');
  t.notOk(await healthy(universe(3, false), tservers(['ALIVE', 'ALIVE', 'ALIVE'])), 'YSQL not answering: not healthy');
  const { stdout: calls } = await run('cat', [join(home, 'calls')]);
  t.match(calls, /--master_addresses 10\.77\.0\.11:7100,10\.77\.0\.12:7100,10\.77\.0\.13:7100 --timeout_ms 3000 get_universe_config/,
    'yb-admin asks every node\'s master port: which nodes run a master depends on the join order');

  t.same([replicationFactor(1), replicationFactor(3), replicationFactor(5), replicationFactor(7)], [1, 3, 3, 3]);
  t.match(healthScript(nodes[0]!, nodeAddresses(1)), /"numReplicas": \?1\(\[\^0-9\]\|\$\)' && .* -ge 1 \]$/, 'one node: RF 1, one tserver');
});

for (const n of [3, 5, 7]) {
  t.test(`yugabyte compose at ${n} nodes: the healthcheck waits for the universe, memory limits fit the container`, async (t) => {
    const engine = yugabyteEngine();
    const doc = parse(renderCompose(composeFile({ engine, settings: defaultValues(engine.settings), nodes: n, run: 'r1', repoFromFile: '../../..', deadlineMs: 4500 }))) as ComposeDoc;
    for (const node of nodeAddresses(n)) {
      const db = doc.services[node.name]!;
      t.same(db.healthcheck?.test.slice(0, 3), ['CMD', '/bin/sh', '-c']);
      t.match(db.healthcheck?.test[3], new RegExp(`pg_isready -q -h ${node.ip.replaceAll('.', '\\.')} -p 5433 && .*get_universe_config.* -ge ${n} \\]`));
      t.match(db.healthcheck?.test[3], /\$\$\(/, 'compose would expand $( ): written as $$');
      t.equal(db.mem_limit, '2048m');
      t.match(db.command[0], /--master_flags=memory_limit_hard_bytes=402653184 --tserver_flags=yb_enable_read_committed_isolation=true,memory_limit_hard_bytes=805306368$/);
      const api = doc.services[`api${node.number}`]!;
      const config = JSON.parse(api.command[api.command.indexOf('--config') + 1]!) as Record<string, string>;
      t.same(config, { url: `postgres://yugabyte@${node.ip}:5433/yugabyte`, isolation: 'serializable', replicationFactor: '3' });
    }
  });
}

t.test('memory: the servers\' hard limits leave YSQL and yugabyted room in the container', async (t) => {
  t.equal(yugabyteEngine().memoryPerNodeMiB, MEMORY.containerMiB, 'the preflight counts what the container may use');
  const left = MEMORY.containerMiB - MEMORY.tserverMiB - MEMORY.masterMiB;
  // A fresh YSQL backend took 66 MB (yugabyte-db#13544); poolMax is 10.
  t.ok(left >= 10 * 66 + 128, `${left} MiB left for 10 backends, the postmaster's workers and yugabyted`);
  const [first] = nodeAddresses(1);
  t.match(startScript(first!, first!), /--master_flags=memory_limit_hard_bytes=\d+ --tserver_flags=\S*memory_limit_hard_bytes=\d+/, 'n1 too');
});

t.test('setup waits on embedded PostgreSQL until every bank tablet has its replicas', async (t) => {
  const node = await startPostgresNode({ name: 'ybready' });
  t.teardown(() => node.destroy());
  const url = node.url;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  t.teardown(() => admin.end());
  // The columns yb_tablet_metadata has (docs above); a table here, a view in YSQL.
  await admin.query(`CREATE TABLE yb_tablet_metadata (tablet_id text, oid oid, db_name text, relname text,
    start_hash_code int, end_hash_code int, leader text, replicas text[])`);
  await admin.query(`INSERT INTO yb_tablet_metadata (tablet_id, db_name, relname, leader, replicas) VALUES
    ('t-acc', 'postgres', 'accounts', '10.77.0.11:9100', ARRAY['10.77.0.11:9100']),
    ('t-led', 'postgres', 'ledger', '10.77.0.12:9100', ARRAY['10.77.0.12:9100', '10.77.0.11:9100', '10.77.0.13:9100']),
    ('t-other', 'otherdb', 'accounts', '10.77.0.11:9100', ARRAY['10.77.0.11:9100'])`);

  t.test('returns once the short tablet has its three copies, not before', async (t) => {
    const s = (await yugabyte.create({ url, replicationFactor: '3' })) as YugabyteBankStore;
    let done = false;
    const pending = s.setup(accounts(2, 100)).then(() => { done = true; }, (e: unknown) => e);
    await sleep(1500);
    t.notOk(done, 'accounts has one copy: setup still waits');
    await admin.query("UPDATE yb_tablet_metadata SET replicas = ARRAY['10.77.0.11:9100', '10.77.0.12:9100', '10.77.0.13:9100'] WHERE tablet_id = 't-acc'");
    t.equal(await pending, undefined, 'setup returned');
    t.ok(done);
    t.same(await s.read(), accounts(2, 100));
    await s.close();
  });

  t.test('fails at its deadline naming what is short', async (t) => {
    await admin.query("UPDATE yb_tablet_metadata SET replicas = ARRAY['10.77.0.11:9100'] WHERE tablet_id = 't-acc'");
    const s = (await yugabyte.create({ url, replicationFactor: '3', setupTimeoutMs: '2500', timeoutMs: '500' })) as YugabyteBankStore;
    const started = Date.now();
    const err = await s.setup(accounts(2, 100)).catch((e: unknown) => e);
    t.type(err, IndeterminateError, 'setup was applied; the copies are missing');
    t.match((err as Error).message, /not fully replicated yet: accounts tablet t-acc: 1 of 3 replicas/);
    t.ok(Date.now() - started < 2500, 'within setupTimeoutMs');
    await s.close();
  });

  t.test('a poll that fails is a gap too: where the view is missing, setup fails naming it', async (t) => {
    await admin.query('CREATE DATABASE noview');
    const s = (await yugabyte.create({ url: url.replace(/\/postgres$/, '/noview'), replicationFactor: '3', setupTimeoutMs: '2000', timeoutMs: '500' })) as YugabyteBankStore;
    const err = await s.setup(accounts(2, 100)).catch((e: unknown) => e);
    t.type(err, IndeterminateError);
    t.match((err as Error).message, /yb_tablet_metadata not read: .*relation "yb_tablet_metadata" does not exist/);
    await s.close();
  });

  t.test('without replicationFactor there is nothing to wait for; a bad one is refused', async (t) => {
    const s = await yugabyte.create({ url });
    await t.resolves(s.setup(accounts(2, 100)));
    await s.close();
    t.equal(await outcomeOf(yugabyte.create({ url, replicationFactor: 'three' })), 'definite');
  });
});
