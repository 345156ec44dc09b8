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
 *
 * Two more moves per edge, when threading finds nothing: an edge on which
 * every run is rejected (every path the edge's state leaves open ends in a
 * rejecting block) goes to `ret #0`; and an edge whose other successor
 * leads invisibly to this edge's target, in this edge's state, goes to that
 * other successor, which leaves the comparison with one successor for
 * block merging to remove.
 */
import { isReturn, topologicalOrder, type Block, type Cfg } from '../cfg.js';
import { alongEdge, comparisonOf, copyState, decideComparison, everyRunEnds, execute, feasible, sweep, type State } from './dataflow.js';
import { absoluteEnd, anticipatedLength, liveIn, REGS } from './graph.js';
import type { Pass, PassSettings } from './pass.js';
import { rejectingBlocks } from './dead-blocks.js';
import { Values } from './values.js';

/**
 * Steps (blocks looked through) one pass may spend on its walks, per block
 * of the graph, and steps one side of a fork may take. Precision bounds, not
 * termination devices (each walk follows a DAG downwards and ends anyway):
 * they keep a pass linear in the graph's size. A walk through decided
 * comparisons may be long (the "no address family matched" path of a
 * 1,000-host `or` chain skips three blocks per host, all at once, which
 * later passes need done before they can regroup the chain's tests), so it
 * draws on the pass's total; a fork's sides only look a little ahead.
 */
const STEPS_PER_BLOCK = 64;
const FORK_STEPS = 32;
const LOOK_STEPS = 16;

/** What a walk needs besides the path: the pass's analyses and the real state on the edge. */
interface Walk {
  values: Values;
  state: State;
  live: ReadonlyMap<Block, number>;
  need: ReadonlyMap<Block, number>;
}

/** Undecided comparisons a walk may look past by following both sides (a precision bound). */
const FORKS = 1;

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
    // An undecided comparison may still have a side that is impossible (the facts say so only when refined).
    if (outcome === undefined && !feasible(values, sim, cmp, true)) outcome = false;
    if (outcome === undefined && !feasible(values, sim, cmp, false)) outcome = true;
    if (outcome === undefined) {
      if (forks === 0) return found;
      const onTrue = alongEdge(values, sim, cmp, true), onFalse = alongEdge(values, sim, cmp, false, true);
      // Both sides walked on; a block both reach (invisibly) is reached whatever this comparison says.
      const side = (to: Block, st: State): Block[] => {
        const sub = { left: Math.min(FORK_STEPS, budget.left) };
        const start = sub.left;
        const found = candidates(walk, to, st, failEnd, forks - 1, sub);
        budget.left -= start - sub.left;
        return found;
      };
      const viaTrue = side(target.jt!, onTrue!);
      const viaFalse = new Set(side(target.jf!, onFalse!));
      return [...found, ...viaTrue.filter((b) => viaFalse.has(b))];
    }
    target = outcome ? target.jt! : target.jf!;
    if (failEnd <= (need.get(target) ?? 0) && invisible(sim, state, live.get(target) ?? 0)) found.push(target);
  }
  return found;
}

/**
 * Whether every run entering `b` in state `sim` returns 0: every path the
 * state leaves possible ends at a block of `rejecting` (blocks that reject
 * whatever the state). A load or a division that fails on the way returns
 * 0 as well, so nothing on the way matters. False when the walk would look
 * at more than `budget.left` blocks (it spends them). `sim` is changed.
 *
 * @example
 * alwaysRejects(values, edgeTarget, copyState(edgeState), rejectingBlocks(order), { left: 32 })
 */
export function alwaysRejects(values: Values, b: Block, sim: State, rejecting: ReadonlySet<Block>, budget: { left: number }): boolean {
  return everyRunEnds(values, b, sim, budget, (x) => (rejecting.has(x) ? true : isReturn(x) ? false : undefined), true);
}

/** Where an edge entering `first` in `state` may go instead: the furthest candidate, if any. */
function skipTo(walk: Walk, first: Block, budget: { left: number }): Block | undefined {
  const found = candidates(walk, first, copyState(walk.state), 0, FORKS, budget);
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
    const budget = { left: STEPS_PER_BLOCK * order.length };
    const rejecting = rejectingBlocks(order);
    const reject = order.find((x) => isReturn(x) && x.stmts.length === 0 && rejecting.has(x));
    sweep(cfg, values, {
      edge(b, side, state) {
        if (b.jt === b.jf) return undefined;
        const walk = { values, state, live, need };
        const to = b[side]!;
        const other = b[side === 'jt' ? 'jf' : 'jt']!;
        const look = (f: (sub: { left: number }) => boolean): boolean => {
          const sub = { left: Math.min(LOOK_STEPS, budget.left) };
          const start = sub.left;
          const result = f(sub);
          budget.left -= start - sub.left;
          return result;
        };
        const target = skipTo(walk, to, budget);
        if (target) { changes++; return target; }
        // An edge on which every run is rejected, into a branch that is not
        // rejecting whatever the state, goes to the reject return (P↓; `ip
        // and … and stp`: after ethertype 0x800 nothing can accept). The
        // return is bare, so the sweep never needs its incoming states.
        const provable = reject !== undefined && !isReturn(to) && to.jt !== to.jf && !rejecting.has(to);
        if (provable && look((sub) => alwaysRejects(values, to, copyState(state), rejecting, sub))) { changes++; return reject; }
        // The other successor leads invisibly to this edge's target in this
        // edge's state: both edges can go there (D↓).
        if (!look((sub) => candidates(walk, other, copyState(state), 0, 0, sub).includes(to))) return undefined;
        changes++;
        return other;
      },
    }, order);
    return changes > 0 ? cfg : null;
  },
};
