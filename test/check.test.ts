import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { BankChecker, type BankCheckerOptions } from '../lib/check/bank-checker.ts';
import { checkFile, checkLines } from '../lib/check/check-file.ts';
import { HistoryFormatError, parseOp } from '../lib/check/parse.ts';
import type { CheckResult } from '../lib/check/verdict.ts';
import type { Op } from '../lib/history/op.ts';
import { HistoryBuilder } from './helpers/history-builder.ts';

const START = { a0: 100, a1: 100 };

function check(ops: readonly Op[], options: BankCheckerOptions = {}): CheckResult {
  const checker = new BankChecker(options);
  for (const op of ops) checker.observe(op);
  return checker.result();
}

/** A history already set up with START. */
function bank(): HistoryBuilder {
  const h = new HistoryBuilder();
  h.setup(START);
  return h;
}

const CONTRACT_EXAMPLE = `{"index":0,"type":"invoke","f":"setup","process":0,"node":null,"time":0,"value":{"balances":{"a0":100,"a1":100}}}
{"index":1,"type":"ok","f":"setup","process":0,"node":null,"time":5100000,"value":{"balances":{"a0":100,"a1":100}}}
{"index":2,"type":"invoke","f":"transfer","process":3,"node":"n2","time":9000000,"value":{"id":"t-42","from":"a0","to":"a1","amount":5}}
{"index":3,"type":"ok","f":"transfer","process":3,"node":"n2","time":9800000,"value":{"id":"t-42","from":"a0","to":"a1","amount":5}}
{"index":4,"type":"invoke","f":"read","process":1,"node":"n1","time":9900000,"value":null}
{"index":5,"type":"ok","f":"read","process":1,"node":"n1","time":10400000,"value":{"balances":{"a0":95,"a1":105}}}
{"index":6,"type":"invoke","f":"audit","process":0,"node":"n1","time":99000000,"value":null}
{"index":7,"type":"ok","f":"audit","process":0,"node":"n1","time":99900000,"value":{"balances":{"a0":95,"a1":105},"transfers":["t-42"]}}
`;

