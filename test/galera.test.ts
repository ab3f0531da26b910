// The Galera adapter: its classification table and config parsing (unit, no server), then the
// shared BankStore contract against ONE real MariaDB started here in Docker (bankrun/galera with
// Galera off), under each isolation. The container carries bankrun's labels, publishes its port on
// 127.0.0.1 only and is removed at the end. Skipped, with the reason, where no Docker engine
// answers; failing instead where BANKRUN_REQUIRE_DOCKER is set (CI).
import t from 'tap';
import Docker from 'dockerode';
import { classify, classifyRead, CallTimeout, create, ER, isRetryable, parseConfig, type Phase } from '../adapters/galera.ts';
import { DefiniteError } from '../lib/store.ts';
import { freePort } from '../lib/runtime/local-processes.ts';
import { waitHealthy } from '../lib/runtime/docker/docker-runtime.ts';
import { labels } from '../lib/runtime/docker/labels.ts';
import { dockerTestLock } from './helpers/docker.ts';
import { outcomeOf, storeContract, type Tap } from './helpers/store-contract.ts';

/** A MySQL error packet as mysql2 reports it. */
const server = (errno: number, sqlState: string, message: string) => Object.assign(new Error(message), { errno, sqlState, fatal: false });
/** A socket-level failure as mysql2 reports it: negative errno, no SQLSTATE, fatal. */
const network = (code: string) => Object.assign(new Error(`connect ${code}`), { code, errno: -104, fatal: true });

const DEADLOCK = server(ER.DEADLOCK, '40001', 'Deadlock found when trying to get lock; try restarting transaction');
const CONFLICT = server(ER.DEADLOCK, '40001', 'WSREP detected deadlock/conflict and aborted the transaction. Try restarting the transaction');
const LOCK_WAIT = server(ER.LOCK_WAIT_TIMEOUT, 'HY000', 'Lock wait timeout exceeded; try restarting transaction');
const NOT_READY = server(ER.NOT_READY, '08S01', 'WSREP has not yet prepared node for application use');
const UNKNOWN_COMMAND = server(ER.NOT_READY, '08S01', 'Unknown command');
const CHECK = server(4025, '23000', "CONSTRAINT `accounts.balance` failed for `bankrun`.`accounts`");
const LOST = Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true });

t.test('classification table (unit)', async (t) => {
  const cases: [unknown, Phase, 'definite' | 'indeterminate', string][] = [
    [network('ECONNREFUSED'), 'connect', 'definite', 'no connection obtained'],
    [new CallTimeout(2000), 'connect', 'definite', 'no connection in time'],
    [NOT_READY, 'transaction', 'definite', 'non-primary node before COMMIT'],
    [UNKNOWN_COMMAND, 'transaction', 'definite', '"unknown command" before COMMIT'],
    [CHECK, 'transaction', 'definite', 'a refused statement: rolled back'],
    [LOST, 'transaction', 'definite', 'connection lost before COMMIT: the server rolls back'],
    [new CallTimeout(4000), 'transaction', 'definite', 'our timeout before COMMIT: connection destroyed, rolled back'],
    [DEADLOCK, 'commit', 'definite', 'certification failure on COMMIT: rolled back everywhere'],
    [LOST, 'commit', 'indeterminate', 'connection lost while COMMIT is in flight'],
    [network('ECONNRESET'), 'commit', 'indeterminate', 'reset while COMMIT is in flight'],
    [new CallTimeout(4000), 'commit', 'indeterminate', 'no answer to COMMIT'],
    [NOT_READY, 'commit', 'indeterminate', 'node left the primary component during COMMIT'],
    ['not even an Error', 'commit', 'indeterminate', 'anything unknown during COMMIT'],
  ];
  for (const [err, phase, want, why] of cases) t.equal(classify(err, phase).kind, want, `${why} (${phase})`);

  const retryable: [unknown, Phase, boolean, string][] = [
    [DEADLOCK, 'transaction', true, 'InnoDB deadlock'],
    [CONFLICT, 'transaction', true, 'brute-force abort by a replicated write set'],
    [DEADLOCK, 'commit', true, '"Deadlock found" on COMMIT: a certification failure'],
    [LOCK_WAIT, 'transaction', true, 'lock wait timeout'],
    [LOCK_WAIT, 'commit', false, 'a lock wait timeout cannot answer COMMIT: not known to be rolled back'],
    [NOT_READY, 'transaction', false, 'non-primary: not a conflict, retrying would only wait'],
    [LOST, 'commit', false, 'never retry what may have been applied'],
    [network('ECONNREFUSED'), 'connect', false, 'no connection'],
  ];
  for (const [err, phase, want, why] of retryable) t.equal(isRetryable(err, phase), want, `${why} (${phase})`);

  const d = new DefiniteError('already classified');
  t.equal(classify(d, 'commit'), d, 'classified errors pass through');
  t.equal(classifyRead(new CallTimeout(1)).kind, 'indeterminate', 'a read without an answer');
  t.equal(classifyRead(NOT_READY).kind, 'definite', 'a failed read changed nothing');
});

