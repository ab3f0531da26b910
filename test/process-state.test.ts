// Where bankrun runs. Process state without /proc: macOS has none, so the embedded runtime
// reads `ps` there. Here the runtime is given a /proc root that does not exist, takes the ps path,
// and must verify kill, pause and stop exactly as it does from /proc. Windows: WSL2, said plainly.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DEFAULTS } from '../lib/params.ts';
import { refusePlatform } from '../lib/platform.ts';
import { embeddedPostgres } from '../lib/runtime/embedded.ts';
import { defaultProcessTable, descendants, procfsTable, psTable, useProcessTable, waitFor } from '../lib/runtime/local-processes.ts';

function sleeper(script = 'sleep 30') {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  const pid = child.pid!;
  return { pid, stop: () => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } } };
}

t.test('without /proc the table comes from ps', async (t) => {
  t.equal(defaultProcessTable('/nonexistent-proc').source, 'ps');
  t.equal(defaultProcessTable('/proc').source, '/proc', 'Linux keeps /proc');
});

t.test('ps and /proc agree: running, stopped, resumed, gone, and the tree below a process', async (t) => {
  const ps = psTable();
  const proc = procfsTable();
  const s = sleeper('sleep 30 & sleep 30 & wait');
  t.teardown(s.stop);
  await waitFor(() => (ps.all().filter((p) => p.ppid === s.pid).length === 2), 5_000, 50);
  t.match(ps.info(s.pid), { pid: s.pid, pgrp: s.pid, ppid: process.pid });
  t.equal(ps.info(s.pid)!.state, proc.info(s.pid)!.state);
  process.kill(-s.pid, 'SIGSTOP');
  t.ok(await waitFor(() => ps.info(s.pid)?.state === 'T', 2_000, 20), 'ps sees it stopped');
  t.equal(proc.info(s.pid)!.state, 'T');
  const previous = useProcessTable(ps);
  t.teardown(() => useProcessTable(previous));
  t.same(descendants(s.pid).map((p) => p.state), ['T', 'T'], 'both children found through ps, stopped');
  process.kill(-s.pid, 'SIGCONT');
  t.ok(await waitFor(() => ps.info(s.pid)?.state !== 'T', 2_000, 20), 'resumed');
  s.stop();
  t.ok(await waitFor(() => ps.info(s.pid) === undefined, 5_000, 20), 'gone: ps no longer lists it');
});

t.test('embedded PostgreSQL with /proc unavailable: kill, pause and stop applied, verified and healed', async (t) => {
  const previous = useProcessTable(defaultProcessTable('/nonexistent-proc'));
  t.teardown(() => useProcessTable(previous));
  const scratchDir = mkdtempSync(join(tmpdir(), 'bankrun-ps-'));
  t.teardown(() => rmSync(scratchDir, { recursive: true, force: true }));
  const cluster = await embeddedPostgres().start({ params: { ...DEFAULTS, timeoutMs: 2000 }, settings: {}, scratchDir, resultsDir: scratchDir, runId: 'ps', log: () => undefined });
  t.teardown(() => cluster.close());
  const api = cluster.api[0]!;
  t.equal((await api.setup({ a: 10, b: 0 })).type, 'ok');
  for (const kind of ['kill', 'pause', 'stop'] as const) {
    t.match(await cluster.faults.apply(kind, 'n1', ['n1']), /.+/, `${kind} applied and verified through ps`);
    t.not((await api.transfer({ id: `during-${kind}`, from: 'a', to: 'b', amount: 1 })).type, 'ok', `nothing commits under ${kind}`);
    t.match(await cluster.faults.heal(kind, 'n1', ['n1']), /.+/, `${kind} healed`);
    t.equal((await api.transfer({ id: `after-${kind}`, from: 'a', to: 'b', amount: 1 })).type, 'ok', `transfers work after ${kind}`);
  }
});

t.test('natively on Windows a notebook says to use WSL2; Linux and macOS run', async (t) => {
  t.match(refusePlatform('win32'), /Linux and macOS; on Windows run it inside WSL2/);
  t.equal(refusePlatform('linux'), undefined);
  t.equal(refusePlatform('darwin'), undefined);
});