t.test('valid histories', async (t) => {
  t.test("the history contract's example, with only its fields, is valid", async (t) => {
    const r = await checkLines(CONTRACT_EXAMPLE.split('\n'));
    t.equal(r.valid, true);
    t.equal(r.initialTotal, 200);
    t.equal(r.ops, 8);
    t.same(r.transfers, { ok: 1, fail: 0, info: 0 });
    t.same(r.reads, { ok: 1, fail: 0, info: 0 });
    t.equal(r.audits, 1);
    t.same(r.anomalies, {});
    t.notOk('reason' in r);
    t.notOk('segments' in r, 'no segments unless asked for');
  });

  t.test('info transfers resolved both ways by the audit', async (t) => {
    const h = bank();
    h.transfer('t1', 'a0', 'a1', 10, 'info');
    h.transfer('t2', 'a1', 'a0', 7, 'info');
    h.transfer('t3', 'a0', 'a1', 1, 'fail', { error: 'insufficient' });
    h.read({ a0: 90, a1: 110 });
    h.audit({ a0: 90, a1: 110 }, ['t1']);
    const r = check(h.ops);
    t.equal(r.valid, true);
    t.same(r.indeterminate, { total: 2, applied: 1, notApplied: 1, unresolved: 0 });
    t.same(r.transfers, { ok: 0, fail: 1, info: 2 });
    t.same(new Set(h.ops.map((op) => op.process)), new Set([0, 1, 2]), 'info processes were not reused');
  });

  t.test('extra fields (retries, error, settings) are accepted', async (t) => {
    const h = bank();
    h.transfer('t1', 'a0', 'a1', 5, 'ok', { extra: { retries: 2 } });
    h.audit({ a0: 95, a1: 105 }, ['t1'], 'ok', { extra: { settings: { isolation: 'serializable' } } });
    const r = await checkLines(h.jsonl().split('\n'));
    t.equal(r.valid, true);
  });

  t.test('nemesis ops and unknown f are ignored but counted as ops', async (t) => {
    const h = bank();
    h.nemesis('kill', 'invoke', { node: 'n2' });
    h.transfer('t1', 'a0', 'a1', 5);
    h.begin('frobnicate', { x: 1 });
    h.nemesis('kill', 'info', { node: 'n2' });
    h.audit({ a0: 95, a1: 105 }, ['t1']);
    const r = check(h.ops);
    t.equal(r.valid, true);
    t.equal(r.ops, h.ops.length);
  });

  t.test('a transfer still in flight when the audit began is not lost', async (t) => {
    const h = bank();
    const t1 = h.begin('transfer', { id: 't1', from: 'a0', to: 'a1', amount: 5 });
    const audit = h.begin('audit', null);
    h.end(t1, 'ok');
    h.end(audit, 'ok', { balances: START, transfers: [] });
    h.audit({ a0: 95, a1: 105 }, ['t1']);
    t.equal(check(h.ops).valid, true);
  });

  t.test('an invoke that never completes is indeterminate; with no audit after it, the verdict is unknown', async (t) => {
    const h = bank();
    h.transfer('t1', 'a0', 'a1', 5, 'info', { process: 7 });
    h.audit(START, []);
    h.transfer('t2', 'a0', 'a1', 5, 'open');
    const r = check(h.ops);
    t.equal(r.valid, 'unknown', 'a history cut short cannot be called valid');
    t.match(r.reason, /1 transfer\(s\) ended \(or never ended\) with no audit/);
    t.same(r.indeterminate, { total: 2, applied: 0, notApplied: 1, unresolved: 1 });
    h.audit(START, []);
    t.equal(check(h.ops).valid, true, 'an audit after it settles it');
  });

  t.test('a later setup starts a new epoch with its own total', async (t) => {
    const h = bank();
    h.transfer('t1', 'a0', 'a1', 5);
    h.audit({ a0: 95, a1: 105 }, ['t1']);
    h.setup({ b0: 50, b1: 50, b2: 50 });
    h.read({ b0: 50, b1: 50, b2: 50 });
    h.transfer('t1', 'b0', 'b1', 20);
    h.audit({ b0: 30, b1: 70, b2: 50 }, ['t1']);
    const r = check(h.ops);
    t.equal(r.valid, true);
    t.equal(r.initialTotal, 150);
    t.equal(r.audits, 2);
  });
});

