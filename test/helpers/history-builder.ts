// Builds small bank histories for tests: ops with increasing index and time, well-formed process
// use (a process runs one op at a time and never returns after an `info`), and only the fields of
// the history contract (README, "How it is built") unless a test asks for more.
//
//   const h = new HistoryBuilder();
//   h.setup({ a0: 100, a1: 100 });
//   const t1 = h.transfer('t1', 'a0', 'a1', 5);          // invoke + ok
//   const t2 = h.begin('transfer', { id: 't2', from: 'a1', to: 'a0', amount: 3 }); // left open…
//   h.audit({ a0: 95, a1: 105 }, ['t1']);
//   h.end(t2, 'info');                                    // …and completed after the audit
//   await h.write('/tmp/x/history.jsonl.gz');

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Op } from '../../lib/history/op.ts';

export type Balances = Record<string, number>;
export type Completion = 'ok' | 'fail' | 'info';

export interface OpOptions {
  /** A specific client process; by default the lowest one that is idle and not retired. */
  process?: number;
  /** The API node; 'n1' by default (null for setup, as the driver writes it). */
  node?: string | null;
  /** Set on the completion (why a fail or info happened). */
  error?: string;
  /** Extra fields for the op(s), e.g. { retries: 2 }. */
  extra?: Record<string, unknown>;
}

/** An invoke and, unless left open, its completion. */
export interface Call {
  invoke: Op;
  done?: Op;
}

export class HistoryBuilder {
  readonly ops: Op[] = [];
  private readonly busy = new Set<number>();
  private readonly retired = new Set<number>();

  /** `stepNs`: nanoseconds between consecutive ops. */
  constructor(private readonly stepNs = 1_000_000) {}

  /** Index the next op will get. */
  get nextIndex(): number {
    return this.ops.length;
  }

  /** Invokes `f`; complete it later with end(), possibly after other ops (concurrency). */
  begin(f: string, value: unknown, opts: OpOptions = {}): Op {
    const process = opts.process ?? this.idleProcess();
    if (this.busy.has(process) || this.retired.has(process)) {
      throw new Error(`process ${process} is busy or retired; a history must not reuse it`);
    }
    this.busy.add(process);
    return this.push({ type: 'invoke', f, process, node: nodeOf(f, opts), value }, opts.extra);
  }

  /** Completes an invoke; the value defaults to the invoke's (what the driver writes for transfers). */
  end(invoke: Op, type: Completion, value: unknown = invoke.value, opts: OpOptions = {}): Op {
    const process = invoke.process as number;
    if (!this.busy.delete(process)) throw new Error(`process ${process} has no open invoke`);
    if (type === 'info') this.retired.add(process);
    const fields = { type, f: invoke.f, process, node: invoke.node, value };
    return this.push(opts.error === undefined ? fields : { ...fields, error: opts.error }, opts.extra);
  }

  setup(balances: Balances, opts: OpOptions = {}): Call {
    return this.call('setup', { balances }, 'ok', { balances }, opts);
  }

  /** outcome 'open' leaves the invoke without completion. */
  transfer(id: string, from: string, to: string, amount: number, outcome: Completion | 'open' = 'ok', opts: OpOptions = {}): Call {
    const value = { id, from, to, amount };
    return this.call('transfer', value, outcome, value, opts);
  }

  /** An ok read shows `balances`; a fail or info read carries no value. */
  read(balances: Balances, outcome: Completion = 'ok', opts: OpOptions = {}): Call {
    return this.call('read', null, outcome, outcome === 'ok' ? { balances } : null, opts);
  }

  audit(balances: Balances, transfers: string[], outcome: Completion = 'ok', opts: OpOptions = {}): Call {
    return this.call('audit', null, outcome, outcome === 'ok' ? { balances, transfers } : null, opts);
  }

  /** A fault event, as the nemesis writes it. */
  nemesis(f: string, type: Op['type'] = 'info', value: unknown = null): Op {
    return this.push({ type, f, process: 'nemesis', node: null, value });
  }

  jsonl(): string {
    return toJsonl(this.ops);
  }

  /** Writes the history; gzipped when the path ends in .gz. */
  async write(path: string): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    const text = this.jsonl();
    await writeFile(path, path.endsWith('.gz') ? gzipSync(text) : text);
    return path;
  }

  private call(f: string, invokeValue: unknown, outcome: Completion | 'open', doneValue: unknown, opts: OpOptions): Call {
    const invoke = this.begin(f, invokeValue, opts);
    if (outcome === 'open') return { invoke };
    return { invoke, done: this.end(invoke, outcome, doneValue, opts) };
  }

  private push(fields: Omit<Op, 'index' | 'time'>, extra?: Record<string, unknown>): Op {
    const index = this.ops.length;
    const { type, f, process, node, value, ...rest } = fields;
    // The history contract's field order, so written files read like the real thing.
    const op: Op = { index, type, f, process, node, time: index * this.stepNs, value, ...rest, ...extra };
    this.ops.push(op);
    return op;
  }

  private idleProcess(): number {
    let p = 0;
    while (this.busy.has(p) || this.retired.has(p)) p++;
    return p;
  }
}

export function toJsonl(ops: readonly unknown[]): string {
  return ops.map((op) => `${JSON.stringify(op)}\n`).join('');
}

function nodeOf(f: string, opts: OpOptions): string | null {
  if (opts.node !== undefined) return opts.node;
  return f === 'setup' ? null : 'n1';
}
