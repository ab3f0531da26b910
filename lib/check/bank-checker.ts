// The bank checker, streaming: feed it every op in history order (live during a run, or from a
// file) and ask for the verdict at the end. Reads are checked as they arrive and never stored;
// per transfer it keeps one small record, because the audits need to know every transfer's fate.
//
// A setup `ok` starts an epoch: its balances are the initial state, and a later setup resets it.
// Each audit checks what came before it; the last audit after an `info` transfer resolves it.
// A ledger id, once seen by an audit, must be in every later one: a committed transfer that
// disappears (say, after a crash and recovery) is lost, whatever its client was told.
// Ops must fit together as Jepsen's model says (one open op per process, no op after `info`,
// each transfer id invoked once); a history that does not is refused, not judged.
//
// The live check during a run may bound its memory (`maxTransferRecords`): past the bound it
// records no new transfers, so the ledger checks cover only the transfers it holds (phantoms and
// the audit's balances cannot be judged without all of them) while every read is still checked.
// Records are not freed inside an epoch: an id an audit has seen must be in every later ledger,
// and a freed id would look like one never recorded. The check of the history file has no bound.

import type { Audit, Balances, Transfer } from '../store.ts';
import type { Op } from '../history/op.ts';
import { Findings, listSome } from './findings.ts';
import { MalformedHistoryError } from './parse.ts';
import { RealtimeReads } from './realtime.ts';
import { type Resolution, Settlement } from './settlement.ts';
import { SegmentTally } from './segments.ts';
import type { AnomalyClass, AnomalyExample, CheckResult, OutcomeCounts, Segment } from './verdict.ts';

export interface BankCheckerOptions {
  /** Named stretches of the history, or 'per-audit': a new segment ("cell 1", …) after each audit. */
  segments?: readonly Segment[] | 'per-audit';
  /**
   * At most this many transfer records per epoch (unbounded when absent). Past it, ledger checks
   * about the transfers not recorded are left to the check of the history file.
   */
  maxTransferRecords?: number;
}

/**
 * The live check's bound: a meetup run (minutes at a few hundred operations/s) stays under it,
 * and a long run at 1,000 transfers/s reaches it after a few minutes and then holds steady.
 */
export const LIVE_TRANSFER_RECORDS = 200_000;

const PENDING = 0;
const OK = 1;
const FAIL = 2;
const INFO = 3;
type Status = typeof PENDING | typeof OK | typeof FAIL | typeof INFO;
const STATUS: Record<Exclude<Op['type'], 'invoke'>, Status> = { ok: OK, fail: FAIL, info: INFO };

// Bits in TransferRecord.reported: several audits see the same fate, but it is one anomaly.
const REPORTED_LOST = 1;
const REPORTED_FAILED_APPLIED = 2;
const REPORTED_DOUBLE = 4;

/** What the audits need about one transfer; a class so V8 gives all records one compact shape. */
class TransferRecord {
  status: Status = PENDING;
  doneIndex = -1;
  /** History index of the last audit `ok` whose ledger held this id, or -1. */
  seenAt = -1;
  reported = 0;
  constructor(
    readonly invokeIndex: number,
    readonly time: number,
    readonly node: string | null,
    readonly from: string,
    readonly to: string,
    readonly amount: number,
  ) {}
}

interface Epoch {
  initial: ReadonlyMap<string, number>;
  total: number;
  transfers: Map<string, TransferRecord>;
  /** Invoke and ok index of the latest audit that completed ok; -1 before the first. */
  lastAuditInvoke: number;
  lastAuditDone: number;
  /** Phantom ids have no record to carry a reported bit; they are rare, so a set will do. */
  reportedIds: Set<string>;
  /** Transfers invoked past `maxTransferRecords`: the ledger checks cannot account for them. */
  unrecorded: number;
}

interface Pending {
  f: string;
  index: number;
  id?: string;
  rec?: TransferRecord;
}