t.test('each anomaly class, with its count and example index', async (t) => {
  t.test('wrong-total: first, worst and last example', async (t) => {
    const h = bank();
    const r1 = h.read({ a0: 95, a1: 100 });
    h.read({ a0: 100, a1: 100 });
    const r2 = h.read({ a0: 80, a1: 100 });
    const r3 = h.read({ a0: 99, a1: 100 });
    h.audit(START, []);
    const r = check(h.ops);
    t.equal(r.valid, false);
    const a = r.anomalies['wrong-total']!;
    t.equal(a.count, 3);
    t.equal(a.first.index, r1.done!.index);
    t.equal(a.worst.index, r2.done!.index);
    t.equal(a.worst.severity, 20);
    t.equal(a.last.index, r3.done!.index);
    t.equal(a.first.detail, 'read sums to 195, expected 200');
    t.equal(a.first.node, 'n1');
    t.equal(a.first.time, r1.done!.time);
  });

  t.test('negative on a read', async (t) => {
    const h = bank();
    const bad = h.read({ a0: -5, a1: 205 });
    h.audit(START, []);
    const r = check(h.ops);
    t.same(Object.keys(r.anomalies), ['negative']);
    t.equal(r.anomalies.negative!.count, 1);
    t.equal(r.anomalies.negative!.first.index, bad.done!.index);
    t.match(r.anomalies.negative!.first.detail, /a0 = -5/);
  });

  t.test('negative on the audit', async (t) => {
    const h = bank();
    h.transfer('t1', 'a0', 'a1', 150);
    const audit = h.audit({ a0: -50, a1: 250 }, ['t1']);
    const r = check(h.ops);
    t.same(Object.keys(r.anomalies), ['negative']);
    t.equal(r.anomalies.negative!.first.index, audit.done!.index);
    t.equal(r.anomalies.negative!.first.severity, 50);
  });

  t.test('unexpected-key', async (t) => {
    const h = bank();
    const bad = h.read({ a0: 100, a1: 100, zz: 0 });
    h.audit(START, []);
    const r = check(h.ops);
    t.same(Object.keys(r.anomalies), ['unexpected-key']);
    t.equal(r.anomalies['unexpected-key']!.count, 1);
    t.equal(r.anomalies['unexpected-key']!.first.index, bad.done!.index);
    t.match(r.anomalies['unexpected-key']!.first.detail, /zz/);
  });

  t.test('missing-key', async (t) => {
    const h = bank();
    const bad = h.read({ a0: 200 });
    h.audit(START, []);
    const r = check(h.ops);
    t.same(Object.keys(r.anomalies), ['missing-key']);
    t.equal(r.anomalies['missing-key']!.first.index, bad.done!.index);
    t.match(r.anomalies['missing-key']!.first.detail, /a1/);
  });

  t.test('lost: counted once however many audits miss it, at the invoke index', async (t) => {
    const h = bank();
    const t1 = h.transfer('t1', 'a0', 'a1', 5, 'ok', { node: 'n3' });
    h.audit(START, []);
    h.audit(START, []);
    const r = check(h.ops);
    t.same(Object.keys(r.anomalies), ['lost']);
    const lost = r.anomalies.lost!;
    t.equal(lost.count, 1);
    t.equal(lost.first.index, t1.invoke.index);
    t.equal(lost.first.node, 'n3');
    t.equal(lost.first.severity, 5);
    t.match(lost.first.detail, /t1/);
  });

  t.test('failed-but-applied, whether the fail comes before or after the audit', async (t) => {
    const h = bank();
    const t1 = h.transfer('t1', 'a0', 'a1', 5, 'fail', { error: 'insufficient' });
    const t2 = h.begin('transfer', { id: 't2', from: 'a1', to: 'a0', amount: 2 });
    h.audit({ a0: 97, a1: 103 }, ['t1', 't2']);
    h.end(t2, 'fail');
    const r = check(h.ops);
    t.same(Object.keys(r.anomalies), ['failed-but-applied']);
    const a = r.anomalies['failed-but-applied']!;
    t.equal(a.count, 2);
    t.equal(a.first.index, t1.invoke.index);
    t.equal(a.last.index, t2.index);
  });

  t.test('phantom', async (t) => {
    const h = bank();
    const audit = h.audit(START, ['t-x']);
    h.audit(START, ['t-x']);
    const r = check(h.ops);
    t.same(Object.keys(r.anomalies), ['phantom']);
    t.equal(r.anomalies.phantom!.count, 1, 'one phantom id, however many audits hold it');
    t.equal(r.anomalies.phantom!.first.index, audit.done!.index);
    t.match(r.anomalies.phantom!.first.detail, /t-x/);
  });

  t.test('double-apply', async (t) => {
    const h = bank();
    h.transfer('t1', 'a0', 'a1', 5);
    h.transfer('t2', 'a0', 'a1', 1);
    const audit = h.audit({ a0: 84, a1: 116 }, ['t1', 't1', 't1', 't2']);
    const r = check(h.ops);
    t.same(Object.keys(r.anomalies), ['double-apply'], 'balances match a ledger applied three times');
    const a = r.anomalies['double-apply']!;
    t.equal(a.count, 1);
    t.equal(a.first.index, audit.done!.index);
    t.equal(a.first.severity, 10);
    t.match(a.first.detail, /t1 .* 3 times/);
  });

  t.test('ledger-mismatch names the accounts, expected and actual', async (t) => {
    const h = bank();
    h.transfer('t1', 'a0', 'a1', 5);
    const audit = h.audit({ a0: 95, a1: 100 }, ['t1']);
    const r = check(h.ops);
    t.same(Object.keys(r.anomalies), ['ledger-mismatch']);
    const a = r.anomalies['ledger-mismatch']!;
    t.equal(a.count, 1);
    t.equal(a.first.index, audit.done!.index);
    t.match(a.first.detail, /a1 expected 105, got 100/);
    t.notMatch(a.first.detail, /a0/);
    t.equal(a.first.severity, 5);
  });

  t.test('ledger-mismatch on accounts missing from or added to the audit', async (t) => {
    const h = bank();
    h.audit({ a0: 100, a1: 100, zz: 1 }, []);
    h.audit({ a0: 100 }, []);
    const r = check(h.ops);
    t.equal(r.anomalies['ledger-mismatch']!.count, 2);
    t.match(r.anomalies['ledger-mismatch']!.first.detail, /zz expected nothing, got 1/);
    t.match(r.anomalies['ledger-mismatch']!.last.detail, /a1 expected 100, got nothing/);
  });

  t.test('anomalyCount() is live: reads are checked as they arrive', async (t) => {
    const h = bank();
    h.read({ a0: 1, a1: 1 });
    const checker = new BankChecker();
    const counts = h.ops.map((op) => (checker.observe(op), checker.anomalyCount()));
    t.same(counts, [0, 0, 0, 1]);
  });
});

