// One Docker test at a time: a notebook's cleanup preamble removes every bankrun-labelled
// container, so a test that starts such containers must not overlap another one (tap runs test
// files in parallel). A lock directory in the temp folder, holding its owner's pid; a lock whose
// owner died is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK = join(tmpdir(), 'bankrun-docker-tests.lock');

/** Waits for the lock; resolves to its release. */
export async function dockerTestLock(timeoutMs = 1_500_000): Promise<() => void> {
  const end = Date.now() + timeoutMs;
  while (!tryLock()) {
    if (Date.now() > end) throw new Error(`${LOCK} still held after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return () => rmSync(LOCK, { recursive: true, force: true });
}

function tryLock(): boolean {
  try {
    mkdirSync(LOCK);
    writeFileSync(join(LOCK, 'pid'), String(process.pid));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (!ownerAlive()) rmSync(LOCK, { recursive: true, force: true });
    return false;
  }
}

/** A lock just made may not have its pid yet: count it as alive. */
function ownerAlive(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
  } catch {
    return true;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a Docker engine answers. Where none does, the file is skipped with the reason — or, where
 * CI started an engine and set BANKRUN_REQUIRE_DOCKER, it fails instead of skipping.
 */
export async function dockerEngineOrSkip(t: { fail(message: string): void; plan(n: number, reason: string): void }): Promise<boolean> {
  const { default: Docker } = await import('dockerode');
  const engine = await new Docker().ping().then(() => true, () => false);
  const why = 'no Docker engine answers on /var/run/docker.sock (start one with scripts/docker/engine.sh start)';
  if (!engine && process.env.BANKRUN_REQUIRE_DOCKER) t.fail(why);
  else if (!engine) t.plan(0, why);
  return engine;
}
