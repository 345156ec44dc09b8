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
 * rejects (libpcap's `or_pullup` does that). With loads assumed to succeed
 * (`exactLoads: false`), any common side will do, as in libpcap.
 */
import { isReturn, topologicalOrder, type Block, type Cfg } from '../cfg.js';
import { comparisonOf, copyState, effectOf, execute, sweep, type State } from './dataflow.js';
import { liveIn, REGS } from './graph.js';
import type { Pass, PassSettings } from './pass.js';
import { rejectingBlocks } from './dead-blocks.js';
import { Values } from './values.js';

type Side = 'jt' | 'jf';
const other = (s: Side): Side => (s === 'jt' ? 'jf' : 'jt');

function predecessorCounts(order: readonly Block[]): Map<Block, number> {
  const counts = new Map<Block, number>();
  for (const b of order) {
    for (const t of [b.jt, b.jf]) if (t) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return counts;
}

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
 * Blocks one chain walk may look down. A precision bound (the walk follows
 * a DAG down and ends anyway) that keeps the pass linear on 1,000-term chains.
 */
const CHAIN_BUDGET = 64;

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
 * other sides all go to the same place R) for a test C whose statements
 * only reload what the registers hold at `b`'s entry, and moves C's test to
 * the front, without its statements; true when done.
 */
function pullUp(values: Values, b: Block, entry: State, preds: ReadonlyMap<Block, number>, rejecting: ReadonlySet<Block>, live: ReadonlyMap<Block, number>): boolean {
  for (const s of ['jt', 'jf'] as const) {
    const r = b[other(s)]!;
    const rejects = rejecting.has(r);
    // Exact loads: only a rejecting common side (see above). Assumed loads: any common side.
    if (!rejects && values.exactLoads) continue;
    const common = (x: Block): boolean => x === r || (rejects && rejecting.has(x));
    const chain: Block[] = [b];
    const links: Link[] = [linkOf(b, s)];
    const state = copyState(entry);
    for (const st of b.stmts) execute(values, state, st);
    let cur = b[s]!;
    for (let walked = 0; walked < CHAIN_BUDGET; walked++) {
      if (isReturn(cur) || cur.opaque || cur.jt === cur.jf || preds.get(cur) !== 1) break;
      const rc: Side | undefined = common(cur.jt!) ? 'jt' : common(cur.jf!) ? 'jf' : undefined;
      if (!rc) break;
      if (cur.stmts.length > 0 && allNoOps(values, entry, cur)) {
        const original = copyState(state);
        for (const st of cur.stmts) execute(values, original, st);
        const before = comparisonOf(values, original, cur), after = comparisonOf(values, entry, cur);
        const t = cur[other(rc)]!;
        const atT = differing(original, state) & (live.get(t) ?? 0);
        const atR = rejects ? 0 : (differing(state, entry) | differing(original, entry)) & (live.get(r) ?? 0);
        if (before.a === after.a && before.k === after.k && before.x === after.x && atT === 0 && atR === 0) {
          rotate([...chain, cur], [{ stmts: [], code: cur.code, k: cur.k, cont: other(rc), leave: cur[rc]! }, ...links], t);
          return true;
        }
      }
      chain.push(cur);
      links.push(linkOf(cur, other(rc)));
      for (const st of cur.stmts) execute(values, state, st);
      cur = cur[other(rc)]!;
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
    const preds = predecessorCounts(order);
    const rejecting = rejectingBlocks(order);
    const live = liveIn(order);
    const values = new Values(settings.exactLoads);
    let changes = 0;
    sweep(cfg, values, {
      block(b, entry) {
        if (isReturn(b) || b.opaque || b.jt === b.jf || b.stmts.length === 0) return;
        if (pullUp(values, b, entry, preds, rejecting, live)) changes++;
      },
    });
    return changes > 0 ? cfg : null;
  },
};