t.test('unknown verdicts', async (t) => {
  t.test('no audit', async (t) => {
    const h = bank();
    h.transfer('t1', 'a0', 'a1', 5, 'info');
    const r = check(h.ops);
    t.equal(r.valid, 'unknown');
    t.match(r.reason, /no audit/);
    t.same(r.indeterminate, { total: 1, applied: 0, notApplied: 0, unresolved: 1 });
  });

  t.test('no setup', async (t) => {
    const h = new HistoryBuilder();
    h.read({ a0: 1 });
    h.audit({ a0: 1 }, []);
    const r = check(h.ops);
    t.equal(r.valid, 'unknown');
    t.equal(r.initialTotal, null);
    t.match(r.reason, /no setup/);
  });

  t.test('transfers after the last audit', async (t) => {
    const h = bank();
    h.audit(START, []);
    h.transfer('t1', 'a0', 'a1', 5, 'info');
    const r = check(h.ops);
    t.equal(r.valid, 'unknown');
    t.match(r.reason, /1 transfer/);
    t.equal(r.indeterminate.unresolved, 1);
  });

  t.test('an anomaly makes it invalid even when nothing settled', async (t) => {
    const h = bank();
    h.read({ a0: 1, a1: 1 });
    const r = check(h.ops);
    t.equal(r.valid, false);
    t.notOk('reason' in r);
  });
});

