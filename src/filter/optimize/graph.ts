/**
 * What the passes need to know about the graph and its statements: which
 * registers a statement reads and writes (A, X, M[0..15] as bits of one
 * mask), copying a graph, counting its instructions, and register liveness.
 */
import {
  BPF_A, BPF_ABS, BPF_ALU, BPF_IND, BPF_LD, BPF_LDX, BPF_MEM, BPF_MISC, BPF_MSH, BPF_NEG, BPF_ST, BPF_STX, BPF_TXA, BPF_X,
  bpfClass, bpfMode, bpfOp, bpfSize, bpfSrc, BPF_B, BPF_H,
} from '../../bpf/opcodes.js';
import { isReturn, topologicalOrder, type Block, type Cfg, type Stmt } from '../cfg.js';

/** Register indexes: A, X, then M[i] at MEM0 + i. */
export const REG_A = 0;
export const REG_X = 1;
export const MEM0 = 2;
/** Number of registers tracked (A, X, 16 scratch slots). */
export const REGS = 18;

/**
 * The register a statement writes (REG_A, REG_X or MEM0 + slot).
 *
 * @example
 * defOf({ code: 0x28, k: 12 }) // REG_A (ldh [12])
 */
export function defOf(s: Stmt): number {
  switch (bpfClass(s.code)) {
    case BPF_LD: case BPF_ALU: return REG_A;
    case BPF_LDX: return REG_X;
    case BPF_ST: case BPF_STX: return MEM0 + s.k;
    default: return (s.code & 0xf8) === BPF_TXA ? REG_A : REG_X;
  }
}

/**
 * The registers a statement reads, as a bit mask (bit r for register r).
 *
 * @example
 * usesOf({ code: 0x0c, k: 0 }) // A and X (add x)
 */
export function usesOf(s: Stmt): number {
  const cls = bpfClass(s.code), mode = bpfMode(s.code);
  switch (cls) {
    case BPF_LD: return mode === BPF_IND ? 1 << REG_X : mode === BPF_MEM ? 1 << (MEM0 + s.k) : 0;
    case BPF_LDX: return mode === BPF_MEM ? 1 << (MEM0 + s.k) : 0;
    case BPF_ST: return 1 << REG_A;
    case BPF_STX: return 1 << REG_X;
    case BPF_ALU: return bpfOp(s.code) === BPF_NEG || bpfSrc(s.code) !== BPF_X ? 1 << REG_A : (1 << REG_A) | (1 << REG_X);
    case BPF_MISC: return (s.code & 0xf8) === BPF_TXA ? 1 << REG_X : 1 << REG_A;
    default: return 0;
  }
}

/**
 * The registers a block's ending reads: A for a branch or `ret a`, plus X
 * for a comparison with X; nothing for a branch whose successors are one.
 *
 * @example
 * endUses(block) & (1 << REG_A)
 */
export function endUses(b: Block): number {
  if (isReturn(b)) return (b.code & 0x18) === BPF_A ? 1 << REG_A : 0;
  // A branch going the same way either way reads nothing that matters.
  if (b.jt === b.jf) return 0;
  return bpfSrc(b.code) === BPF_X ? (1 << REG_A) | (1 << REG_X) : 1 << REG_A;
}

/**
 * The bytes an absolute packet load (or `ldxb 4*([k]&0xf)`) needs (offset +
 * size), when it is an ordinary packet load (not an ancillary or negative-offset one); else undefined.
 *
 * @example
 * absoluteEnd({ code: 0x28, k: 12 }) // 14
 */
export function absoluteEnd(s: Stmt): number | undefined {
  const cls = bpfClass(s.code);
  if (s.k >= 0x80000000) return undefined;
  if (cls === BPF_LDX && bpfMode(s.code) === BPF_MSH) return s.k + 1;
  if (cls !== BPF_LD || bpfMode(s.code) !== BPF_ABS) return undefined;
  const size = bpfSize(s.code);
  return s.k + (size === BPF_B ? 1 : size === BPF_H ? 2 : 4);
}

/**
 * A deep copy of the reachable graph (statements and blocks), so passes can
 * mutate it freely.
 *
 * @example
 * const mine = cloneCfg(cfg);
 */
