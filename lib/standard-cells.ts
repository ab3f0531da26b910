// The cells every engine's notebook runs first, in this order and under these names, so that runs
// of different engines compare cell by cell (notebooks/compare.ts runs the same list): steady
// load, then one fault per cell on n1 (or on the node `kill` names) — kill -9 and restart, pause,
// isolate, a minority split from the majority, packet loss, a bandwidth limit, added latency.
import { cell, faults, type CellSpec } from './cells.ts';
import { target, type Target } from './faults/targets.ts';

export interface StandardCellOptions {
  /** Whom the kill cell kills: default n1; `target.leader()` where the engine can say which node leads. */
  kill?: Target;
}

export function standardCells(o: StandardCellOptions = {}): CellSpec[] {
  const n1 = target.node(1);
  const kill = o.kill ?? n1;
  return [
    cell('steady'),
    cell(kill.kind === 'leader' ? 'kill -9 the leader and restart' : 'kill -9 n1 and restart', { fault: faults.kill(kill) }),
    cell('pause n1', { fault: faults.pause(n1) }),
    cell('isolate n1', { fault: faults.partition(n1) }),
    cell('minority | majority split', { fault: faults.partition(target.minority()) }),
    cell('packet loss on n1', { fault: faults.loss(n1) }),
    cell('bandwidth limit on n1', { fault: faults.bandwidth(n1) }),
    cell('latency on n1', { fault: faults.latency(n1) }),
  ];
}