t.test('segments', async (t) => {
  // Three cells, each ending in an audit but the last: a lost transfer in the second.
  function cells() {
    const h = bank();
    h.transfer('t1', 'a0', 'a1', 5);
    h.read({ a0: 95, a1: 105 });
    h.audit({ a0: 95, a1: 105 }, ['t1']);
    const second = h.nextIndex;
    const t2 = h.transfer('t2', 'a0', 'a1', 5);
    h.transfer('t3', 'a1', 'a0', 1, 'info');
    h.read({ a0: 90, a1: 110 }, 'fail');
    h.audit({ a0: 96, a1: 104 }, ['t1', 't3']);
    const third = h.nextIndex;
    h.transfer('t4', 'a0', 'a1', 1, 'info');
    return { h, second, third, t2 };
  }

  t.test('given up front: per-segment counts, resolution and validity', async (t) => {
    const { h, second, third, t2 } = cells();
    const r = check(h.ops, {
      segments: [
        { name: 'steady', fromIndex: 0 },
        { name: 'kill', fromIndex: second },
        { name: 'after', fromIndex: third },
      ],
    });
    t.equal(r.valid, false);
    t.equal(r.anomalies.lost!.first.index, t2.invoke.index);
    const s = r.segments!;
    t.same(Object.keys(s), ['steady', 'kill', 'after']);
    t.same(s.steady, {
      valid: true,
      anomalies: {},
      transfers: { ok: 1, fail: 0, info: 0 },
      reads: { ok: 1, fail: 0, info: 0 },
      realtime: { checked: 0, stale: 0 },
      indeterminate: { total: 0, applied: 0, notApplied: 0, unresolved: 0 },
    });
    t.equal(s.kill!.valid, false);
    t.same(s.kill!.anomalies, { lost: 1 });
    t.same(s.kill!.transfers, { ok: 1, fail: 0, info: 1 });
    t.same(s.kill!.reads, { ok: 0, fail: 1, info: 0 });
    t.same(s.kill!.indeterminate, { total: 1, applied: 1, notApplied: 0, unresolved: 0 });
    t.equal(s.after!.valid, 'unknown', 'no audit followed its transfers');
    t.same(s.after!.indeterminate, { total: 1, applied: 0, notApplied: 0, unresolved: 1 });
  });

  t.test('per-audit: each audit closes a segment, the next op opens one', async (t) => {
    const { h } = cells();
    const s = check(h.ops, { segments: 'per-audit' }).segments!;
    t.same(Object.keys(s), ['cell 1', 'cell 2', 'cell 3']);
    t.same([s['cell 1']!.valid, s['cell 2']!.valid, s['cell 3']!.valid], [true, false, 'unknown']);
    t.same(s['cell 2']!.anomalies, { lost: 1 });
    t.same(s['cell 3']!.transfers, { ok: 0, fail: 0, info: 1 });
  });

  t.test('startSegment while running, and not into the past', async (t) => {
    const h = bank();
    const checker = new BankChecker();
    for (const op of h.ops) checker.observe(op);
    checker.startSegment({ name: 'live', fromIndex: h.nextIndex });
    t.throws(() => checker.startSegment({ name: 'late', fromIndex: 0 }), RangeError);
    h.audit(START, []);
    for (const op of h.ops.slice(2)) checker.observe(op);
    t.equal(checker.result().segments!.live!.valid, true);
  });

  t.test('ops before the first segment belong to none; repeated names stay apart', async (t) => {
    const h = bank();
    h.read({ a0: 0, a1: 0 });
    h.audit(START, []);
    const r = check(h.ops, { segments: [{ name: 'x', fromIndex: 4 }, { name: 'x', fromIndex: 5 }] });
    t.equal(r.anomalies['wrong-total']!.count, 1);
    t.same(Object.keys(r.segments!), ['x', 'x (2)']);
    t.equal(r.segments!.x!.valid, true);
  });
});

t.test('result() can be taken mid-run without disturbing the check', async (t) => {
  const h = bank();
  h.transfer('t1', 'a0', 'a1', 5, 'info');
  const checker = new BankChecker();
  for (const op of h.ops) checker.observe(op);
  t.equal(checker.result().indeterminate.unresolved, 1);
  h.audit({ a0: 95, a1: 105 }, ['t1']);
  for (const op of h.ops.slice(4)) checker.observe(op);
  const r = checker.result();
  t.equal(r.valid, true);
  t.same(r.indeterminate, { total: 1, applied: 1, notApplied: 0, unresolved: 0 });
});

t.test('parseOp names the line and what is wrong', async (t) => {
  const good = JSON.parse(CONTRACT_EXAMPLE.split('\n')[2]!);
  const bad = (patch: Record<string, unknown>) => JSON.stringify({ ...good, ...patch });
  const cases: Array<[string, RegExp]> = [
    ['{"index":', /^line 17: not JSON/],
    ['[1,2]', /^line 17: expected a JSON object, got an array/],
    [bad({ index: -1 }), /"index" must be a non-negative integer, got -1/],
    [bad({ index: undefined }), /"index" .* got nothing \(missing\)/],
    [bad({ type: 'done' }), /"type" must be one of invoke, ok, fail, info, got "done"/],
    [bad({ f: 7 }), /"f" must be a non-empty string/],
    [bad({ process: 'p1' }), /"process" must be a non-negative integer or "nemesis"/],
    [bad({ node: 3 }), /"node" must be a string or null/],
    [bad({ time: '9' }), /"time" must be a non-negative number/],
    [bad({ value: { id: 't', from: 'a0', to: 'a1' } }), /transfer invoke needs value.amount/],
    [bad({ type: 'ok', f: 'read', value: null }), /read ok needs value.balances/],
    [bad({ type: 'ok', f: 'audit', value: { balances: {}, transfers: [1] } }), /audit ok needs value.transfers/],
  ];
  for (const [text, message] of cases) {
    const e = t.throws(() => parseOp(text, 17), HistoryFormatError) as HistoryFormatError;
    t.match(e.message, message, text);
    t.equal(e.line, 17);
  }
  t.same(parseOp(JSON.stringify({ ...good, node: undefined }), 1).node, null, 'a missing node reads as null');
  t.ok(parseOp(bad({ process: 'nemesis', f: 'partition', value: 'anything' }), 1), 'nemesis values are free-form');
  t.ok(parseOp(bad({ f: 'frobnicate', value: 3 }), 1), 'unknown f values are free-form');
});

