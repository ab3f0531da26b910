// Local server processes as the embedded runtimes run them: the /proc process tree (a server's
// children may leave its process group), signals that tolerate a process already gone, polling
// with a deadline, and a registry so that nothing we started outlives us.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { sleep } from '../clock.ts';

export interface Proc {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

/** Parses /proc/<pid>/stat; comm may hold spaces and parens, so split after the last ')'. */
export function procInfo(pid: number): Proc | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: rest[0]!, ppid: Number(rest[1]), pgrp: Number(rest[2]) };
}

export function procState(pid: number): string | undefined {
  return procInfo(pid)?.state;
}

/** Gone or a zombie: a zombie holds no memory, port, lock or shared memory any more. */
export function isAlive(pid: number): boolean {
  const s = procState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
}

function allProcs(): Proc[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => procInfo(Number(d)))
    .filter((p): p is Proc => p !== undefined);
}

/** Every live descendant of root, found through parent pids. */
export function descendants(root: number): Proc[] {
  const procs = allProcs();
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
export async function waitFor(cond: () => boolean, timeoutMs: number, everyMs = 10): Promise<boolean> {
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