export class BankChecker {
  private readonly findings = new Findings();
  private readonly realtime = new RealtimeReads();
  private readonly segments: SegmentTally;
  private readonly perAudit: boolean;
  private readonly pending = new Map<Op['process'], Pending>();
  /** Processes that ended `info`: they may still be running, so they never invoke again. */
  private readonly retired = new Set<Op['process']>();
  /** Account and node names repeat in every op; sharing one string each keeps records small. */
  private readonly names = new Map<string, string>();
  private epoch: Epoch | undefined;
  private closed = new Settlement();
  private segmentDue = false;
  private lastIndex = -1;
  private ops = 0;
  private audits = 0;
  private readonly transfers: OutcomeCounts = { ok: 0, fail: 0, info: 0 };
  private readonly reads: OutcomeCounts = { ok: 0, fail: 0, info: 0 };
  private readonly maxTransferRecords: number;
  /** Transfers past the bound, in every epoch. */
  private unrecorded = 0;

  constructor(options: BankCheckerOptions = {}) {
    const max = options.maxTransferRecords ?? Infinity;
    if (!(max === Infinity || (Number.isSafeInteger(max) && max > 0))) {
      throw new RangeError(`maxTransferRecords must be a positive integer (or left out for no bound), not ${max}`);
    }
    this.maxTransferRecords = max;
    this.perAudit = options.segments === 'per-audit';
    this.segments = new SegmentTally(Array.isArray(options.segments) ? options.segments : []);
  }

  /** Starts a named segment at `fromIndex`, which must lie after every op observed so far. */
  startSegment(segment: Segment): void {
    if (segment.fromIndex <= this.lastIndex) {
      throw new RangeError(`segment "${segment.name}" starts at index ${segment.fromIndex}, already observed`);
    }
    this.segments.start(segment);
  }

  /** Anomalies found so far, for a progress display. */
  anomalyCount(): number {
    return this.findings.count();
  }

  /** True once the bound left transfers unrecorded in this epoch: their ledger checks wait for the file's check. */
  ledgerChecksLeftToFinal(): boolean {
    return (this.epoch?.unrecorded ?? 0) > 0;
  }

  /** Transfer records held now, the memory that grows with a run. */
  recordsHeld(): number {
    return this.epoch?.transfers.size ?? 0;
  }

  observe(op: Op): void {
    this.ops++;
    if (this.perAudit && (this.segments.size === 0 || this.segmentDue)) {
      this.segmentDue = false;
      this.startSegment({ name: `cell ${this.segments.size + 1}`, fromIndex: op.index });
    }
    this.lastIndex = op.index;
    if (op.process === 'nemesis') return;
    const opened = this.track(op);
    if (op.f === 'setup') this.onSetup(op);
    else if (op.f === 'transfer') this.onTransfer(op, opened);
    else if (op.f === 'read') this.onRead(op);
    else if (op.f === 'audit') this.onAudit(op, opened);
  }

  /**
   * Pairs a completion with its process's open invoke, and refuses ops that do not fit together.
   * Returns the open invoke a completion closes (undefined for an invoke).
   */
  private track(op: Op): Pending | undefined {
    const open = this.pending.get(op.process);
    if (op.type === 'invoke') {
      if (open) throw new MalformedHistoryError(op.index, `process ${op.process} invokes ${op.f} while its ${open.f} from index ${open.index} is still open`);
      if (this.retired.has(op.process)) throw new MalformedHistoryError(op.index, `process ${op.process} invokes again after an info: it may still be running its last op`);
      this.pending.set(op.process, { f: op.f, index: op.index });
      return undefined;
    }
    if (!open) throw new MalformedHistoryError(op.index, `${op.type} ${op.f} on process ${op.process}, which has no open invoke`);
    if (open.f !== op.f) throw new MalformedHistoryError(op.index, `${op.type} ${op.f} on process ${op.process} closes a ${open.f} (index ${open.index})`);
    const id = (op.value as { id?: unknown } | null)?.id;
    if (op.f === 'transfer' && id !== undefined && id !== open.id) {
      throw new MalformedHistoryError(op.index, `${op.type} of transfer ${String(id)} on process ${op.process}, whose open transfer is ${open.id}`);
    }
    this.pending.delete(op.process);
    if (op.type === 'info') this.retired.add(op.process);
    return open;
  }

