// CPU time of the processes this one started (API nodes, databases, their children), from Linux's
// /proc: the tester's own is process.cpuUsage(), this is the other side of the loopback.
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux build). */
const TICKS_PER_SECOND = 100;

/**
 * User + system time, in µs, of every living descendant of this process (NaN where there is no
 * /proc, e.g. macOS). A process that exits between two readings takes its time with it, so take
 * both readings while the processes you measure run.
 */
export function childrenCpuUs(root = process.pid): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return Number.NaN;
  }
  const parentOf = new Map<number, number>();
  const ticksOf = new Map<number, number>();
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields are counted after its last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(name), Number(fields[1]));
      ticksOf.set(Number(name), Number(fields[11]) + Number(fields[12]));
    } catch {
      // Gone since the listing.
    }
  }
  let ticks = 0;
  for (const [pid, t] of ticksOf) if (descendsFrom(pid, root, parentOf)) ticks += t;
  return (ticks / TICKS_PER_SECOND) * 1e6;
}

function descendsFrom(pid: number, root: number, parentOf: Map<number, number>): boolean {
  for (let p = parentOf.get(pid), hops = 0; p !== undefined && p > 1 && hops < 64; p = parentOf.get(p), hops++) {
    if (p === root) return true;
  }
  return false;
}
