// The two displays, driven by a fake clock: on a terminal the block stays under the log and log
// lines are never drawn over; in a pipe, plain lines every 5 s and no control codes at all.
import t from 'tap';
import { target } from '../lib/faults/targets.ts';
import type { Op } from '../lib/history/op.ts';
import { openDisplay, type DisplayOutput } from '../lib/progress/display.ts';
import { ProgressState, type CellView } from '../lib/progress/state.ts';

const S = 1e9;
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f]/;

class FakeOutput implements DisplayOutput {
  written = '';
  constructor(readonly isTTY: boolean, readonly columns = 80, readonly rows = 40) {}
  write(text: string): boolean {
    this.written += text;
    return true;
  }
}

/** What a terminal shows after `text`: lines, cursor up (CSI n A), erase below (CSI J); colours dropped. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  for (const m of text.replace(/\x1b\[[0-9;]*m/g, '').matchAll(/\x1b\[(\d*)([AJ])|\n|[^\x1b\n]+/g)) {
    if (m[2] === 'A') row = Math.max(0, row - Number(m[1] || 1));
    else if (m[2] === 'J') lines.splice(row, Infinity, '');
    else if (m[0] === '\n') {
      row++;
      if (row >= lines.length) lines.push('');
    } else lines[row] += m[0];
  }
  return lines;
}

const cell: CellView = {
  name: 'pause n1', durationMs: 12_000, startNs: 100 * S, nodes: ['n1'],
  faults: [{ kind: 'pause', target: target.node(1), atMs: 3500, forMs: 5000 }],
};

/**
 * Runs the cell's clock from `fromMs` to `toMs` in steps of 500 ms as the notebook does: the
 * history gets what happened since the last step (a transfer every 10 ms, done 5 ms after it
 * was due; the pause applied at 3.5 s), then the display ticks.
 */
function drive(state: ProgressState, tick: (nowNs: number) => void, fromMs: number, toMs: number, c: CellView = cell): void {
  let index = 0;
  const op = (fields: Omit<Op, 'index'>) => state.observe({ index: index++, ...fields } as Op);
  for (let ms = fromMs; ms <= toMs; ms += 500) {
    for (let due = ms - 500; due < ms; due += 10) {
      if (due < 0) continue;
      const dueNs = c.startNs + due * 1e6;
      op({ type: 'invoke', f: 'transfer', process: 1, node: 'n1', time: dueNs, value: null, intended: dueNs });
      op({ type: 'ok', f: 'transfer', process: 1, node: 'n1', time: dueNs + 5e6, value: null });
      if (due === 3500 && c.faults.length > 0) {
        op({ type: 'invoke', f: 'pause', process: 'nemesis', node: null, time: dueNs, value: { targets: ['n1'], phase: 'start' } });
        op({ type: 'ok', f: 'pause', process: 'nemesis', node: null, time: dueNs + 1e6, value: { targets: ['n1'], phase: 'start' } });
      }
    }
    tick(c.startNs + ms * 1e6);
  }
}

function display(out: FakeOutput, env: Record<string, string> = {}) {
  const state = new ProgressState();
  return { state, display: openDisplay({ out, env, state, checker: () => ({ anomalies: 0, stopped: false }) }) };
}

t.test('not a terminal: a plain line every 5 s of the cell, log lines as they come, no control codes', async (t) => {
  const out = new FakeOutput(false);
  const { state, display: d } = display(out);
  d.log('▶ pause n1 — 12s');
  drive(state, (now) => d.tick(cell, now), 0, 3500);
  d.log('  ⚡ 3.5s pause n1 — applied');
  drive(state, (now) => d.tick(cell, now), 4000, 12_000);
  d.endCell();
  d.tick(cell, cell.startNs + 15 * S);
  const lines = out.written.split('\n');
  t.notMatch(out.written, CONTROL, 'no escape, no carriage return, no other control code');
  t.same(lines.map((l) => l.trim().split('  ')[0]), ['▶ pause n1 — 12s', '⚡ 3.5s pause n1 — applied', '5s', '10s', '']);
  t.match(lines[2], /^ {4}5s {2}ok 100\/s {2}insufficient 0\/s {2}failed 0\/s {2}indeterminate 0\/s {2}p99 5\.\d+ ms · pause n1 heals in 3\.5 s$/);
  t.match(lines[3], / {3}10s {2}ok 100\/s/);
});

t.test('a terminal: the block is redrawn in place, log lines land above it, the end of the cell clears it', async (t) => {
  const out = new FakeOutput(true);
  const { state, display: d } = display(out);
  d.log('▶ pause n1 — 12s');
  drive(state, (now) => d.tick(cell, now), 0, 0);
  const first = screen(out.written);
  t.equal(first[0], '▶ pause n1 — 12s');
  t.match(first[1], /^ {2}pause n1 .* 0\.0 s of 12 s, 12\.0 s left$/);
  const blockLines = first.length - 2;
  t.equal(blockLines, 7, 'header, transfers, reads, latency, one fault, nodes, checker');

  drive(state, (now) => d.tick(cell, now), 500, 3500);
  d.log('  ⚡ 3.5s pause n1 — applied');
  drive(state, (now) => d.tick(cell, now), 4000, 4000);
  const mid = screen(out.written);
  t.same(mid.slice(0, 2), ['▶ pause n1 — 12s', '  ⚡ 3.5s pause n1 — applied'], 'the log line is above the block, the earlier frames are gone');
  t.match(mid[2], /4\.0 s of 12 s, 8\.0 s left/);
  t.match(mid[3], /ok 100 /);
  t.equal(mid.length, 2 + blockLines + 1, 'one block on the screen, however often it was drawn');
  t.equal(mid.filter((l) => l.includes('transfers/s')).length, 1);

  d.endCell();
  d.tick(cell, cell.startNs + 5 * S);
  d.log('  done');
  t.same(screen(out.written), ['▶ pause n1 — 12s', '  ⚡ 3.5s pause n1 — applied', '  done', ''], 'no block after the cell, also when a late tick comes');

  const next = { ...cell, name: 'steady', startNs: cell.startNs + 20 * S, faults: [] };
  d.tick(next, next.startNs + 0.5 * S);
  t.match(screen(out.written)[3], /^ {2}steady /, 'the next cell draws its block again');
});

t.test('a terminal narrower than 80 columns: the block never wraps', async (t) => {
  const out = new FakeOutput(true, 50);
  const { state, display: d } = display(out);
  drive(state, (now) => d.tick(cell, now), 0, 4000);
  for (const line of screen(out.written)) t.ok([...line].length < 50, `${[...line].length} columns: ${line}`);
});

t.test('colour on a terminal unless NO_COLOR is set; TERM=dumb gets plain lines', async (t) => {
  const draw = (out: FakeOutput, env: Record<string, string>) => {
    const { state, display: d } = display(out, env);
    drive(state, (now) => d.tick(cell, now), 0, 5000);
    return out.written;
  };
  t.match(draw(new FakeOutput(true), {}), /\x1b\[\d+m/);
  const noColour = draw(new FakeOutput(true), { NO_COLOR: '1' });
  t.notMatch(noColour, /\x1b\[\d+m/);
  t.match(noColour, /\x1b\[J|transfers\/s/, 'still the block');
  t.notMatch(draw(new FakeOutput(true), { TERM: 'dumb' }), CONTROL);
});
