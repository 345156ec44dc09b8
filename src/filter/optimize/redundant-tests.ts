/**
 * Redundant tests: a branch one of whose edges rejects, when every run on
 * that edge would be rejected by the other successor as well (in the
 * state the edge carries), needs no comparison: the edge goes to the other
 * successor, both edges are one, and block merging removes the jump.
 * `(decnet and …) or (ip6 and …)` on FDDI: after `ethertype == 0x6003`
 * fails to reach an acceptance, the IPv6 test that follows rejects those
 * packets by itself. The same for an edge to `ret #k` when every run on it
 * would reach `ret #k` through the other successor too, with nothing on
 * the way that could end the run first.
 *
 * Late (it runs once the other passes are done): the test it drops may be
 * what a later comparison would have been decided by, and passes that are
 * still working on the graph do better with it there. Exact: the runs that
 * went to the reject go through blocks that reject them all, and a load or
 * a division failing on the way rejects too; the runs that went to
 * `ret #k` reach `ret #k`, through statements the analysis proves cannot
 * fail for them.
 */
import { BPF_A } from '../../bpf/opcodes.js';
import { isReturn, topologicalOrder, type Block, type Cfg } from '../cfg.js';
import { copyState, everyRunEnds, sweep, type State } from './dataflow.js';
import { rejectingBlocks } from './dead-blocks.js';
import { alwaysRejects } from './jump-threading.js';
import type { Pass, PassSettings } from './pass.js';
import { Values } from './values.js';

/** Blocks one edge's look at the other successor may visit (a precision bound; the walk goes down the DAG and ends anyway). */
const LOOK = 32;

/**
 * Whether every run entering `b` in state `sim` ends at a return of the
 * same constant as `ret`, with no statement on the way that could end the
 * run first. False past `budget.left` blocks. `sim` is changed.
 */
function alwaysReturns(values: Values, b: Block, sim: State, ret: Block, budget: { left: number }): boolean {
  const same = (x: Block) => (isReturn(x) ? x.stmts.length === 0 && x.code === ret.code && x.k === ret.k : undefined);
  return everyRunEnds(values, b, sim, budget, same, false);
}

/** The redundant-tests pass. */
export const redundantTests: Pass = {
  name: 'redundant-tests',
  summary: 'a comparison goes when the other successor would give the runs on one of its edges the same result',
  late: true,
  run(cfg: Cfg, settings: PassSettings): Cfg | null {
    const order = topologicalOrder(cfg);
    const rejecting = rejectingBlocks(order);
    const values = new Values(settings.exactLoads);
    let changes = 0;
    sweep(cfg, values, {
      edge(b, side, state) {
        const to = b[side]!, other = b[side === 'jt' ? 'jf' : 'jt']!;
        if (b.jt === b.jf || isReturn(other)) return undefined;
        if (rejecting.has(to)) {
          if (rejecting.has(other) || !alwaysRejects(values, other, copyState(state), rejecting, { left: LOOK })) return undefined;
        } else if (!isReturn(to) || to.stmts.length > 0 || (to.code & 0x18) === BPF_A || !alwaysReturns(values, other, copyState(state), to, { left: LOOK })) {
          return undefined;
        }
        changes++;
        return other;
      },
    }, order);
    return changes > 0 ? cfg : null;
  },
};