export function cloneCfg(cfg: Cfg): Cfg {
  const order = topologicalOrder(cfg);
  const copies = new Map<Block, Block>();
  for (const b of order) copies.set(b, { ...b, stmts: b.stmts.map((s) => ({ ...s })) });
  for (const copy of copies.values()) {
    if (copy.jt) copy.jt = copies.get(copy.jt);
    if (copy.jf) copy.jf = copies.get(copy.jf);
  }
  return { root: copies.get(cfg.root)! };
}

/**
 * Instructions the graph becomes, before any long-jump trampolines: every
 * statement plus one jump or return per block.
 *
 * @example
 * instructionCount(optimizeCfg(buildCfg('ip'))) // 4
 */
export function instructionCount(cfg: Cfg): number {
  let n = 0;
  for (const b of topologicalOrder(cfg)) n += b.stmts.length + 1;
  return n;
}

/**
 * Registers live on entry to each block (by block), computed backwards over
 * the DAG in one sweep.
 *
 * @example
 * const live = liveIn(order);
 * if (live.get(b)! & (1 << REG_X)) …
 */
export function liveIn(order: readonly Block[]): Map<Block, number> {
  const live = new Map<Block, number>();
  for (let i = order.length - 1; i >= 0; i--) {
    const b = order[i];
    let l = liveOut(b, live) | endUses(b);
    for (let j = b.stmts.length - 1; j >= 0; j--) {
      const s = b.stmts[j];
      l = (l & ~(1 << defOf(s))) | usesOf(s);
    }
    live.set(b, l);
  }
  return live;
}

/**
 * Registers live on leaving a block, given live-in of its successors.
 *
 * @example
 * liveOut(b, live)
 */
export function liveOut(b: Block, live: ReadonlyMap<Block, number>): number {
  return (b.jt ? live.get(b.jt) ?? 0 : 0) | (b.jf ? live.get(b.jf) ?? 0 : 0);
}

/**
 * For each block, the captured length below which no run from the block's
 * entry can return non-zero: every path to an accepting return first
 * executes an absolute load needing that many bytes. A load that fails
 * returns 0, so a load needing no more than this can be removed or skipped
 * without changing any result. Infinity for blocks that only reject.
 *
 * @example
 * const need = anticipatedLength(order);
 */
export function anticipatedLength(order: readonly Block[]): Map<Block, number> {
  const need = new Map<Block, number>();
  for (let i = order.length - 1; i >= 0; i--) {
    const b = order[i];
    need.set(b, stmtsAnticipate(b.stmts, needAtEnd(b, need)));
  }
  return need;
}

/**
 * The anticipated length at a block's jump or return, given it at its
 * successors: 0 for a return that may accept, Infinity for `ret #0`.
 *
 * @example
 * needAtEnd(b, need)
 */
export function needAtEnd(b: Block, need: ReadonlyMap<Block, number>): number {
  if (isReturn(b)) return (b.code & 0x18) === BPF_A || b.k !== 0 ? 0 : Infinity;
  return Math.min(need.get(b.jt!) ?? 0, need.get(b.jf!) ?? 0);
}

/**
 * The anticipated length before `stmts`, given it after them.
 *
 * @example
 * stmtsAnticipate(block.stmts, 0)
 */
export function stmtsAnticipate(stmts: readonly Stmt[], after: number): number {
  let n = after;
  for (let j = stmts.length - 1; j >= 0; j--) {
    const end = absoluteEnd(stmts[j]);
    if (end !== undefined) n = Math.max(n, end);
  }
  return n;
}

/**
 * The incoming edges of every reachable block, as (predecessor, side) pairs.
 *
 * @example
 * const into = incomingEdges(topologicalOrder(cfg)).get(block) ?? [];
 */
export function incomingEdges(order: readonly Block[]): Map<Block, Array<[Block, 'jt' | 'jf']>> {
  const edges = new Map<Block, Array<[Block, 'jt' | 'jf']>>();
  for (const b of order) {
    for (const side of ['jt', 'jf'] as const) {
      const t = b[side];
      if (!t) continue;
      const list = edges.get(t);
      if (list) list.push([b, side]); else edges.set(t, [[b, side]]);
    }
  }
  return edges;
}
