// Starts an API node (main.ts) as a child process with the parent's own runtime, and makes
// sure it never outlives the parent. Its output stays hidden unless something goes wrong.

import { spawn, type ChildProcess } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export interface ApiNodeOptions {
  name: string;
  /** A name in adapters/ (memory, postgres, …) or a path to a module exporting `create`. */
  adapter: string;
  config?: Record<string, string>;
  deadlineMs?: number;
  host?: string;
  /** How long to wait for the "listening" line (adapter start-up included). */
  startTimeoutMs?: number;
}

export interface ApiNode {
  name: string;
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL after 3 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const STDERR_TAIL_CHARS = 8192;
const KILL_AFTER_MS = 3000;

/** PIDs of children started here and still running: killed synchronously if the parent exits. */
const running = new Set<number>();
let exitHookInstalled = false;

export async function spawnApiNode(opts: ApiNodeOptions): Promise<ApiNode> {
  const host = opts.host ?? '127.0.0.1';
  const [command, ...args] = runtimeCommand();
  // Its own process group: a Ctrl-C in the terminal reaches the notebook, which heals, audits and
  // writes its report through this node before stopping it.
  const child = spawn(command!, [...args, MAIN, ...flags(opts, host)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stderr = new Tail(STDERR_TAIL_CHARS);
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid !== undefined) track(child.pid, exited);
  const port = await waitForListening(child, opts.name, opts.startTimeoutMs ?? 30_000, stderr);
  const pid = child.pid!;

  let stopping: Promise<void> | undefined;
  child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`API node ${opts.name} (pid ${pid}) exited unexpectedly (${code ?? signal})${stderr.format()}\n`);
  });
  return {
    name: opts.name,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    pid,
    stop: () => (stopping ??= stop(child, exited)),
  };
}

/**
 * The parent's runtime and its loader flags. Under tsx, process.execArgv carries tsx's
 * `--require …/preflight.cjs --import …/loader.mjs` (or `--import=tsx` under tap), so main.ts
 * runs as TypeScript. Inspector flags are dropped: the child would fight over the port.
 */
function runtimeCommand(): string[] {
  if ('Deno' in globalThis) {
    const deno = (globalThis as unknown as { Deno: { execPath(): string } }).Deno;
    return [deno.execPath(), 'run', '-A'];
  }
  return [process.execPath, ...childExecArgv(process.execArgv)];
}

/**
 * The parent's Node flags minus those the child must not inherit: inspector flags (the port),
 * and code given on the command line (`-e`/`-p`), which would run again in every API node.
 */
export function childExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (arg.startsWith('--inspect')) continue;
    if (['-e', '--eval', '-p', '--print'].includes(arg)) {
      i++; // and its code
      continue;
    }
    if (/^--(eval|print)=/.test(arg)) continue;
    out.push(arg);
  }
  return out;
}

function flags(opts: ApiNodeOptions, host: string): string[] {
  return [
    '--name', opts.name,
    '--adapter', opts.adapter,
    '--config', JSON.stringify(opts.config ?? {}),
    '--host', host,
    '--port', '0',
    ...(opts.deadlineMs === undefined ? [] : ['--deadline-ms', String(opts.deadlineMs)]),
  ];
}

/** Resolves with the port from main.ts's `{"event":"listening"}` line; on failure the child is killed. */
function waitForListening(child: ChildProcess, name: string, timeoutMs: number, stderr: Tail): Promise<number> {
  return new Promise((resolve, reject) => {
    let pending = '';
    const settle = (port: number | undefined, why?: string): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('close', onClose).off('error', onError);
      if (port !== undefined) return resolve(port);
      child.kill('SIGKILL');
      reject(new Error(`API node ${name}: ${why}${stderr.format()}`));
    };
    const onData = (chunk: string): void => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const port = listeningPort(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        if (port !== undefined) return settle(port);
      }
    };
    // 'close' rather than 'exit': by then stderr has been read to the end, so the tail is whole.
    const onClose = (code: number | null, signal: string | null): void => settle(undefined, `exited (${code ?? signal}) before listening`);
    const onError = (err: Error): void => settle(undefined, `could not start: ${err.message}`);
    const timer = setTimeout(() => settle(undefined, `no "listening" line within ${timeoutMs} ms`), timeoutMs);
    // Once listening, later stdout is read and dropped so the child never blocks on a full pipe.
    child.stdout!.setEncoding('utf8').on('data', onData).resume();
    child.once('close', onClose).once('error', onError);
  });
}

function listeningPort(line: string): number | undefined {
  try {
    const msg = JSON.parse(line) as { event?: unknown; port?: unknown };
    return msg.event === 'listening' && typeof msg.port === 'number' ? msg.port : undefined;
  } catch {
    return undefined;
  }
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), KILL_AFTER_MS)));
  if ((await Promise.race([exited, late])) === 'late') child.kill('SIGKILL');
  clearTimeout(timer);
  await exited;
}

function track(pid: number, exited: Promise<void>): void {
  if (!exitHookInstalled) process.on('exit', killRunning);
  exitHookInstalled = true;
  running.add(pid);
  void exited.then(() => running.delete(pid));
}

/** Runs inside 'exit', where only synchronous work happens: SIGKILL, no waiting. */
function killRunning(): void {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** The last `limit` characters of a stream, for failure messages. */
class Tail {
  private text = '';
  constructor(private readonly limit: number) {}

  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > 2 * this.limit) this.text = this.text.slice(-this.limit);
  }

  format(): string {
    const tail = this.text.slice(-this.limit).trimEnd();
    return tail ? `; stderr tail:\n${tail}` : '; stderr was empty';
  }
}
