/**
 * Hoisting into the predecessor: a block whose two successors are the same
 * and whose statements must stay (they set a register read further on, so
 * block merging cannot drop its jump) moves those statements to the end of
 * its only predecessor, before that one's jump, and the predecessor jumps
 * straight on. One jump less. Allowed when the statements cannot end the
 * run, do not write what the predecessor's comparison reads, and write
 * only registers dead on the predecessor's other edge.
 */
import { BPF_ALU, BPF_DIV, BPF_IMM, BPF_LD, BPF_LDX, BPF_LEN, BPF_MEM, BPF_MOD, BPF_X, bpfClass, bpfMode, bpfOp, bpfSrc } from '../../bpf/opcodes.js';
import { isReturn, topologicalOrder, type Block, type Cfg, type Stmt } from '../cfg.js';
import { defOf, endUses, incomingEdges, liveIn } from './graph.js';
import type { Pass } from './pass.js';

/** Statements that can never end a run: no packet load, no division by X. */
function cannotFail(s: Stmt): boolean {
  const cls = bpfClass(s.code), mode = bpfMode(s.code);
  if (cls === BPF_LD || cls === BPF_LDX) return mode === BPF_IMM || mode === BPF_MEM || mode === BPF_LEN;
  if (cls === BPF_ALU) return !(bpfSrc(s.code) === BPF_X && (bpfOp(s.code) === BPF_DIV || bpfOp(s.code) === BPF_MOD));
  return true;
}

/** The hoisting pass. */
export const hoisting: Pass = {
  name: 'hoisting',
  summary: 'a jump-less block (both successors one) that must keep its statements hands them to its only predecessor',
  run(cfg: Cfg): Cfg | null {
    const order = topologicalOrder(cfg);
    const live = liveIn(order);
    const preds = incomingEdges(order);
    const touched = new Set<Block>();
    let changes = 0;
    for (const b of order) {
      if (isReturn(b) || b.opaque || b.jt !== b.jf || b.stmts.length === 0 || touched.has(b)) continue;
      const into = preds.get(b) ?? [];
      if (into.length !== 1) continue;
      const [p, side] = into[0];
      const other = p[side === 'jt' ? 'jf' : 'jt']!;
      if (p.opaque || p.jt === p.jf || touched.has(p) || touched.has(other)) continue;
      const writes = b.stmts.reduce((m, s) => m | (1 << defOf(s)), 0);
      if (!b.stmts.every(cannotFail) || (writes & endUses(p)) !== 0 || (writes & (live.get(other) ?? 0)) !== 0) continue;
      p.stmts = [...p.stmts, ...b.stmts];
      p[side] = b.jt;
      touched.add(p).add(b).add(other).add(b.jt!);
      changes++;
    }
    return changes > 0 ? cfg : null;
  },
};
