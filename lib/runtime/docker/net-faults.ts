// Network faults, applied inside the target database container's network namespace by a
// short-lived helper container (bankrun/nettools: nftables and tc, NET_ADMIN only), so database
// images need no tools. Each is verified by listing what it installed, and healed by removing it.
// Commands and measurements: compose/README.md.
import type Docker from 'dockerode';
import type { FaultDriver, FaultKind, Support } from '../../faults/kinds.ts';
import type { NodeAddress } from './engine-spec.ts';
import { labels } from './labels.ts';
import { demuxLogs } from './logs.ts';

export const NETTOOLS_IMAGE = 'bankrun/nettools:latest';

/** Loss and bandwidth of the faults, fixed for now (the report states them in the fault's detail). */
export const LOSS_PERCENT = 30;
export const BANDWIDTH_KBIT = 1000;
export const LATENCY = { delay: '100ms', jitter: '20ms' };

const NETWORK_KINDS: readonly FaultKind[] = ['partition', 'loss', 'bandwidth', 'latency'];

interface Exec {
  code: number;
  output: string;
}

export function networkFaults(docker: Docker, containers: ReadonlyMap<string, string>, nodes: readonly NodeAddress[], run: string): FaultDriver {
  let netem: Promise<Support> | undefined;

  /** Runs `script` with sh in `target`'s network namespace (or in none, to probe the kernel). */
  async function helper(target: string | null, script: string): Promise<Exec> {
    const c = await docker.createContainer({
      Image: NETTOOLS_IMAGE,
      Cmd: ['sh', '-c', script],
      Labels: labels(run, 'nettools', target ?? undefined),
      HostConfig: { NetworkMode: target ? `container:${containers.get(target)}` : 'none', CapAdd: ['NET_ADMIN'] },
    });
    try {
      await c.start();
      const { StatusCode } = await c.wait();
      const logs = await c.logs({ stdout: true, stderr: true });
      return { code: StatusCode, output: demuxLogs(logs) };
    } finally {
      await c.remove({ force: true }).catch(() => undefined);
    }
  }

  async function must(node: string, script: string, what: string): Promise<string> {
    const r = await helper(node, script);
    if (r.code !== 0) throw new Error(`${what} on ${node} failed (exit ${r.code}): ${r.output.trim().split('\n').slice(-3).join(' ')}`);
    return r.output;
  }

  /** The other side of a partition: every database node outside the group that is cut off. */
  const otherSide = (group: readonly string[]) => nodes.filter((n) => !group.includes(n.name)).map((n) => n.ip);

  type Script = {
    apply: (group: readonly string[], level?: number) => string;
    verify: string;
    verifyText: RegExp;
    heal: string;
    describe: (group: readonly string[], level?: number) => string;
  };
  const scripts: Record<string, Script> = {
    partition: {
      apply: (group) => {
        const peers = otherSide(group).join(', ');
        return `nft 'table inet bankrun_partition { chain input { type filter hook input priority -10; policy accept; ip saddr { ${peers} } counter drop; } ; chain output { type filter hook output priority -10; policy accept; ip daddr { ${peers} } counter drop; } ; }'`;
      },
      verify: 'nft list table inet bankrun_partition',
      verifyText: /drop/,
      heal: "nft 'add table inet bankrun_partition; delete table inet bankrun_partition'",
      describe: (group) => `traffic to and from ${otherSide(group).join(', ')} dropped (nftables)`,
    },
    loss: {
      apply: (_group, percent = LOSS_PERCENT) => `nft 'table inet bankrun_loss { chain input { type filter hook input priority -10; policy accept; iifname != "lo" numgen random mod 100 < ${percent} counter drop; } ; chain output { type filter hook output priority -10; policy accept; oifname != "lo" numgen random mod 100 < ${percent} counter drop; } ; }'`,
      verify: 'nft list table inet bankrun_loss',
      verifyText: /numgen random mod 100/,
      heal: "nft 'add table inet bankrun_loss; delete table inet bankrun_loss'",
      describe: (_group, percent = LOSS_PERCENT) => `${percent} % of packets dropped each way (nftables)`,
    },
    bandwidth: {
      apply: (_group, kbit = BANDWIDTH_KBIT) => `tc qdisc add dev eth0 root tbf rate ${kbit}kbit burst 32kbit latency 400ms`,
      verify: 'tc qdisc show dev eth0',
      verifyText: /qdisc tbf/,
      heal: 'tc qdisc del dev eth0 root 2>/dev/null || true',
      describe: (_group, kbit = BANDWIDTH_KBIT) => `egress limited to ${kbit} kbit/s (tc tbf)`,
    },
    latency: {
      apply: () => `tc qdisc add dev eth0 root netem delay ${LATENCY.delay} ${LATENCY.jitter}`,
      verify: 'tc qdisc show dev eth0',
      verifyText: /qdisc netem/,
      heal: 'tc qdisc del dev eth0 root 2>/dev/null || true',
      describe: () => `${LATENCY.delay} ± ${LATENCY.jitter} added to every packet (tc netem)`,
    },
  };

  /** netem exists on most kernels but not on every one (not on our CI machines): ask this one. */
  async function probeNetem(): Promise<Support> {
    const r = await helper(null, 'tc qdisc add dev lo root netem delay 1ms');
    if (r.code === 0) return { ok: true };
    return { ok: false, reason: `this kernel has no netem, so latency cannot be injected (tc: ${r.output.trim().split('\n')[0]})` };
  }

  return {
    async support(kind) {
      if (!NETWORK_KINDS.includes(kind)) return { ok: false, reason: `${kind} is not a network fault` };
      if (kind !== 'latency') return { ok: true };
      netem ??= probeNetem();
      return netem;
    },
    async apply(kind, node, group, level) {
      const s = scripts[kind]!;
      if (level !== undefined && !(Number.isInteger(level) && level > 0 && (kind !== 'loss' || level <= 100))) {
        throw new Error(`${kind}: level ${level} is not a whole number${kind === 'loss' ? ' from 1 to 100 (%)' : ' above 0'}`);
      }
      if (kind === 'partition' && otherSide(group).length === 0) throw new Error('a partition needs nodes on both sides');
      await must(node, s.apply(group, level), kind);
      const listed = await must(node, s.verify, `verifying ${kind}`);
      if (!s.verifyText.test(listed)) throw new Error(`${kind} on ${node}: not found after applying it:\n${listed}`);
      return s.describe(group, level);
    },
    async heal(kind, node) {
      const s = scripts[kind]!;
      const state = await docker.getContainer(containers.get(node)!).inspect();
      // A restarted container has a fresh namespace; a stopped one has none to clean.
      if (!state.State.Running) return `${node} is not running: nothing to remove`;
      await must(node, s.heal, `healing ${kind}`);
      const listed = await helper(node, s.verify);
      if (kind === 'partition' || kind === 'loss') {
        if (listed.code === 0) throw new Error(`${kind} on ${node}: its table is still there after healing`);
      } else if (s.verifyText.test(listed.output)) {
        throw new Error(`${kind} on ${node}: its qdisc is still there after healing`);
      }
      return 'removed and verified gone';
    },
  };
}
