// The run's history: one JSON object per line, appended as the run goes. Lines are written whole
// and flushed often, so a crash leaves a readable prefix. Subscribers (the live checker, the
// progress display) see each op as it is appended.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Op } from './op.ts';

export type OpListener = (op: Op) => void;

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 200;

export class HistoryWriter {
  private readonly fd: number;
  private buffered: string[] = [];
  private bufferedBytes = 0;
  private nextIndex = 0;
  private readonly listeners: OpListener[] = [];
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  subscribe(listener: OpListener): void {
    this.listeners.push(listener);
  }

  /** Numbers the op, writes it and tells the subscribers; returns the stored op. */
  append(fields: Omit<Op, 'index'>): Op {
    if (this.closed) throw new Error(`history ${this.path} is closed`);
    const op = { index: this.nextIndex++, ...fields } as Op;
    const line = JSON.stringify(op) + '\n';
    this.buffered.push(line);
    this.bufferedBytes += line.length;
    if (this.bufferedBytes >= FLUSH_BYTES) this.flush();
    for (const listener of this.listeners) listener(op);
    return op;
  }

  get length(): number {
    return this.nextIndex;
  }

  flush(): void {
    if (this.buffered.length === 0) return;
    writeSync(this.fd, this.buffered.join(''));
    this.buffered = [];
    this.bufferedBytes = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    clearInterval(this.timer);
    closeSync(this.fd);
    this.closed = true;
  }
}
