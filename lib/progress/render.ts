// The live display's text, from a snapshot: the status block a terminal redraws in place, and the
// plain line a pipe or CI log gets every few seconds. Pure functions of the snapshot: no clock,
// no stream. The block keeps to narrow characters, so its width is its number of code points.
import { ms } from '../report/format.ts';
import type { FaultStatus, NodeState, ProgressSnapshot } from './state.ts';

export interface BlockStyle {
  /** Columns to fit; the block never uses more than 80. */
  width: number;
  /** ANSI colours (a terminal without NO_COLOR). */
  colour: boolean;
}

type Tone = 'bold' | 'dim' | 'red' | 'yellow' | 'green';
/** A piece of a line, plain or in a tone. */
type Piece = string | [Tone, string];

const SGR: Record<Tone, string> = { bold: '1', dim: '2', red: '31', yellow: '33', green: '32' };
const MAX_WIDTH = 80;
const LABEL_WIDTH = 13;
const BAR_WIDTH = 16;
const MAX_FAULT_LINES = 4;

/** The status block: one string per line, each at most `style.width` (and 80) columns. */
export function renderBlock(s: ProgressSnapshot, style: BlockStyle): string[] {
  const width = Math.min(MAX_WIDTH, Math.max(20, style.width));
  const lines: Piece[][] = [
    header(s, width),
    labelled('transfers/s', [
      `ok ${round(s.transfersPerS.ok)}  insufficient ${round(s.transfersPerS.insufficient)}  `,
      toned(s.transfersPerS.fail > 0 ? 'red' : null, `failed ${round(s.transfersPerS.fail)}`),
      '  ',
      toned(s.transfersPerS.info > 0 ? 'yellow' : null, `indeterminate ${round(s.transfersPerS.info)}`),
    ]),
    labelled('reads/s', [`${readsText(s).padEnd(10)}   `, toned(stalled(s) ? 'yellow' : null, inFlightText(s))]),
    labelled('latency', s.latency
      ? [`p50 ${ms(s.latency.p50Us)} ms   p99 ${ms(s.latency.p99Us)} ms   `, ['dim', `(${windowText(s.windowMs)}, from when due)`]]
      : [toned(s.inFlight > 0 ? 'yellow' : null, `no transfer completed in the ${windowText(s.windowMs)}`)]),
    ...faultLines(s.faults),
    labelled('nodes', nodePieces(s.nodes)),
    labelled('checker', checkerPieces(s)),
  ];
  return lines.map((pieces) => paint(fit(pieces, width), style.colour));
}

/**
 * One line for logs, within 80 columns while nothing happens: transfer rates and p99 over the
 * window; then, when there is any, a stall, the faults in force and the anomalies.
 */
export function renderPlainLine(s: ProgressSnapshot): string {
  const t = s.transfersPerS;
  const rates = `ok ${round(t.ok)}/s  insufficient ${round(t.insufficient)}/s  failed ${round(t.fail)}/s  indeterminate ${round(t.info)}/s`;
  const parts = [`${(s.elapsedMs / 1000).toFixed(0).padStart(5)}s  ${rates}  ${s.latency ? `p99 ${ms(s.latency.p99Us)} ms` : 'none completed'}`];
  if (stalled(s)) parts.push(`${s.inFlight} in flight, oldest due ${secondsText(s.oldestInFlightMs!)} ago`);
  for (const f of s.faults) {
    if (f.phase === 'active' && f.forMs !== undefined) parts.push(`${faultName(f)} ${(f.countdownMs ?? 0) > 0 ? `heals in ${secondsText(f.countdownMs!)}` : 'heal due'}`);
    if (f.phase === 'healing') parts.push(`${faultName(f)} ${faultState(f)[1]}`);
  }
  if (s.checker.anomalies > 0) parts.push(anomaliesText(s.checker.anomalies));
  return parts.join(' · ');
}