t.test('config is parsed from strings and validated (unit)', async (t) => {
  const o = parseConfig({ host: '10.77.0.11' });
  t.same([o.port, o.isolation, o.forUpdate, o.timeoutMs, o.connectTimeoutMs], [3306, 'REPEATABLE READ', true, 4000, 2000], 'defaults');
  const p = parseConfig({ host: 'h', port: '13306', isolation: 'read-committed', forUpdate: 'false', timeoutMs: '900', connectTimeoutMs: '300' });
  t.same([p.port, p.isolation, p.forUpdate, p.timeoutMs, p.connectTimeoutMs], [13306, 'READ COMMITTED', false, 900, 300]);
  t.equal(parseConfig({ host: 'h', isolation: 'serializable' }).isolation, 'SERIALIZABLE', 'isolation in any case');
  const bad: Record<string, string>[] = [
    {},
    { host: 'h', port: '70000' },
    { host: 'h', port: 'x' },
    { host: 'h', isolation: 'snapshot' },
    { host: 'h', forUpdate: 'yes' },
    { host: 'h', timeoutMs: '0' },
    { host: 'h', connectTimeoutMs: 'soon' },
  ];
  for (const config of bad) t.equal(await outcomeOf(create(config)), 'definite', JSON.stringify(config));
});

t.test('no server: everything fails definitely, nothing crashes', async (t) => {
  const s = await create({ host: '127.0.0.1', port: String(await freePort()), timeoutMs: '1000', connectTimeoutMs: '500' });
  t.equal(await outcomeOf(s.transfer({ id: 'nope', from: 'a', to: 'b', amount: 1 })), 'definite');
  t.equal(await outcomeOf(s.setup({ a: 1 })), 'definite');
  t.equal(await outcomeOf(s.read()), 'definite');
  t.equal(await outcomeOf(s.ping()), 'definite');
  await s.close();
});

const docker = new Docker();
const engine = await docker.ping().then(() => true, () => false);
const why = 'no Docker engine answers on /var/run/docker.sock (start one with scripts/docker/engine.sh start)';
// CI starts an engine and sets BANKRUN_REQUIRE_DOCKER: there, a missing engine fails instead of skipping.
if (!engine && process.env.BANKRUN_REQUIRE_DOCKER) t.fail(why);
// Waiting for another Docker test file (the lock) can take minutes on top of this file's seconds.
if (engine) t.setTimeout(1_800_000);

t.test('against one MariaDB in Docker (Galera off)', { skip: engine ? false : why }, async (t) => {
  const port = await startMariaDb(t);
  for (const isolation of ['REPEATABLE READ', 'SERIALIZABLE', 'READ COMMITTED']) {
    await t.test(`contract under ${isolation}`, (t) => storeContract(t, () => create({ host: '127.0.0.1', port, isolation })));
  }
  await t.test('contract with plain SELECT under SERIALIZABLE (shared locks, deadlocks retried)', (t) =>
    storeContract(t, () => create({ host: '127.0.0.1', port, isolation: 'SERIALIZABLE', forUpdate: 'false' })));
});

/**
 * Starts bankrun/galera with WSREP_ON=0 on a loopback port, removed at teardown; resolves to its
 * port. Holds the Docker test lock meanwhile: a notebook's cleanup would remove the container.
 */
async function startMariaDb(t: Tap): Promise<string> {
  t.teardown(await dockerTestLock());
  const container = await docker.createContainer({
    Image: 'bankrun/galera:10.11',
    name: `bankrun-galera-test-${process.pid}`,
    Env: ['WSREP_ON=0'],
    Labels: labels(`galera-test-${process.pid}`, 'db', 'n1'),
    ExposedPorts: { '3306/tcp': {} },
    HostConfig: { PortBindings: { '3306/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  t.teardown(() => container.remove({ force: true, v: true }).catch(() => undefined));
  await container.start();
  await waitHealthy(docker, container.id, 'mariadb', () => undefined, 60_000);
  const info = await container.inspect();
  return info.NetworkSettings.Ports['3306/tcp']![0]!.HostPort;
}
