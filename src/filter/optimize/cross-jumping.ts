/**
 * Cross-jumping through X: two chains of tests that differ only in how they
 * address the packet — one with absolute loads `[k]`, the other with loads
 * `[x + k - c]` under an X it was given — are the same code once X is c. So
 * the absolute chain's predecessors set `ldx #c` before their jump and go to
 * the indexed chain, and the absolute chain goes. `tcp port 80` tests the
 * IPv6 ports (`ldh [54]`, `ldh [56]`) with the IPv4 blocks (`ldh [x + 14]`,
 * `ldh [x + 16]`) after `ldx #40`. libpcap does not do this.
 *
 * Exact: with X = c, `[x + k - c]` reads the same bytes as `[k]` and fails
 * the same way (offsets stay below 2^31). X must be dead wherever the shared
 * chain leaves, and on the predecessors' other edges.
 */
import { BPF_ABS, BPF_IMM, BPF_IND, BPF_LD, BPF_LDX, BPF_X, bpfClass, bpfMode, bpfSrc } from '../../bpf/opcodes.js';
import { isReturn, topologicalOrder, type Block, type Cfg, type Stmt } from '../cfg.js';
import { rejectingBlocks } from './dead-blocks.js';
import { defOf, incomingEdges, liveIn, REG_X, usesOf } from './graph.js';
import type { Pass } from './pass.js';

const X_BIT = 1 << REG_X;

/** The offset c that maps an absolute statement onto an indexed one, or undefined; `same` when identical. */
function offsetBetween(s: Stmt, t: Stmt): number | 'same' | undefined {
  if (s.code === t.code && s.k === t.k) return (usesOf(s) & X_BIT) || defOf(s) === REG_X ? undefined : 'same';
  if (bpfClass(s.code) !== BPF_LD || bpfMode(s.code) !== BPF_ABS || bpfMode(t.code) !== BPF_IND) return undefined;
  if ((s.code & ~0xe0) !== (t.code & ~0xe0) || s.k >= 0x80000000 || s.k < t.k) return undefined;
  return s.k - t.k;
}

/** Whether block `s` (absolute) equals block `t` (indexed) once X = c, successors included. */
function matches(s: Block, t: Block, c: number | undefined, seen: Map<Block, Block>): number | undefined {
  if (s === t || isReturn(s) || isReturn(t) || s.opaque || t.opaque) return undefined;
  if (s.code !== t.code || s.k !== t.k || bpfSrc(s.code) === BPF_X || s.stmts.length !== t.stmts.length) return undefined;
  let offset = c;
  for (let i = 0; i < s.stmts.length; i++) {
    const o = offsetBetween(s.stmts[i], t.stmts[i]);
    if (o === undefined) return undefined;
    if (o === 'same') continue;
    if (offset !== undefined && offset !== o) return undefined;
    offset = o;
  }
  for (const side of ['jt', 'jf'] as const) {
    const a = s[side]!, b = t[side]!;
    if (a === b) continue;
    const inner = matches(a, b, offset, seen);
    if (inner === undefined) return undefined;
    offset = inner;
  }
  if (offset === undefined) return undefined;
  seen.set(s, t);
  return offset;
}

/**
 * Moves a block's leading X setup (`ldxb 4*([14]&0xf)` before `ldh [x + 14]`)
 * to the end of its only predecessor, when that predecessor's other edge
 * rejects and does not read X: the indexed loads then start their block and
 * can be shared. The size does not change; a load that fails earlier still
 * rejects, as the other edge would.
 */
function hoistIndexSetup(order: readonly Block[], preds: ReadonlyMap<Block, Array<[Block, 'jt' | 'jf']>>, rejecting: ReadonlySet<Block>, live: ReadonlyMap<Block, number>): void {
  for (const t of order) {
    const [setup, load] = t.stmts;
    if (!setup || !load || bpfClass(setup.code) !== BPF_LDX || bpfClass(load.code) !== BPF_LD || bpfMode(load.code) !== BPF_IND) continue;
    const into = preds.get(t) ?? [];
    if (into.length !== 1) continue;
    const [p, side] = into[0];
    const otherSide = p[side === 'jt' ? 'jf' : 'jt']!;
    if (isReturn(p) || p.opaque || bpfSrc(p.code) === BPF_X || !rejecting.has(otherSide) || ((live.get(otherSide) ?? 0) & X_BIT)) continue;
    p.stmts = [...p.stmts, setup];
    t.stmts = t.stmts.slice(1);
  }
}

/** The cross-jumping pass. */
export const crossJumping: Pass = {
  name: 'cross-jumping',
  summary: 'a chain of absolute loads equal to an indexed one under X = c jumps there after ldx #c',
  late: true,
  run(cfg: Cfg): Cfg | null {
    const order = topologicalOrder(cfg);
    const live = liveIn(order);
    const preds = incomingEdges(order);
    hoistIndexSetup(order, preds, rejectingBlocks(order), live);
    // Candidates: blocks starting with an indexed load, grouped by their first instruction's shape.
    const indexed = new Map<string, Block[]>();
    for (const b of order) {
      const first = b.stmts[0];
      if (first && bpfClass(first.code) === BPF_LD && bpfMode(first.code) === BPF_IND) {
        const key = `${first.code & ~0xe0} ${b.stmts.length} ${b.code} ${b.k}`;
        (indexed.get(key) ?? indexed.set(key, []).get(key)!).push(b);
      }
    }
    const gone = new Set<Block>();
    let changes = 0;
    for (const s of order) {
      const first = s.stmts[0];
      if (!first || s === cfg.root || gone.has(s) || bpfClass(first.code) !== BPF_LD || bpfMode(first.code) !== BPF_ABS) continue;
      const into = preds.get(s) ?? [];
      for (const t of indexed.get(`${first.code & ~0xe0} ${s.stmts.length} ${s.code} ${s.k}`) ?? []) {
        if (gone.has(t)) continue;
        const seen = new Map<Block, Block>();
        const c = matches(s, t, undefined, seen);
        if (c === undefined) continue;
        // Everything of s's chain must go (one predecessor each, inside the chain) and X must be dead where it leaves.
        const chain = [...seen.keys()];
        const inChain = new Set(chain);
        const exits = chain.flatMap((b) => [b.jt!, b.jf!]).filter((b) => !inChain.has(b));
        if (exits.some((e) => (live.get(e) ?? 0) & X_BIT)) continue;
        if (chain.some((b) => b !== s && (preds.get(b) ?? []).some(([p]) => !inChain.has(p)))) continue;
        const size = chain.reduce((n, b) => n + b.stmts.length + 1, 0);
        const payers = new Set(into.map(([p]) => p));
        if (size <= payers.size) continue;
        const ok = [...payers].every((p) => bpfSrc(p.code) !== BPF_X && !((p.jt === s ? 0 : live.get(p.jt!) ?? 0) & X_BIT) && !((p.jf === s ? 0 : live.get(p.jf!) ?? 0) & X_BIT));
        if (!ok) continue;
        for (const p of payers) p.stmts = [...p.stmts, { code: BPF_LDX | BPF_IMM, k: c }];
        for (const [p, side] of into) p[side] = t;
        for (const b of chain) gone.add(b);
        changes++;
        break;
      }
    }
    return changes > 0 ? cfg : null;
  },
};