function header(s: ProgressSnapshot, width: number): Piece[] {
  const done = Math.min(1, s.durationMs > 0 ? s.elapsedMs / s.durationMs : 1);
  const filled = Math.round(done * BAR_WIDTH);
  const leftMs = Math.max(0, s.durationMs - s.elapsedMs);
  const clockText = (elapsedMs: number, left: number) => `${secondsText(elapsedMs)} of ${durationText(s.durationMs)}, ${secondsText(left)} left`;
  // As wide as it will ever be in this cell, so the bar does not shift as the figures grow.
  const clock = clockText(s.elapsedMs, leftMs).padStart(clockText(s.durationMs, s.durationMs).length);
  const rightLength = BAR_WIDTH + 2 + clock.length;
  const name = clip(s.cell, Math.max(4, width - rightLength - 4));
  // No ▶ here: the cell's log line just above has it, and the block is not another cell.
  return [
    '  ', ['bold', name], ' '.repeat(Math.max(2, width - 2 - [...name].length - rightLength)),
    '━'.repeat(filled), ['dim', '─'.repeat(BAR_WIDTH - filled)], `  ${clock}`,
  ];
}

function readsText(s: ProgressSnapshot): string {
  const notOk = s.readsPerS - s.readsOkPerS;
  return `${round(s.readsPerS)}${notOk >= 0.5 ? ` (${round(notOk)} not ok)` : ''}`;
}

/** An operation waiting over a second is a stall worth saying how long. */
const stalled = (s: ProgressSnapshot) => s.oldestInFlightMs !== null && s.oldestInFlightMs >= 1000;

function inFlightText(s: ProgressSnapshot): string {
  return `in flight ${s.inFlight}${stalled(s) ? `, oldest due ${secondsText(s.oldestInFlightMs!)} ago` : ''}`;
}

function faultLines(faults: readonly FaultStatus[]): Piece[][] {
  if (faults.length === 0) return [labelled('faults', [['dim', 'none in this cell']])];
  // Most telling first when they do not all fit: what is happening now, then what comes next.
  const shown = faults.length <= MAX_FAULT_LINES ? faults : [...faults].sort((a, b) => rank(a) - rank(b)).slice(0, MAX_FAULT_LINES - 1);
  const lines = shown.map((f, i) => {
    const [tone, text] = faultState(f);
    return labelled(i === 0 ? 'faults' : '', [faultName(f).padEnd(14), toned(tone, text)]);
  });
  if (shown.length < faults.length) lines.push(labelled('', [['dim', `and ${faults.length - shown.length} more`]]));
  return lines;
}

const RANK: Record<FaultStatus['phase'], number> = {
  'not-applied': 0, 'heal-failed': 0, applying: 1, active: 1, healing: 1, planned: 2, healed: 3,
};
const rank = (f: FaultStatus) => RANK[f.phase];

function faultName(f: FaultStatus): string {
  const level = f.level === undefined ? '' : f.kind === 'loss' ? ` ${f.level} %` : ` ${f.level} kbit/s`;
  return `${f.kind} ${f.targets}${level}`;
}

/** What a fault is doing, and in which tone; never "active" for one that was not applied. */
function faultState(f: FaultStatus): [Tone | null, string] {
  const countdown = f.countdownMs ?? 0;
  switch (f.phase) {
    case 'planned':
      return ['dim', `starts in ${secondsText(Math.max(0, countdown))}${f.forMs === undefined ? '' : `, lasts ${durationText(f.forMs)}`}`];
    case 'applying':
      return ['yellow', 'applying…'];
    case 'active': {
      const heal = f.forMs === undefined ? '' : countdown > 0 ? `, heals in ${secondsText(countdown)}` : ', heal due';
      return ['yellow', `ACTIVE since ${secondsText(f.atMs)}${heal}${f.reason ? ` (${f.reason})` : ''}`];
    }
    case 'healing':
      return ['yellow', `${f.kind === 'kill' || f.kind === 'stop' ? 'restarting' : 'healing'} for ${secondsText(Math.max(0, -countdown))}`];
    case 'healed':
      return ['dim', f.healedAtMs === undefined ? 'healed' : `healed at ${secondsText(f.healedAtMs)}`];
    case 'not-applied':
      return ['red', `NOT APPLIED: ${f.reason ?? 'see the log'}`];
    case 'heal-failed':
      return ['red', `HEAL FAILED: ${f.reason ?? 'see the log'}`];
  }
}