  /** The verdict so far; observing more ops afterwards is fine. */
  result(): CheckResult {
    const settlement = this.epoch ? this.closed.merged(this.settle(this.epoch)) : this.closed;
    const reason = this.unknownReason(settlement);
    const valid = this.findings.count() > 0 ? false : reason ? 'unknown' : true;
    const result: CheckResult = {
      valid,
      ...(valid === 'unknown' ? { reason } : {}),
      initialTotal: this.epoch?.total ?? null,
      anomalies: this.findings.snapshot(),
      ops: this.ops,
      transfers: { ...this.transfers },
      reads: { ...this.reads },
      audits: this.audits,
      indeterminate: { ...settlement.overall.indeterminate },
      realtime: this.realtime.result(),
    };
    if (this.perAudit || this.segments.size > 0) {
      result.segments = this.segments.verdicts(settlement, this.epoch !== undefined);
    }
    return result;
  }

  private onSetup(op: Op): void {
    if (op.type !== 'ok') return;
    this.realtime.reset();
    if (this.epoch) this.closed = this.closed.merged(this.settle(this.epoch));
    const initial = new Map<string, number>();
    let total = 0;
    for (const [account, balance] of Object.entries((op.value as { balances: Balances }).balances)) {
      initial.set(this.intern(account), balance);
      total += balance;
    }
    this.epoch = {
      initial,
      total,
      transfers: new Map(),
      lastAuditInvoke: -1,
      lastAuditDone: -1,
      reportedIds: new Set(),
      unrecorded: 0,
    };
  }

  private onTransfer(op: Op, p: Pending | undefined): void {
    if (op.type === 'invoke') {
      this.realtime.onTransferInvoke(op);
      const t = op.value as Transfer;
      const earlier = this.epoch?.transfers.get(t.id);
      if (earlier) throw new MalformedHistoryError(op.index, `transfer id ${t.id} was already invoked at index ${earlier.invokeIndex}: ids must be unique`);
      const rec = this.epoch && this.record(op, t, this.epoch);
      const open = this.pending.get(op.process)!;
      open.id = t.id;
      open.rec = rec;
      return;
    }
    this.transfers[op.type]++;
    // Outcomes belong where the transfer started, like the findings about it.
    this.segments.countOutcome(this.segments.at(p?.index ?? op.index), 'transfers', op.type);
    this.realtime.onTransferDone(op, p?.id);
    const rec = p?.rec;
    if (!rec || rec.status !== PENDING) return;
    rec.status = STATUS[op.type];
    rec.doneIndex = op.index;
    if (rec.status === FAIL && rec.seenAt >= 0) {
      this.flag(rec, REPORTED_FAILED_APPLIED, 'failed-but-applied',
        `transfer ${p.id} ${describe(rec)} failed at index ${op.index} but the ledger of the audit at index ${rec.seenAt} holds it`);
    }
  }

  /** A new record for this transfer, or undefined past the bound. */
  private record(op: Op, t: Transfer, epoch: Epoch): TransferRecord | undefined {
    if (epoch.transfers.size >= this.maxTransferRecords) {
      epoch.unrecorded++;
      this.unrecorded++;
      return undefined;
    }
    const node = op.node === null ? null : this.intern(op.node);
    const rec = new TransferRecord(op.index, op.time, node, this.intern(t.from), this.intern(t.to), t.amount);
    epoch.transfers.set(t.id, rec);
    return rec;
  }

  private onRead(op: Op): void {
    if (op.type === 'invoke') return this.realtime.onReadInvoke(op);
    const stale = this.realtime.onReadDone(op);
    // Counted in the cell the read completed in.
    if (stale !== undefined) this.segments.countRealtime(this.segments.at(op.index), stale !== null);
    this.reads[op.type]++;
    this.segments.countOutcome(this.segments.at(op.index), 'reads', op.type);
    if (op.type !== 'ok') return;
    const { balances } = op.value as { balances: Balances };
    if (this.epoch) this.checkRead(op, balances, this.epoch);
    this.checkNegative(op, balances, 'read');
  }

