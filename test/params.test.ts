import t from 'tap';
import { DEFAULTS, ParamError, parseDurationMs, parseParams } from '../lib/params.ts';

t.test('the issue example flags parse', async (t) => {
  const r = parseParams('--duration 10s --seed 7 --rate 300 --workers 16 --accounts 10 --nodes 3'.split(' '), DEFAULTS);
  t.ok(r);
  t.equal(r!.params.durationMs, 10_000);
  t.equal(r!.params.seed, 7);
  t.equal(r!.params.rate, 300);
  t.equal(r!.params.nodes, 3);
  t.equal(r!.seedGiven, true);
});

t.test('defaults stay when no flag is given; the seed is marked as not given', async (t) => {
  const r = parseParams([], DEFAULTS)!;
  t.same(r.params, DEFAULTS);
  t.equal(r.seedGiven, false);
});

t.test('durations as people write them', async (t) => {
  t.equal(parseDurationMs('500ms', 'x'), 500);
  t.equal(parseDurationMs('2m', 'x'), 120_000);
  t.equal(parseDurationMs('1.5s', 'x'), 1500);
  t.equal(parseDurationMs('3', 'x'), 3000);
  t.throws(() => parseDurationMs('10x', 'duration'), /--duration: '10x' is not a duration/);
});

const refused: [string[], RegExp][] = [
  [['--duration', 'soon'], /--duration: 'soon' is not a duration/],
  [['--duration', '0s'], /--duration: must be longer than zero/],
  [['--rate', 'fast'], /--rate: 'fast' is not a number/],
  [['--rate=-5'], /--rate: '-5' is not a number from/],
  [['--rate', '-5'], /--rate/],
  [['--workers', '2.5'], /--workers: '2.5' is not a whole number/],
  [['--accounts', '1'], /--accounts: '1' is not a number from 2/],
  [['--reads', '1.5'], /--reads: '1.5' is not a number from 0 to 1/],
  [['--loop', 'sideways'], /--loop: 'sideways' is not one of open, closed/],
  [['--routing', 'some'], /--routing: 'some' is not one of all, one/],
  [['--seed'], /--seed/],
  [['extra'], /positional/i],
];
for (const [argv, message] of refused) {
  t.test(`refused: ${argv.join(' ')}`, async (t) => {
    t.throws(() => parseParams(argv, DEFAULTS), ParamError);
    t.throws(() => parseParams(argv, DEFAULTS), { message });
  });
}

t.test('--help is reported, so the notebook prints its usage with the engine\'s settings', async (t) => {
  t.equal(parseParams(['--help'], DEFAULTS).help, true);
  t.equal(parseParams([], DEFAULTS).help, false);
});

t.test('flags that are not bankrun\'s own are kept for the engine\'s settings, in both spellings', async (t) => {
  const r = parseParams(['--isolation', 'read-committed', '--rate', '5', '--for-update=false', '--nodes', '3'], DEFAULTS);
  t.same(r.engineFlags, { isolation: 'read-committed', 'for-update': 'false' });
  t.same([r.params.rate, r.params.nodes], [5, 3], 'bankrun\'s own flags still parse around them');
  t.throws(() => parseParams(['--isolation'], DEFAULTS), /--isolation needs a value/);
  t.throws(() => parseParams(['--isolation', '--rate', '5'], DEFAULTS), /--isolation needs a value/);
});
