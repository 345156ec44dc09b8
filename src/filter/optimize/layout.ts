/**
 * Block layout for the linearizer: topological order, with the return
 * blocks laid out as "islands" — a copy of each return placed before any
 * jump to it would reach past 255 instructions — instead of once at the end.
 * A conditional jump's offset is 8 bits; with one `ret #0` at the end of a
 * long program every distant test needs a `ja` trampoline, where an island
 * costs one instruction for all the jumps near it.
 */
import { isReturn, topologicalOrder, type Block, type Cfg } from '../cfg.js';
import { cloneCfg } from './graph.js';

/**
 * Graphs the optimizer produced. Only those get islands: an unoptimized
 * Program stays instruction for instruction libpcap's (what `-d -O` prints),
 * trampolines included.
 */
const optimized = new WeakSet<Cfg>();

/**
 * Marks a graph as the optimizer's result, so that it is laid out with islands.
 *
 * @example
 * return markOptimized(result);
 */
export function markOptimized(cfg: Cfg): Cfg {
  optimized.add(cfg);
  return cfg;
}

/** Farthest a jump to an island may be planned: below 255, leaving room for trampolines the linearizer may still add. */
const REACH = 200;

/**
 * The blocks in the order to lay them out. For a graph the optimizer made:
 * the blocks of a copy of it, return blocks appearing as islands (new
 * blocks, fresh ids) near the jumps to them; the input is not changed. For
 * any other graph: its topological order, as libpcap lays it out.
 *
 * @example
 * for (const block of layoutBlocks(cfg)) emit(block);
 */
export function layoutBlocks(cfg: Cfg): Block[] {
  if (!optimized.has(cfg)) return topologicalOrder(cfg);
  const graph = cloneCfg(cfg);
  const order = topologicalOrder(graph);
  if (isReturn(graph.root)) return [graph.root];
  let nextId = Math.max(...order.map((b) => b.id)) + 1;
  const out: Block[] = [];
  // Per return block: the jumps to it since its last island, and where the first of them is.
  const pending = new Map<Block, { refs: Array<[Block, 'jt' | 'jf']>; first: number }>();
  let at = 0;
  const islandSize = (): number => [...pending.keys()].reduce((n, r) => n + r.stmts.length + 1, 0);
  const flush = (): void => {
    for (const [ret, { refs }] of pending) {
      const island: Block = { ...ret, id: nextId++, stmts: ret.stmts.map((s) => ({ ...s })) };
      for (const [b, side] of refs) b[side] = island;
      out.push(island);
      at += island.stmts.length + 1;
    }
    pending.clear();
  };
  for (const b of order) {
    if (isReturn(b)) continue;
    const size = b.stmts.length + 1;
    const earliest = Math.min(...[...pending.values()].map((p) => p.first));
    if (pending.size > 0 && at + size + islandSize() - earliest > REACH) flush();
    out.push(b);
    at += size;
    for (const side of ['jt', 'jf'] as const) {
      const target = b[side]!;
      if (!isReturn(target)) continue;
      const p = pending.get(target);
      if (p) p.refs.push([b, side]); else pending.set(target, { refs: [[b, side]], first: at - 1 });
    }
  }
  flush();
  return out;
}