/** A node that is up stays plain; one that a fault holds down is red, one coming back yellow. */
const NODE_TONE: Record<NodeState, Tone | null> = {
  up: null, killed: 'red', paused: 'red', stopped: 'red', isolated: 'red', lossy: 'yellow', throttled: 'yellow', delayed: 'yellow',
  restarting: 'yellow', healing: 'yellow', 'heal failed': 'red',
};

function nodePieces(nodes: ProgressSnapshot['nodes']): Piece[] {
  return nodes.flatMap(({ name, state }, i) => [i === 0 ? '' : '   ', `${name} `, toned(NODE_TONE[state], state)]);
}

function checkerPieces(s: ProgressSnapshot): Piece[] {
  if (s.checker.stopped) return [['yellow', `stopped at ${anomalyCount(s.checker.anomalies)}; the history is checked at the end`]];
  const found: Piece = s.checker.anomalies === 0 ? ['green', 'no anomalies so far'] : ['red', `${anomaliesText(s.checker.anomalies)} — see the report`];
  if (!s.checker.ledgerLeftToFinal) return [found];
  // Past its memory bound the live check still checks reads; the ledger is judged from the file.
  return [found, ['yellow', ' · ledger checks at the end']];
}

const anomalyCount = (n: number) => `${n} anomal${n === 1 ? 'y' : 'ies'}`;
const anomaliesText = (n: number) => `${anomalyCount(n)} so far`;

function labelled(label: string, pieces: Piece[]): Piece[] {
  return [`  ${label.padEnd(LABEL_WIDTH)}`, ...pieces];
}

const toned = (tone: Tone | null, text: string): Piece => (tone ? [tone, text] : text);

/** Cuts a line to `width` columns, marking the cut with an ellipsis. */
function fit(pieces: Piece[], width: number): Piece[] {
  const textOf = (p: Piece) => (typeof p === 'string' ? p : p[1]);
  if (pieces.reduce((n, p) => n + [...textOf(p)].length, 0) <= width) return pieces;
  const out: Piece[] = [];
  let room = width - 1;
  for (const p of pieces) {
    const chars = [...textOf(p)];
    if (chars.length <= room) {
      out.push(p);
      room -= chars.length;
      continue;
    }
    const cut = `${chars.slice(0, room).join('')}…`;
    out.push(typeof p === 'string' ? cut : [p[0], cut]);
    break;
  }
  return out;
}

function paint(pieces: Piece[], colour: boolean): string {
  return pieces.map((p) => (typeof p === 'string' ? p : colour ? `\x1b[${SGR[p[0]]}m${p[1]}\x1b[0m` : p[1])).join('').trimEnd();
}

function clip(text: string, room: number): string {
  const chars = [...text];
  return chars.length <= room ? text : `${chars.slice(0, Math.max(0, room - 1)).join('')}…`;
}

/** A time that moves: "6.2 s". */
const secondsText = (msValue: number) => `${(msValue / 1000).toFixed(1)} s`;

/** A length as it was asked for: "12 s", "2.5 s". */
const durationText = (msValue: number) => `${Number((msValue / 1000).toFixed(1))} s`;

function windowText(windowMs: number): string {
  return windowMs >= 999 && windowMs <= 1001 ? 'last second' : `last ${secondsText(windowMs)}`;
}

const round = (perS: number) => String(Math.round(perS));
