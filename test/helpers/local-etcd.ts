// One etcd node as a local process, for tests: Debian's /usr/bin/etcd on loopback ports, its data
// in a temp dir. etcd is a single process (Go threads, no children), so signalling its process
// group reaches the whole node: kill -9, pause and resume are one signal each.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sleep } from '../../lib/clock.ts';
import { forgetOnExit, freePort, isAlive, killOnExit, procState, spawnServer, startReady, waitFor } from '../../lib/runtime/local-processes.ts';

export const ETCD_BIN = '/usr/bin/etcd';
export const ETCD_MISSING = `etcd not found at ${ETCD_BIN}: apt-get install etcd-server`;

export function etcdInstalled(): boolean {
  return fs.existsSync(ETCD_BIN);
}

export interface EtcdNodeOptions {
  /** Member name (--name) and log file name; default 'n1'. */
  name?: string;
  /** Data directory; default: `<os.tmpdir()>/bankrun-etcd-XXXXXX/data` (removed by destroy). */
  dataDir?: string;
}

/** Starts a fresh node and waits until /health says true. */
export async function startEtcdNode(opts: EtcdNodeOptions = {}, readyTimeoutMs = 30_000): Promise<EtcdNode> {
  return startReady(await EtcdNode.create(opts), readyTimeoutMs);
}

export class EtcdNode {
  private child: ChildProcess | undefined;

  private constructor(
    readonly name: string,
    readonly clientPort: number,
    readonly peerPort: number,
    readonly dataDir: string,
    readonly logPath: string,
    private readonly ownedDir: string | undefined,
  ) {}

  /** Picks ports and directories; does not start. */
  static async create(opts: EtcdNodeOptions = {}): Promise<EtcdNode> {
    if (!etcdInstalled()) throw new Error(ETCD_MISSING);
    const name = opts.name ?? 'n1';
    const ownedDir = opts.dataDir ? undefined : await fsp.mkdtemp(path.join(os.tmpdir(), 'bankrun-etcd-'));
    const dataDir = path.resolve(opts.dataDir ?? path.join(ownedDir!, 'data'));
    const logPath = path.join(path.dirname(dataDir), `${name}.etcd.log`);
    return new EtcdNode(name, await freePort(), await freePort(), dataDir, logPath, ownedDir);
  }

  /** http://127.0.0.1:PORT, what the adapter's `endpoints` takes. */
  get clientUrl(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get pid(): number | undefined {
    return this.isRunning() ? this.child?.pid : undefined;
  }

  /** Starts etcd on the same data dir and ports (after kill(): crash recovery). Does not wait. */
  async start(): Promise<void> {
    if (this.isRunning()) throw new Error(`${this.name}: already running (pid ${this.child?.pid})`);
    this.child = spawnServer(ETCD_BIN, this.args(), this.logPath);
    killOnExit(this);
  }

  /** Resolves when GET /health answers {"health":"true"} (a leader, and a read through raft). */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no attempt yet';
    while (Date.now() < deadline) {
      if (!this.isRunning()) throw new Error(`${this.name}: etcd exited while awaiting readiness\n${this.logTail()}`);
      try {
        const res = await fetch(`${this.clientUrl}/health`, { signal: AbortSignal.timeout(1_000) });
        const body = await res.text();
        if (res.ok && /"health":\s*"true"/.test(body)) return;
        last = `HTTP ${res.status} ${body.trim()}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(50);
    }
    throw new Error(`${this.name}: not healthy after ${timeoutMs} ms on ${this.clientUrl}/health (last: ${last})\n${this.logTail()}`);
  }

  /** Like a machine crash: SIGKILL to the group, then waits until the process is gone. */
  async kill(): Promise<void> {
    if (!this.isRunning()) return;
    this.signal('SIGKILL');
    if (!(await waitFor(() => !this.isRunning(), 10_000))) throw new Error(`${this.name}: still alive 10 s after SIGKILL`);
  }

  /** Clean shutdown (SIGTERM); SIGKILL when it takes over 10 s. */
  async stop(): Promise<void> {
    if (!this.isRunning()) return;
    this.signal('SIGTERM');
    this.signal('SIGCONT'); // a paused node must run to handle SIGTERM
    if (!(await waitFor(() => !this.isRunning(), 10_000))) await this.kill();
  }

  async pause(): Promise<void> {
    this.signal('SIGSTOP');
    if (!(await waitFor(() => this.state() === 'T', 2_000))) throw new Error(`${this.name}: pause not verified in the process table`);
  }

  async resume(): Promise<void> {
    this.signal('SIGCONT');
    if (!(await waitFor(() => this.state() !== 'T', 2_000))) throw new Error(`${this.name}: resume not verified in the process table`);
  }

  isRunning(): boolean {
    const c = this.child;
    return !!c && c.pid !== undefined && c.exitCode === null && c.signalCode === null && isAlive(c.pid);
  }

  /** Kills the node and removes the temp dir it owns (a caller's dataDir is left alone). */
  async destroy(): Promise<void> {
    await this.kill();
    forgetOnExit(this);
    if (this.ownedDir) await fsp.rm(this.ownedDir, { recursive: true, force: true });
  }

  /** For the exit hook, which must be synchronous. */
  killSync(): void {
    if (this.isRunning()) this.signal('SIGKILL');
  }

  logTail(lines = 20): string {
    try {
      return fs.readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private args(): string[] {
    const peer = `http://127.0.0.1:${this.peerPort}`;
    return [
      `--name=${this.name}`,
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.clientUrl}`,
      `--advertise-client-urls=${this.clientUrl}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=${this.name}=${peer}`,
      '--logger=zap', // 3.4's default capnslog is deprecated and warns about it
    ];
  }

  /** Signals the group, which etcd leads (detached). */
  private signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // ESRCH: already gone
    }
  }

  private state(): string | undefined {
    const pid = this.child?.pid;
    return pid === undefined ? undefined : procState(pid);
  }
}
