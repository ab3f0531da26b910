// The live display, a subscriber to the run: the notebook hands it its log lines and, about
// twice a second while a cell runs, the cell. On a terminal it keeps a status block in place
// under the log; anywhere else (a pipe, `| tee`, CI) it prints a plain line every few seconds.
import { PlainDisplay } from './plain.ts';
import type { CellView, CheckerStatus, ProgressState } from './state.ts';
import { TerminalDisplay } from './terminal.ts';

export interface ProgressDisplay {
  /** A line of the run's log: it shows above the block, never under or inside it. */
  log(line: string): void;
  /** The running cell at run time `nowNs`; called when its load starts and about twice a second. */
  tick(cell: CellView, nowNs: number): void;
  /** The cell's load ended or was interrupted: the block goes, and later ticks of this cell are ignored. */
  endCell(): void;
}

/** Where the display writes: process.stdout, or a stand-in in tests. */
export interface DisplayOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface DisplayOptions {
  out: DisplayOutput;
  env: Record<string, string | undefined>;
  state: ProgressState;
  checker: () => CheckerStatus;
}

/** The terminal block when `out` is a terminal that can move its cursor, else plain lines. */
export function openDisplay(o: DisplayOptions): ProgressDisplay {
  const terminal = o.out.isTTY === true && o.env.TERM !== 'dumb';
  if (!terminal) return new PlainDisplay(o.out, o.state, o.checker);
  // https://no-color.org: a NO_COLOR that is set and not empty turns colour off.
  return new TerminalDisplay(o.out, o.state, o.checker, { colour: !o.env.NO_COLOR });
}
