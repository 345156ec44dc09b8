/**
 * Jump threading (libpcap's edge-dominator trick, generalized): when the
 * state on an edge already decides the comparison of the block it enters,
 * and skipping that block's statements cannot change anything that matters
 * (every register they would change to a new value is dead where the
 * branch goes, and every load among them that could fail needs no more
 * bytes than any accepting run from there needs anyway), the edge goes
 * straight to the decided successor. Repeats down the chain while it
 * holds, skipping the whole chain at once when only its end is invisible;
 * an undecided comparison whose two sides both reach the same block (as
 * `ethertype == 0x806 or ethertype == 0x8035` once it is one of the two)
 * is skipped too. Each step moves strictly down the topological order, so
 * the walk ends.
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

/** What a walk needs besides the path: the pass's analyses and the real state on the edge. */
interface Walk {
  values: Values;
  state: State;
  live: ReadonlyMap<Block, number>;
  need: ReadonlyMap<Block, number>;
}

/** Undecided comparisons a walk may look past by following both sides (a precision bound). */
const FORKS = 2;

/**
 * The blocks, in path order, that an edge entering `first` in `walk.state`
 * could go to instead: every block reached through comparisons that are
 * decided (or, up to FORKS times, undecided but with both sides reaching
 * the same block) such that skipping everything before it is invisible
 * there. `sim` is what the skipped blocks would have computed: later
 * comparisons on the way read it.
 */
function candidates(walk: Walk, first: Block, sim: State, failEnd: number, forks: number, budget: { left: number }): Block[] {
  const { values, state, live, need } = walk;
  const found: Block[] = [];
  for (let target = first; !isReturn(target) && !target.opaque && budget.left > 0; budget.left--) {
    for (const s of target.stmts) {
      const effect = execute(values, sim, s);
      if (effect.mayFail) {
        const end = absoluteEnd(s);
        if (end === undefined) return found;
        failEnd = Math.max(failEnd, end);
      }
    }
    const cmp = comparisonOf(values, sim, target);
    let outcome = decideComparison(values, sim, cmp);
    const onTrue = outcome === false ? null : alongEdge(values, sim, cmp, true);
    const onFalse = outcome === true ? null : alongEdge(values, sim, cmp, false);
    if (outcome === undefined && onTrue === null) outcome = false;
    if (outcome === undefined && onFalse === null) outcome = true;
    if (outcome === undefined) {
      if (forks === 0) return found;
      // Both sides walked on; a block both reach (invisibly) is reached whatever this comparison says.
      const viaTrue = candidates(walk, target.jt!, onTrue!, failEnd, forks - 1, budget);
      const viaFalse = new Set(candidates(walk, target.jf!, onFalse!, failEnd, forks - 1, budget));
      return [...found, ...viaTrue.filter((b) => viaFalse.has(b))];
    }
    target = outcome ? target.jt! : target.jf!;
    if (failEnd <= (need.get(target) ?? 0) && invisible(sim, state, live.get(target) ?? 0)) found.push(target);
  }
  return found;
}

/** Where an edge entering `first` in `state` may go instead: the furthest candidate, if any. */
function skipTo(walk: Walk, first: Block): Block | undefined {
  const found = candidates(walk, first, copyState(walk.state), 0, FORKS, { left: WALK_BUDGET });
  return found[found.length - 1];
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
        const target = skipTo({ values, state, live, need }, b[side]!);
        if (target) changes++;
        return target;
      },
    });
    return changes > 0 ? cfg : null;
  },
};
