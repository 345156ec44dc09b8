/**
 * Block merging: a block whose two successors are the same block (left by
 * branch folding) no longer needs its jump. With no statements, every edge
 * into it goes straight to the successor; when it is the successor's only
 * predecessor, it takes the successor's statements and ending over; when
 * the successor is a bare return, it ends with that return itself. Each
 * case removes one instruction or turns a jump into a return.
 */
import { isReturn, topologicalOrder, type Block, type Cfg } from '../cfg.js';
import { incomingEdges } from './graph.js';
import type { Pass } from './pass.js';

/** The block-merging pass. */
export const blockMerging: Pass = {
  name: 'block-merging',
  summary: 'a branch with both successors equal loses its jump (bypassed, merged into its successor, or ended by its return)',
  run(cfg: Cfg): Cfg | null {
    const order = topologicalOrder(cfg);
    const incoming = incomingEdges(order);
    let root = cfg.root;
    let changes = 0;
    for (const b of order) {
      if (isReturn(b) || b.jt !== b.jf || b.opaque) continue;
      const s = b.jt!;
      const into = incoming.get(s)!;
      if (b.stmts.length === 0) {
        const mine = incoming.get(b) ?? [];
        for (const [p, side] of mine) p[side] = s;
        incoming.set(s, [...into.filter(([p]) => p !== b), ...mine]);
        incoming.delete(b);
        if (root === b) root = s;
      } else if (into.every(([p]) => p === b) && !s.opaque) {
        b.stmts = [...b.stmts, ...s.stmts];
        b.code = s.code;
        b.k = s.k;
        b.jt = s.jt;
        b.jf = s.jf;
        for (const side of ['jt', 'jf'] as const) {
          const t = s[side];
          if (t) incoming.set(t, incoming.get(t)!.map(([p, sd]) => [p === s ? b : p, sd]));
        }
        incoming.delete(s);
      } else if (isReturn(s) && s.stmts.length === 0) {
        b.code = s.code;
        b.k = s.k;
        b.jt = undefined;
        b.jf = undefined;
        incoming.set(s, into.filter(([p]) => p !== b));
      } else {
        continue;
      }
      changes++;
    }
    if (changes === 0) return null;
    return root === cfg.root ? cfg : { root };
  },
};
