// Exits 0 only when a run's schedule.json shows a fault of every named kind, and every fault in it
// applied and verified; else it names what was not. For CI jobs that must prove faults, not just a verdict.
//   npx tsx scripts/ci/faults-applied.ts results/<notebook>/<run>/schedule.json kill pause
import { readFileSync } from 'node:fs';

const [file, ...kinds] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx scripts/ci/faults-applied.ts SCHEDULE_JSON [KIND …]');
  process.exit(2);
}
interface Fault { kind: string; targets: string[]; status: string; verified: boolean; detail?: string }
const schedule = JSON.parse(readFileSync(file, 'utf8')) as { cell: string; faults: Fault[] }[];
const faults = schedule.flatMap((c) => c.faults.map((f) => ({ cell: c.cell, ...f })));
const problems = [
  ...kinds.filter((k) => !faults.some((f) => f.kind === k)).map((k) => `no ${k} fault in the run`),
  ...faults.filter((f) => f.status !== 'applied' || !f.verified)
    .map((f) => `${f.cell}: ${f.kind} ${f.status}${f.verified ? '' : ', not verified'}${f.detail ? ` (${f.detail})` : ''}`),
];
for (const f of faults) console.log(`${f.cell}: ${f.kind} ${f.targets.join(',')} ${f.status}${f.verified ? ', verified' : ''}`);
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
