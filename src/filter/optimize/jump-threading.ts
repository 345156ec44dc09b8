/**
 * Jump threading (libpcap's edge-dominator trick, generalized): when the
 * state on an edge already decides the comparison of the block it enters,
 * and skipping that block's statements cannot change anything that matters
 * (every register they would change to a new value is dead where the
 * branch goes, and every load among them that could fail needs no more
 * bytes than any accepting run from there needs anyway), the edge goes
 * straight to the decided successor. Repeats down the chain while it
 * holds, skipping the whole chain at once when only its end is invisible;
 * each step moves strictly down the topological order, so the walk ends.
 */
import { isReturn, topologicalOrder, type Block, type Cfg } from '../cfg.js';
import { alongEdge, comparisonOf, copyState, decideComparison, execute, sweep, type State } from './dataflow.js';
import { absoluteEnd, anticipatedLength, liveIn, REGS } from './graph.js';
import type { Pass, PassSettings } from './pass.js';
import { Values } from './values.js';

/**
 * Blocks one edge's walk may look through. A precision bound, not a
 * termination device (the walk follows a DAG downwards and ends anyway): it
 * keeps a pass linear in the graph's size on 1,000-term `or` chains, where
 * every edge could otherwise walk to the end; later rounds continue from
 * where an edge was moved to.
 */
const WALK_BUDGET = 64;

/**
 * Where an edge entering `first` in `state` may go instead: the furthest
 * block down the chain of decided comparisons such that skipping every
 * block on the way is invisible there. Undefined if none.
 */
function skipTo(values: Values, first: Block, state: State, live: ReadonlyMap<Block, number>, need: ReadonlyMap<Block, number>): Block | undefined {
  // `sim` is what the skipped blocks would have computed: later comparisons on the chain read it.
  const sim = copyState(state);
  let failEnd = 0;
  let best: Block | undefined;
  for (let target = first, walked = 0; !isReturn(target) && !target.opaque && walked < WALK_BUDGET; walked++) {
    for (const s of target.stmts) {
      const effect = execute(values, sim, s);
      if (effect.mayFail) {
        const end = absoluteEnd(s);
        if (end === undefined) return best;
        failEnd = Math.max(failEnd, end);
      }
    }
    const cmp = comparisonOf(values, sim, target);
    let outcome = decideComparison(values, sim, cmp);
    if (outcome === undefined) {
      if (alongEdge(values, sim, cmp, true) === null) outcome = false;
      else if (alongEdge(values, sim, cmp, false) === null) outcome = true;
      else return best;
    }
    target = outcome ? target.jt! : target.jf!;
    if (failEnd <= (need.get(target) ?? 0) && invisible(sim, state, live.get(target) ?? 0)) best = target;
  }
  return best;
}

/** Registers that differ between the skipped and the real state are all dead. */
function invisible(sim: State, state: State, liveThere: number): boolean {
  for (let r = 0; r < REGS; r++) {
    if (sim.regs[r] !== state.regs[r] && (liveThere & (1 << r)) !== 0) return false;
  }
  return true;
}

/** The jump-threading pass. */
export const jumpThreading: Pass = {
  name: 'jump-threading',
  summary: 'an edge whose state decides the next comparison jumps straight to its outcome',
  run(cfg: Cfg, settings: PassSettings): Cfg | null {
    const order = topologicalOrder(cfg);
    const live = liveIn(order);
    const need = anticipatedLength(order);
    const values = new Values(settings.exactLoads);
    let changes = 0;
    sweep(cfg, values, {
      edge(b, side, state) {
        if (b.jt === b.jf) return undefined;
        const target = skipTo(values, b[side]!, state, live, need);
        if (target) changes++;
        return target;
      },
    });
    return changes > 0 ? cfg : null;
  },
};