  private checkRead(op: Op, balances: Balances, epoch: Epoch): void {
    let sum = 0;
    let present = 0;
    const unexpected: string[] = [];
    for (const [account, balance] of Object.entries(balances)) {
      sum += balance;
      if (epoch.initial.has(account)) present++;
      else unexpected.push(account);
    }
    if (sum !== epoch.total) {
      this.report('wrong-total', example(op, `read sums to ${sum}, expected ${epoch.total}`, Math.abs(sum - epoch.total)));
    }
    if (unexpected.length > 0) {
      this.report('unexpected-key',
        example(op, `read has accounts that were never set up: ${listSome(unexpected)}`, unexpected.length));
    }
    if (present < epoch.initial.size) {
      const missing = [...epoch.initial.keys()].filter((a) => !Object.hasOwn(balances, a));
      this.report('missing-key', example(op, `read lacks accounts ${listSome(missing)}`, missing.length));
    }
  }

  private checkNegative(op: Op, balances: Balances, what: 'read' | 'audit'): void {
    const negative = Object.keys(balances).filter((a) => balances[a]! < 0);
    if (negative.length === 0) return;
    const overdraft = negative.reduce((sum, a) => sum - balances[a]!, 0);
    const shown = listSome(negative.map((a) => `${a} = ${balances[a]}`));
    this.report('negative', example(op, `${what} shows negative balances: ${shown}`, overdraft));
  }

  private onAudit(op: Op, p: Pending | undefined): void {
    if (op.type !== 'ok') return;
    this.audits++;
    this.segmentDue = true;
    const audit = op.value as Audit;
    this.checkNegative(op, audit.balances, 'audit');
    if (this.epoch) this.checkAudit(op, p?.index ?? op.index, audit, this.epoch);
  }

  private checkAudit(op: Op, invokeIndex: number, audit: Audit, epoch: Epoch): void {
    const previousAudit = epoch.lastAuditDone;
    epoch.lastAuditInvoke = invokeIndex;
    epoch.lastAuditDone = op.index;
    const expected = new Map(epoch.initial);
    this.readLedger(op, audit.transfers, epoch, expected);
    this.checkFates(op, invokeIndex, epoch, previousAudit);
    // Unrecorded transfers are in the ledger too, and their amounts are not known here.
    if (epoch.unrecorded === 0) this.checkLedgerBalances(op, expected, audit.balances);
  }

  /** Marks every ledger id as seen by this audit, applies it to `expected`, finds phantoms and copies. */
  private readLedger(op: Op, ids: readonly string[], epoch: Epoch, expected: Map<string, number>): void {
    const copies = new Map<string, number>();
    const phantoms = new Set<string>();
    for (const id of ids) {
      const rec = epoch.transfers.get(id);
      const again = rec ? rec.seenAt === op.index : phantoms.has(id);
      if (again) copies.set(id, (copies.get(id) ?? 1) + 1);
      if (!rec) {
        // Past the bound an unknown id may be one this checker did not record.
        if (epoch.unrecorded > 0) continue;
        if (!again) this.phantom(op, id, epoch);
        phantoms.add(id);
        continue;
      }
      rec.seenAt = op.index;
      expected.set(rec.from, (expected.get(rec.from) ?? 0) - rec.amount);
      expected.set(rec.to, (expected.get(rec.to) ?? 0) + rec.amount);
    }
    for (const [id, n] of copies) this.doubleApply(op, id, n, epoch);
  }

  private phantom(op: Op, id: string, epoch: Epoch): void {
    if (!once(epoch.reportedIds, `phantom ${id}`)) return;
    this.report('phantom', example(op, `the ledger of the audit holds ${id}, which no transfer invoked`, 1));
  }

  private doubleApply(op: Op, id: string, copies: number, epoch: Epoch): void {
    const rec = epoch.transfers.get(id);
    const first = rec ? !(rec.reported & REPORTED_DOUBLE) : once(epoch.reportedIds, `double ${id}`);
    if (!first) return;
    if (rec) rec.reported |= REPORTED_DOUBLE;
    const what = rec ? `transfer ${id} ${describe(rec)} (invoked at index ${rec.invokeIndex})` : id;
    this.report('double-apply',
      example(op, `the ledger of the audit holds ${what} ${copies} times`, (copies - 1) * (rec?.amount ?? 1)));
  }

