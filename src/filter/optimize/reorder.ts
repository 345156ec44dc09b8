/**
 * Test reordering (libpcap's `and_pullup`, within exact semantics): in a
 * chain "B, …, C" whose blocks all reject on failure (each has one edge to a
 * block that can only reject), C's test can run first when its statements
 * only reload values the registers already hold at B's entry; then those
 * statements go. `host a and host b` thus tests the source address loaded
 * for `host a` before loading anything else.
 *
 * Why it is exact: whichever test fails first, the run returns 0, and a
 * load of B that could fail now runs only on paths that go on to accept
 * only through it, exactly as before. Registers that end different on the
 * accepting edge must be dead there. Only chains whose false side rejects
 * are reordered: an `or` chain (common accepting side) would let a packet
 * too short for B's load be accepted by C, which the unoptimized program
 * rejects (libpcap's `or_pullup` does that) — unless none of the tests
 * that stay behind can fail (their bytes are already known to be there), as
 * in `[28] == a or [38] == a or [28] == b or [38] == b` once `[38]` loaded.
 * With loads assumed to succeed (`exactLoads: false`), any common side will
 * do, as in libpcap.
 */
import { isReturn, topologicalOrder, type Block, type Cfg } from '../cfg.js';
import { comparisonOf, copyState, effectOf, execute, sweep, type State } from './dataflow.js';
import { liveIn, REGS } from './graph.js';
import type { Pass, PassSettings } from './pass.js';
import { rejectingBlocks } from './dead-blocks.js';
import { Values } from './values.js';

type Side = 'jt' | 'jf';
const other = (s: Side): Side => (s === 'jt' ? 'jf' : 'jt');


/** The statements only rewrite what the registers already hold. */
function allNoOps(values: Values, entry: State, c: Block): boolean {
  const st = copyState(entry);
  for (const s of c.stmts) {
    const e = effectOf(values, st, s);
    if (st.regs[e.dest] !== e.value) return false;
  }
  return true;
}

/**
 * Blocks a chain walk may look down past the last test it could move. A
 * precision bound only (the walk follows the DAG down and ends anyway). A
 * block a walk reordered is not the start of another walk in the same pass;
 * with the bound, that keeps a pass linear on 1,000-term chains.
 */
const CHAIN_BUDGET = 64;

/** What the pass knows about the graph as it was when the pass started. */
interface ChainGraph {
  preds: ReadonlyMap<Block, number>;
  rejecting: ReadonlySet<Block>;
  live: ReadonlyMap<Block, number>;
}

/** A block's test and where its two sides go: `cont` continues the chain, the other side leaves it. */
interface Link { stmts: Block['stmts']; code: number; k: number; cont: Side; leave: Block }

function linkOf(b: Block, cont: Side): Link {
  return { stmts: b.stmts, code: b.code, k: b.k, cont, leave: b[other(cont)]! };
}

function differing(a: State, b: State): number {
  let mask = 0;
  for (let reg = 0; reg < REGS; reg++) if (a.regs[reg] !== b.regs[reg]) mask |= 1 << reg;
  return mask;
}

/**
 * Looks down the chain starting at `b` (blocks with one predecessor whose
 * other sides all go to the same place R) for tests whose statements only
 * reload what the registers hold at `b`'s entry, and moves those tests to
 * the front, in order, without their statements; true when done. The
 * blocks reordered are added to `walked`.
 */
