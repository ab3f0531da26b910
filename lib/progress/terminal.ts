// The display for a terminal: the status block drawn under the log and redrawn in place. A log
// line erases the block, is written where the block was, and the block is drawn again below it,
// so log lines scroll up as usual and are never overwritten.
import type { DisplayOutput, ProgressDisplay } from './display.ts';
import { renderBlock } from './render.ts';
import type { CellView, CheckerStatus, ProgressState } from './state.ts';

/** The stretch the block's rates and latencies cover. */
export const BLOCK_WINDOW_MS = 1000;

export class TerminalDisplay implements ProgressDisplay {
  /** The block as drawn now, newline-terminated; '' when none is drawn. */
  private frame = '';
  private frameLines = 0;
  private cellStartNs = NaN;
  private ended = false;

  constructor(
    private readonly out: DisplayOutput,
    private readonly state: ProgressState,
    private readonly checker: () => CheckerStatus,
    private readonly style: { colour: boolean },
  ) {}

  log(line: string): void {
    this.out.write(`${this.erase()}${line}\n${this.frame}`);
  }

  tick(cell: CellView, nowNs: number): void {
    if (cell.startNs !== this.cellStartNs) {
      this.cellStartNs = cell.startNs;
      this.ended = false;
    }
    if (this.ended) return;
    // One column spare: a line that fills the last column wraps early on some terminals.
    const width = Math.min(80, this.out.columns ?? 80) - 1;
    let lines = renderBlock(this.state.snapshot(cell, nowNs, BLOCK_WINDOW_MS, this.checker()), { width, colour: this.style.colour });
    // The cursor cannot climb above the screen: a block taller than it could not be erased.
    if (this.out.rows && lines.length >= this.out.rows) lines = lines.slice(0, Math.max(1, this.out.rows - 1));
    const erase = this.erase();
    this.frame = `${lines.join('\n')}\n`;
    this.frameLines = lines.length;
    this.out.write(erase + this.frame);
  }

  endCell(): void {
    this.ended = true;
    if (this.frameLines === 0) return;
    this.out.write(this.erase());
    this.frame = '';
    this.frameLines = 0;
  }

  /** Moves to the block's first line and clears from there down; nothing when no block is drawn. */
  private erase(): string {
    return this.frameLines === 0 ? '' : `\x1b[${this.frameLines}A\x1b[J`;
  }
}