t.test('files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bankrun-check-'));
  const h = bank();
  h.transfer('t1', 'a0', 'a1', 5);
  h.audit({ a0: 95, a1: 105 }, ['t1']);

  t.test('plain and gzip (by extension or by magic bytes) give the same verdict', async (t) => {
    const plain = await checkFile(await h.write(join(dir, 'h.jsonl')));
    const gz = await checkFile(await h.write(join(dir, 'h.jsonl.gz')));
    await writeFile(join(dir, 'disguised.jsonl'), gzipSync(h.jsonl()));
    const disguised = await checkFile(join(dir, 'disguised.jsonl'));
    t.equal(plain.valid, true);
    t.same(gz, plain);
    t.same(disguised, plain);
  });

  t.test('a malformed line fails with its line number; blank lines are skipped but counted', async (t) => {
    const lines = h.jsonl().split('\n');
    lines.splice(1, 0, '');
    lines[3] = lines[3]!.replace('"transfer"', '"transfer",');
    await writeFile(join(dir, 'bad.jsonl'), lines.join('\n'));
    await t.rejects(checkFile(join(dir, 'bad.jsonl')), { name: 'HistoryFormatError', line: 4 });
  });

  t.test('indexes must increase', async (t) => {
    const lines = h.jsonl().trim().split('\n');
    lines[3] = JSON.stringify({ ...JSON.parse(lines[3]!), index: JSON.parse(lines[2]!).index });
    await writeFile(join(dir, 'order.jsonl'), lines.join('\n'));
    await t.rejects(checkFile(join(dir, 'order.jsonl')), { line: 4, message: /does not follow the previous index 2/ });
  });

  t.test('truncated gzip is a format error, a missing file a system error', async (t) => {
    const whole = gzipSync(h.jsonl());
    await writeFile(join(dir, 'cut.jsonl.gz'), whole.subarray(0, whole.length - 12));
    await t.rejects(checkFile(join(dir, 'cut.jsonl.gz')), { name: 'HistoryFormatError', message: /gzip/ });
    await t.rejects(checkFile(join(dir, 'nope.jsonl')), { code: 'ENOENT' });
  });
});

// Histories written by hand to fool an earlier version of the checker (test/fixtures/histories):
// each must now be refused as malformed, or judged as what it is.
t.test('histories that once fooled the checker', async (t) => {
  const fixture = (name: string) => join(import.meta.dirname, 'fixtures', 'histories', `${name}.jsonl`);
  const malformed: [string, number, RegExp][] = [
    ['two-open-ops-on-one-process', 4, /process 1 invokes transfer while its transfer from index 2 is still open/],
    ['two-open-ops-correct-ledger', 4, /still open/],
    ['completion-without-invoke', 6, /ok transfer on process 7, which has no open invoke/],
    ['transfer-id-reused', 5, /transfer id t1 was already invoked at index 2/],
    ['fractional-money', 2, /whole number/],
  ];
  for (const [name, line, message] of malformed) {
    await t.rejects(checkFile(fixture(name)), { name: 'HistoryFormatError', line, message }, `${name}: refused at line ${line}`);
  }
  const vanished = await checkFile(fixture('ledger-entry-vanishes'));
  t.equal(vanished.valid, false, 'a ledger entry that one audit saw and a later one lacks is an anomaly');
  t.match(vanished.anomalies.lost?.first.detail, /was in the ledger of the audit at index 5 but is missing from the audit at index 9/);
  const cut = await checkFile(fixture('cut-short'));
  t.equal(cut.valid, 'unknown', 'transfers in flight when the history ends are not settled');
  t.equal(cut.indeterminate.unresolved, 2);
});
