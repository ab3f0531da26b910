// Local server processes as the embedded runtimes run them: the process tree from /proc or ps (a
// server's children may leave its process group), signals that tolerate a process already gone, polling
// with a deadline, and a registry so that nothing we started outlives us.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { sleep } from '../clock.ts';

export interface Proc {
  pid: number;
  /** One letter, as ps and /proc give it: R running, S sleeping, T stopped, Z zombie, … */
  state: string;
  ppid: number;
  pgrp: number;
}

/**
 * Where process state comes from: Linux's /proc where it is there (cheap, no child process), else
 * `ps` (macOS and the BSDs have no /proc). Both give the same letters for what bankrun verifies:
 * T stopped (a pause), Z zombie (killed, not yet reaped).
 */
export interface ProcessTable {
  readonly source: string;
  /** How often a wait polls it: a ps run blocks the event loop (the tester's too) for milliseconds. */
  readonly pollMs: number;
  info(pid: number): Proc | undefined;
  all(): Proc[];
}

/** /proc/<pid>/stat; comm may hold spaces and parens, so split after the last ')'. */
export function procfsTable(root = '/proc'): ProcessTable {
  const info = (pid: number): Proc | undefined => {
    let text: string;
    try {
      text = fs.readFileSync(`${root}/${pid}/stat`, 'utf8');
    } catch {
      return undefined;
    }
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0]!, ppid: Number(rest[1]), pgrp: Number(rest[2]) };
  };
  return {
    source: root,
    pollMs: 10,
    info,
    all: () => fs.readdirSync(root).filter((d) => /^\d+$/.test(d)).map((d) => info(Number(d))).filter((p): p is Proc => p !== undefined),
  };
}

/** POSIX ps: the same columns on Linux (procps) and macOS. */
export function psTable(): ProcessTable {
  const rows = (args: string[]): Proc[] => {
    let out: string;
    try {
      out = execFileSync('ps', [...args, '-o', 'pid=,ppid=,pgid=,stat='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return []; // ps exits 1 when the pid it was asked about is gone
    }
    return out.split('\n').flatMap((line) => {
      const [pid, ppid, pgrp, stat] = line.trim().split(/\s+/);
      return pid && stat ? [{ pid: Number(pid), ppid: Number(ppid), pgrp: Number(pgrp), state: stat[0]! }] : [];
    });
  };
  return { source: 'ps', pollMs: 50, info: (pid) => rows(['-p', String(pid)])[0], all: () => rows(['-A']) };
}

/** /proc where it answers for this very process, else ps. */
export function defaultProcessTable(procRoot = '/proc'): ProcessTable {
  return fs.existsSync(`${procRoot}/self/stat`) ? procfsTable(procRoot) : psTable();
}

let table = defaultProcessTable();

/** Replaces where state is read from, e.g. ps on Linux to test the path macOS takes; returns the previous one. */
export function useProcessTable(next: ProcessTable): ProcessTable {
  const previous = table;
  table = next;
  return previous;
}

export function procInfo(pid: number): Proc | undefined {
  return table.info(pid);
}

export function procState(pid: number): string | undefined {
  return procInfo(pid)?.state;
}

/** Gone or a zombie: a zombie holds no memory, port, lock or shared memory any more. */
export function isAlive(pid: number): boolean {
  const s = procState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
}

/** Every live descendant of root, found through parent pids. */
export function descendants(root: number): Proc[] {
  const procs = table.all();
  const found: Proc[] = [];
  let frontier = new Set([root]);
  while (frontier.size > 0) {
    const next = procs.filter((p) => frontier.has(p.ppid) && p.state !== 'Z');
    found.push(...next);
    frontier = new Set(next.map((p) => p.pid));
  }
  return found;
}

/** Signals a process's group when it leads one (catching its own children too), else the process. */
export function signalProc(p: Proc, sig: NodeJS.Signals): void {
  signalSync(p.pgrp === p.pid ? -p.pid : p.pid, sig);
}

export function signalSync(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // ESRCH: it is already gone, which is what we wanted
  }
}

/** Polls with timers (which keep the event loop alive, unlike awaiting an unref'd child). */
export async function waitFor(cond: () => boolean, timeoutMs: number, everyMs = table.pollMs): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/**
 * Starts a server in its own process group (faults signal the node, never the tester), its output
 * appended to `logPath`, unref'd so a node left running cannot keep the tester alive (the exit
 * registry kills it).
 */
export function spawnServer(command: string, args: string[], logPath: string, options: SpawnOptions = {}): ChildProcess {
  const log = fs.openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', log, log] });
  } finally {
    fs.closeSync(log);
  }
  child.unref();
  child.on('error', (err) => fs.appendFileSync(logPath, `[bankrun] spawn error: ${err.message}\n`));
  return child;
}

/** A local server that can be started, awaited and removed. */
export interface LocalServer {
  start(): Promise<void>;
  waitReady(timeoutMs: number): Promise<void>;
  destroy(): Promise<void>;
}

/** Starts `node` and waits until it is ready; a node that does not get there is removed again. */
export async function startReady<T extends LocalServer>(node: T, readyTimeoutMs: number): Promise<T> {
  try {
    await node.start();
    await node.waitReady(readyTimeoutMs);
  } catch (err) {
    await node.destroy().catch(() => undefined);
    throw err;
  }
  return node;
}

/** Finds a free TCP port by binding port 0 (a tiny race with other binders is accepted). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A server we started, which can be killed synchronously (the only kind of work 'exit' allows). */
export interface KillableSync {
  killSync(): void;
}

// Only servers started by this process are here, and they signal only their own PIDs and the
// groups those PIDs lead.
const live = new Set<KillableSync>();
process.on('exit', () => {
  for (const server of live) server.killSync();
});

/** Keeps `server` in the exit registry while it runs; call `forgetOnExit` once it has stopped. */
export function killOnExit(server: KillableSync): void {
  live.add(server);
}

export function forgetOnExit(server: KillableSync): void {
  live.delete(server);
}
