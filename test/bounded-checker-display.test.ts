// The live display's checker line once the live check reached its memory bound: it says the
// ledger checks wait for the final check, and fits an 80-column terminal.
import t from 'tap';
import { renderBlock } from '../lib/progress/render.ts';
import type { CheckerStatus, ProgressSnapshot } from '../lib/progress/state.ts';

const state: ProgressSnapshot = {
  cell: 'steady',
  elapsedMs: 250_000,
  durationMs: 600_000,
  windowMs: 1000,
  transfersPerS: { ok: 990, insufficient: 10, fail: 0, info: 0 },
  readsPerS: 0,
  readsOkPerS: 0,
  latency: { p50Us: 900, p99Us: 4100 },
  inFlight: 2,
  oldestInFlightMs: 1,
  faults: [],
  nodes: [{ name: 'n1', state: 'up' }],
  checker: { anomalies: 0, stopped: false },
};
const checkerLine = (checker: CheckerStatus) => renderBlock({ ...state, checker }, { width: 79, colour: false }).at(-1)!;

t.test('past the bound the checker line says the ledger is checked at the end', async (t) => {
  t.equal(checkerLine({ anomalies: 0, stopped: false, ledgerLeftToFinal: true }), '  checker      no anomalies so far · ledger checks at the end');
  const found = checkerLine({ anomalies: 12, stopped: false, ledgerLeftToFinal: true });
  t.equal(found, '  checker      12 anomalies so far — see the report · ledger checks at the end');
  t.ok(found.length <= 79, `${found.length} columns`);
});

t.test('under the bound the line is as before', async (t) => {
  t.equal(checkerLine({ anomalies: 0, stopped: false, ledgerLeftToFinal: false }), '  checker      no anomalies so far');
  t.equal(checkerLine({ anomalies: 0, stopped: false }), '  checker      no anomalies so far');
});

t.test('a stopped live check says so, bound or not', async (t) => {
  t.equal(checkerLine({ anomalies: 1, stopped: true, ledgerLeftToFinal: true }), '  checker      stopped at 1 anomaly; the history is checked at the end');
});
