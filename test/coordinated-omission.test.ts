// The latency figures must not hide a stall: with the database paused for 2 s in the middle of a
// run, bankrun's open loop (latency from the intended start) must report it at p99, while a
// closed loop measuring from the send shows how a tool that waits for its answers hides it.
import t from 'tap';
import { measureOmission } from '../scripts/bench/coordinated-omission.ts';

t.test('a 2-s pause of PostgreSQL shows in the open loop\'s p99, and a closed loop hides it', async (t) => {
  const pauseMs = 2_000;
  const r = await measureOmission({ durationMs: 8_000, rate: 200, workers: 16, pauseMs, log: () => undefined });
  // The window starts once every process is seen stopped, a few ms after the SIGSTOP was sent.
  const lasted = (p: { fromMs: number; toMs: number }) => p.toMs - p.fromMs;
  t.ok(lasted(r.open.pause) >= 0.9 * pauseMs, `the database stood still ${lasted(r.open.pause).toFixed(0)} ms in the open-loop cell`);
  t.ok(lasted(r.closed.pause) >= 0.9 * pauseMs, `and ${lasted(r.closed.pause).toFixed(0)} ms in the closed-loop cell`);

  // Every transfer due during the pause waited for it: about 400 of them at 200/s.
  t.ok(r.open.window.count >= 300, `open loop: ${r.open.window.count} transfers due in the pause window`);
  t.ok(r.open.window.p99Us >= 1_000_000, `open loop p99 over the pause window ${r.open.window.p99Us} µs ≥ 1 s`);
  t.ok(r.open.cell.p99Us >= 1_000_000, `open loop p99 over the whole cell ${r.open.cell.p99Us} µs ≥ 1 s`);

  // The closed loop sent only what its workers had in hand when the database stopped.
  // Each worker can send at most one transfer into a stopped database: then it waits.
  t.ok(r.closed.window.count <= 16, `closed loop: ${r.closed.window.count} transfers sent in the pause window`);
  t.ok(r.closed.cell.maxUs >= 1_000_000, `closed loop saw the stall in its max (${r.closed.cell.maxUs} µs)`);
  t.ok(r.closed.cell.p99Us < r.open.window.p99Us, `closed loop p99 ${r.closed.cell.p99Us} µs < open loop's ${r.open.window.p99Us} µs`);
});