function pullUp(values: Values, b: Block, entry: State, graph: ChainGraph, walked: Set<Block>): boolean {
  const { preds, rejecting, live } = graph;
  for (const s of ['jt', 'jf'] as const) {
    const r = b[other(s)]!;
    const rejects = rejecting.has(r);
    // Exact loads and a side that may accept: only when no statement that stays can fail (see above).
    const mustNotFail = !rejects && values.exactLoads;
    const common = (x: Block): boolean => x === r || (rejects && rejecting.has(x));
    const chain: Block[] = [b];
    const pulled: Link[] = [];
    const kept: Link[] = [linkOf(b, s)];
    // `state`: the registers as the chain leaves them; `keptState`: as the kept tests alone leave them.
    const state = copyState(entry), keptState = copyState(entry);
    let failing = false;
    for (const st of b.stmts) { execute(values, state, st); failing = execute(values, keptState, st).mayFail || failing; }
    if (mustNotFail && failing) continue;
    let best: { positions: number; pulled: number; kept: number; end: Block } | undefined;
    let changed = differing(state, entry);
    let cur = b[s]!;
    for (let sinceLast = 0; sinceLast < CHAIN_BUDGET; sinceLast++) {
      if (isReturn(cur) || cur.opaque || cur.jt === cur.jf || preds.get(cur) !== 1) break;
      const rc: Side | undefined = common(cur.jt!) ? 'jt' : common(cur.jf!) ? 'jf' : undefined;
      if (!rc) break;
      const next = cur[other(rc)]!;
      if (cur.stmts.length > 0 && allNoOps(values, entry, cur)) {
        const original = copyState(state);
        for (const st of cur.stmts) execute(values, original, st);
        const was = comparisonOf(values, original, cur), now = comparisonOf(values, entry, cur);
        if (was.a !== now.a || was.k !== now.k || was.x !== now.x) break;
        Object.assign(state, original);
        pulled.push({ stmts: [], code: cur.code, k: cur.k, cont: other(rc), leave: cur[rc]! });
        sinceLast = 0;
      } else {
        // A test that stays must compute exactly what it did, now that the pulled reloads no longer run before it.
        let same = true;
        for (const st of cur.stmts) {
          const kept = execute(values, keptState, st);
          same = execute(values, state, st).value === kept.value && same;
          failing = kept.mayFail || failing;
        }
        if (mustNotFail && failing) break;
        const was = comparisonOf(values, state, cur), now = comparisonOf(values, keptState, cur);
        if (!same || was.a !== now.a || was.k !== now.k || was.x !== now.x) break;
        kept.push(linkOf(cur, other(rc)));
      }
      chain.push(cur);
      changed |= differing(state, entry);
      const atT = differing(state, keptState) & (live.get(next) ?? 0);
      const atR = rejects ? 0 : changed & (live.get(r) ?? 0);
      if (pulled.length > 0 && atT === 0 && atR === 0) best = { positions: chain.length, pulled: pulled.length, kept: kept.length, end: next };
      cur = next;
    }
    if (best) {
      for (const block of chain.slice(0, best.positions)) walked.add(block);
      rotate(chain.slice(0, best.positions), [...pulled.slice(0, best.pulled), ...kept.slice(0, best.kept)], best.end);
      return true;
    }
  }
  return false;
}

/** Lays `links` into the `positions` blocks in order, each continuing to the next, the last to `end`. */
function rotate(positions: readonly Block[], links: readonly Link[], end: Block): void {
  positions.forEach((block, i) => {
    const link = links[i];
    block.stmts = link.stmts;
    block.code = link.code;
    block.k = link.k;
    block[link.cont] = i + 1 < positions.length ? positions[i + 1] : end;
    block[other(link.cont)] = link.leave;
  });
}

/** The test-reordering pass. */
export const reorder: Pass = {
  name: 'reorder',
  summary: 'in an and-chain, a test on values already loaded runs before a test needing a new load',
  run(cfg: Cfg, settings: PassSettings): Cfg | null {
    const order = topologicalOrder(cfg);
    const preds = new Map<Block, number>();
    for (const b of order) {
      if (b.jt) preds.set(b.jt, (preds.get(b.jt) ?? 0) + 1);
      if (b.jf) preds.set(b.jf, (preds.get(b.jf) ?? 0) + 1);
    }
    const graph: ChainGraph = { preds, rejecting: rejectingBlocks(order), live: liveIn(order) };
    const values = new Values(settings.exactLoads);
    const walked = new Set<Block>();
    let changes = 0;
    sweep(cfg, values, {
      block(b, entry) {
        if (isReturn(b) || b.opaque || b.jt === b.jf || b.stmts.length === 0 || walked.has(b)) return;
        if (pullUp(values, b, entry, graph, walked)) changes++;
      },
    }, order);
    return changes > 0 ? cfg : null;
  },
};
