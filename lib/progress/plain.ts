// The display for pipes and CI logs: log lines as they come, and every few seconds of a cell one
// line with the rates and latency of those seconds. No control codes, no colour.
import type { DisplayOutput, ProgressDisplay } from './display.ts';
import { renderPlainLine } from './render.ts';
import type { CellView, CheckerStatus, ProgressState } from './state.ts';

/** How often a plain line is printed, and the stretch it sums up. */
export const PLAIN_EVERY_MS = 5000;

export class PlainDisplay implements ProgressDisplay {
  private cellStartNs = NaN;
  /** How many lines this cell has printed (one per PLAIN_EVERY_MS of load). */
  private printed = 0;

  constructor(
    private readonly out: DisplayOutput,
    private readonly state: ProgressState,
    private readonly checker: () => CheckerStatus,
  ) {}

  log(line: string): void {
    this.out.write(`${line}\n`);
  }

  tick(cell: CellView, nowNs: number): void {
    if (cell.startNs !== this.cellStartNs) {
      this.cellStartNs = cell.startNs;
      this.printed = 0;
    }
    const due = Math.floor((nowNs - cell.startNs) / 1e6 / PLAIN_EVERY_MS);
    if (due <= this.printed) return;
    this.printed = due;
    this.out.write(`${renderPlainLine(this.state.snapshot(cell, nowNs, PLAIN_EVERY_MS, this.checker()))}\n`);
  }

  endCell(): void {
    // Ticks that come after the end (a Ctrl-C mid-cell) print nothing more for this cell.
    this.printed = Infinity;
  }
}