  /**
   * Lost: ok before the audit began and absent from its ledger, or in an earlier audit's ledger
   * and absent from this one. Failed-but-applied: fail, yet present.
   */
  private checkFates(op: Op, invokeIndex: number, epoch: Epoch, previousAudit: number): void {
    for (const [id, rec] of epoch.transfers) {
      if (rec.seenAt >= 0 && rec.seenAt === previousAudit) {
        this.flag(rec, REPORTED_LOST, 'lost',
          `transfer ${id} ${describe(rec)} was in the ledger of the audit at index ${previousAudit} but is missing from the audit at index ${op.index}`);
      } else if (rec.status === OK && rec.doneIndex < invokeIndex && rec.seenAt !== op.index) {
        this.flag(rec, REPORTED_LOST, 'lost',
          `transfer ${id} ${describe(rec)} completed ok at index ${rec.doneIndex} but the ledger of the audit at index ${op.index} lacks it`);
      } else if (rec.status === FAIL && rec.seenAt === op.index) {
        this.flag(rec, REPORTED_FAILED_APPLIED, 'failed-but-applied',
          `transfer ${id} ${describe(rec)} failed at index ${rec.doneIndex} but the ledger of the audit at index ${op.index} holds it`);
      }
    }
  }

  private checkLedgerBalances(op: Op, expected: ReadonlyMap<string, number>, actual: Balances): void {
    const diffs: string[] = [];
    let severity = 0;
    for (const [account, want] of expected) {
      const got = Object.hasOwn(actual, account) ? actual[account] : undefined;
      if (got === want) continue;
      diffs.push(`${account} expected ${want}, got ${got ?? 'nothing'}`);
      severity += Math.abs(want - (got ?? 0)) || 1;
    }
    for (const account of Object.keys(actual)) {
      if (expected.has(account)) continue;
      diffs.push(`${account} expected nothing, got ${actual[account]}`);
      severity += Math.abs(actual[account]!) || 1;
    }
    if (diffs.length === 0) return;
    this.report('ledger-mismatch',
      example(op, `audit balances differ from the initial balances plus the ledger's transfers: ${listSome(diffs)}`, severity));
  }

  /** Resolves an epoch's transfers against its last audit; pure, so result() can call it mid-run. */
  private settle(epoch: Epoch): Settlement {
    const settlement = new Settlement();
    for (const rec of epoch.transfers.values()) {
      // A transfer that never completed (the history ends first) is indeterminate, like an info.
      const settled = epoch.lastAuditInvoke > (rec.status === PENDING ? rec.invokeIndex : rec.doneIndex);
      let resolution: Resolution | null = null;
      if (rec.status === INFO || rec.status === PENDING) {
        resolution = !settled ? 'unresolved' : rec.seenAt === epoch.lastAuditDone ? 'applied' : 'notApplied';
      }
      settlement.add(this.segments.at(rec.invokeIndex), resolution, !settled);
    }
    return settlement;
  }

  private unknownReason(settlement: Settlement): string | undefined {
    if (!this.epoch) return 'no setup in the history, so there are no initial balances to check against';
    if (this.audits === 0) return 'no audit in the history, so no transfer was settled';
    if (this.unrecorded > 0) {
      return `${this.unrecorded} transfer(s) past the bound of ${this.maxTransferRecords} records were not recorded; check the history file for the ledger's verdict`;
    }
    const n = settlement.overall.unsettled;
    if (n > 0) return `${n} transfer(s) ended (or never ended) with no audit invoked after them`;
    return undefined;
  }

  private flag(rec: TransferRecord, bit: number, cls: AnomalyClass, detail: string): void {
    if (rec.reported & bit) return;
    rec.reported |= bit;
    this.report(cls, { index: rec.invokeIndex, time: rec.time, node: rec.node, detail, severity: rec.amount });
  }

  private report(cls: AnomalyClass, ex: AnomalyExample): void {
    this.findings.add(cls, ex);
    this.segments.countAnomaly(ex.index, cls);
  }

  private intern(s: string): string {
    const known = this.names.get(s);
    if (known !== undefined) return known;
    this.names.set(s, s);
    return s;
  }
}

function example(op: Op, detail: string, severity: number): AnomalyExample {
  return { index: op.index, time: op.time, node: op.node, detail, severity };
}

function describe(rec: TransferRecord): string {
  return `(${rec.from} → ${rec.to}, ${rec.amount})`;
}

/** True the first time `key` is seen. */
function once(seen: Set<string>, key: string): boolean {
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}
