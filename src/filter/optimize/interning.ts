/**
 * Interning (libpcap's `intern_blocks`): blocks with the same statements,
 * the same ending and the same successors compute the same thing, so every
 * edge goes to one of them. Done bottom-up, so whole identical tails
 * collapse in one pass.
 */
import { topologicalOrder, type Block, type Cfg } from '../cfg.js';
import type { Pass } from './pass.js';

/** The interning pass. */
export const interning: Pass = {
  name: 'interning',
  summary: 'identical blocks (same statements, ending and successors) become one',
  run(cfg: Cfg): Cfg | null {
    const order = topologicalOrder(cfg);
    const representative = new Map<Block, Block>();
    const byKey = new Map<string, Block>();
    const rep = (b: Block | undefined): Block | undefined => (b ? representative.get(b) ?? b : undefined);
    let changes = 0;
    for (let i = order.length - 1; i >= 0; i--) {
      const b = order[i];
      if (b.opaque) continue;
      const jt = rep(b.jt), jf = rep(b.jf);
      let key = `${b.code} ${b.k} ${jt?.id ?? '-'} ${jf?.id ?? '-'}`;
      for (const s of b.stmts) key += ` ${s.code},${s.k}`;
      const first = byKey.get(key);
      if (first) { representative.set(b, first); changes++; } else byKey.set(key, b);
    }
    if (changes === 0) return null;
    for (const b of order) {
      b.jt = rep(b.jt);
      b.jf = rep(b.jf);
    }
    return { root: rep(cfg.root)! };
  },
};
