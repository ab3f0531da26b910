// etcd at 5 and 7 members under Docker, through the notebook API itself: the leader is found,
// killed and restarted, and the verdict is valid. Skipped, with the reason, without an engine
// (failing instead where CI requires one).
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cell, faults, notebook, target } from '../lib/notebook.ts';
import { dockerCluster } from '../lib/runtime/docker/docker-runtime.ts';
import { etcd } from '../lib/runtime/docker/engines/etcd.ts';
import { dockerEngineOrSkip, dockerTestLock } from './helpers/docker.ts';

const engine = await dockerEngineOrSkip(t);

if (engine) {
  t.setTimeout(1_800_000);
  for (const nodes of [5, 7]) {
    t.test(`etcd, ${nodes} members: the leader killed and restarted, valid`, async (t) => {
      t.teardown(await dockerTestLock());
      const out = mkdtempSync(join(tmpdir(), `bankrun-etcd${nodes}-`));
      const nb = await notebook(`etcd-${nodes}node-test`, {
        argv: ['--nodes', String(nodes), '--duration', '5s', '--fault-for', '2s', '--rate', '40', '--seed', '5', '--out', out],
      });
      const cluster = await nb.up(dockerCluster(etcd()));
      t.equal(cluster.nodes.length, nodes);
      t.equal(cluster.api.length, nodes, 'one API node per member');
      await nb.run(cell('kill -9 the leader', { fault: faults.kill(target.leader()) }));
      const { dir, check } = await nb.report();
      t.equal(check.valid, true, JSON.stringify(check.anomalies));
      t.equal(check.audits, 1);
      const [kill] = JSON.parse(readFileSync(join(dir, 'schedule.json'), 'utf8'))[0].faults;
      t.same([kill.status, kill.verified], ['applied', true], `the leader (${kill.targets}) was killed and restarted`);
      process.exitCode = 0;
    });
  }
}
